/*
 * The Prometheus text format 0.0.4 as /metrics writes it: HELP and TYPE
 * lines, label values with '\\', '"' and line feed escaped, HELP text with
 * '\\' and line feed escaped, and numbers in their shortest exact form.
 */
#include <math.h>
#include <string.h>

#include "proxy/metrics_text.h"
#include "test/unit/check.h"

static void
check_text(struct metrics_text *text, const char *expected, const char *what)
{
	CHECK(!text->failed, "%s: no failure", what);
	CHECK_BYTES(text->data != NULL ? text->data : "", text->len, expected,
	    strlen(expected), "%s", what);
	metrics_text_free(text);
}

static void
test_label_escaping(void)
{
	struct metrics_text text = { 0 };
	struct metrics_label labels[] = {
		{ "listener", "smtps" },
		{ "subject", "/CN=a \"quoted\" back\\slash\nnew line" },
		{ NULL, NULL },
	};

	metrics_text_sample(&text, "subtls_x_total", labels, 7);
	check_text(&text, "subtls_x_total{listener=\"smtps\",subject=\"/CN=a "
	    "\\\"quoted\\\" back\\\\slash\\nnew line\"} 7\n",
	    "label value escaping");
}

static void
test_help_escaping(void)
{
	struct metrics_text text = { 0 };

	metrics_text_family(&text, "subtls_y", "gauge",
	    "a \"quote\" stays, back\\slash and\nline feed do not");
	check_text(&text, "# HELP subtls_y a \"quote\" stays, back\\\\slash "
	    "and\\nline feed do not\n# TYPE subtls_y gauge\n",
	    "HELP escaping");
}

static void
test_samples(void)
{
	struct metrics_text text = { 0 };
	struct metrics_label bucket[] = {
		{ "le", "+Inf" },
		{ NULL, NULL },
	};

	metrics_text_sample(&text, "a", NULL, 0);
	metrics_text_sample(&text, "b", bucket, 18446744073709551615ULL);
	metrics_text_sample_double(&text, "c", NULL, 0.1);
	metrics_text_sample_double(&text, "d", NULL, 1796436828.9474752);
	metrics_text_sample_double(&text, "e", NULL, INFINITY);
	metrics_text_sample_double(&text, "f", NULL, 0.25);
	check_text(&text, "a 0\n"
	    "b{le=\"+Inf\"} 18446744073709551615\n"
	    "c 0.1\n"
	    "d 1796436828.9474752\n"
	    "e +Inf\n"
	    "f 0.25\n", "sample values");
}

static void
test_growth(void)
{
	struct metrics_text text = { 0 };
	struct metrics_label labels[] = {
		{ "n", "0123456789" },
		{ NULL, NULL },
	};
	size_t line = strlen("name{n=\"0123456789\"} 1\n");

	for (int i = 0; i < 1000; i++)
		metrics_text_sample(&text, "name", labels, 1);
	CHECK(!text.failed, "1000 samples: no failure");
	CHECK(text.len == 1000 * line, "1000 samples: %zu bytes (got %zu)",
	    1000 * line, text.len);
	CHECK(text.data[text.len] == '\0', "text stays NUL-terminated");
	metrics_text_free(&text);
	CHECK(text.data == NULL, "free clears the buffer pointer");
	CHECK(text.len == 0, "free clears the length");
}

int
main(void)
{
	test_label_escaping();
	test_help_escaping();
	test_samples();
	test_growth();
	return check_done();
}
