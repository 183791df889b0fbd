/*
 * Writing the Prometheus text format (see metrics_text.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/metrics_text.h"

static bool
reserve(struct metrics_text *text, size_t more)
{
	size_t cap = text->cap > 0 ? text->cap : 4096;
	char *grown;

	if (text->failed)
		return false;
	if (text->len + more + 1 <= text->cap)
		return true;
	while (cap < text->len + more + 1)
		cap *= 2;
	grown = realloc(text->data, cap);
	if (grown == NULL) {
		text->failed = true;
		return false;
	}
	text->data = grown;
	text->cap = cap;
	return true;
}

static void
append(struct metrics_text *text, const char *bytes, size_t length)
{
	if (!reserve(text, length))
		return;
	memcpy(text->data + text->len, bytes, length);
	text->len += length;
	text->data[text->len] = '\0';
}

static void
append_string(struct metrics_text *text, const char *string)
{
	append(text, string, strlen(string));
}

__attribute__((format(printf, 2, 3)))
static void
append_format(struct metrics_text *text, const char *format, ...)
{
	char buffer[64];
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(buffer, sizeof(buffer), format, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buffer)) {
		text->failed = true;
		return;
	}
	append(text, buffer, (size_t)n);
}

/* Appends value with '\\' and line feed escaped, and '"' as well when
 * quoted is set. */
static void
append_escaped(struct metrics_text *text, const char *value, bool quoted)
{
	for (const char *c = value; *c != '\0'; c++) {
		if (*c == '\\')
			append_string(text, "\\\\");
		else if (*c == '\n')
			append_string(text, "\\n");
		else if (*c == '"' && quoted)
			append_string(text, "\\\"");
		else
			append(text, c, 1);
	}
}

void
metrics_text_label_value(struct metrics_text *text, const char *value)
{
	append_escaped(text, value, true);
}

void
metrics_text_family(struct metrics_text *text, const char *name,
    const char *type, const char *help)
{
	append_string(text, "# HELP ");
	append_string(text, name);
	append_string(text, " ");
	append_escaped(text, help, false);
	append_string(text, "\n# TYPE ");
	append_string(text, name);
	append_string(text, " ");
	append_string(text, type);
	append_string(text, "\n");
}

static void
append_name_and_labels(struct metrics_text *text, const char *name,
    const struct metrics_label *labels)
{
	append_string(text, name);
	if (labels == NULL || labels[0].name == NULL)
		return;
	append_string(text, "{");
	for (size_t i = 0; labels[i].name != NULL; i++) {
		if (i > 0)
			append_string(text, ",");
		append_string(text, labels[i].name);
		append_string(text, "=\"");
		metrics_text_label_value(text, labels[i].value);
		append_string(text, "\"");
	}
	append_string(text, "}");
}

void
metrics_text_sample(struct metrics_text *text, const char *name,
    const struct metrics_label *labels, uint64_t value)
{
	append_name_and_labels(text, name, labels);
	append_format(text, " %llu\n", (unsigned long long)value);
}

/* Appends " value\n" with the fewest digits, from 15, that read back as
 * the same double, so that 0.1 is not written as 0.10000000000000001. */
static void
append_shortest(struct metrics_text *text, double value)
{
	char buffer[40];

	for (int digits = 15; digits <= 17; digits++) {
		snprintf(buffer, sizeof(buffer), "%.*g", digits, value);
		if (strtod(buffer, NULL) == value || digits == 17)
			break;
	}
	append_format(text, " %s\n", buffer);
}

void
metrics_text_sample_double(struct metrics_text *text, const char *name,
    const struct metrics_label *labels, double value)
{
	append_name_and_labels(text, name, labels);
	/* The format's spelling of infinity, as in the le="+Inf" bucket. */
	if (isinf(value))
		append_string(text, value > 0 ? " +Inf\n" : " -Inf\n");
	else if (isnan(value))
		append_string(text, " NaN\n");
	else
		append_shortest(text, value);
}

void
metrics_text_free(struct metrics_text *text)
{
	free(text->data);
	memset(text, 0, sizeof(*text));
}
