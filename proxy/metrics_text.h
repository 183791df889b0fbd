/*
 * The Prometheus text exposition format, version 0.0.4: "# HELP" and
 * "# TYPE" lines and one line per sample, "name{label="value",...} value".
 * Pure: it writes into a growing buffer and does not depend on subtls.
 *
 * Label values escape '\\', '"' and line feed as \\\\, \\" and \\n; HELP
 * text escapes '\\' and line feed.  Metric and label names are the
 * caller's constants and are not checked.
 */
#ifndef PROXY_METRICS_TEXT_H
#define PROXY_METRICS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_TEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The text being built.  failed is set once memory ran out; the text is
 * then incomplete and must not be served. */
struct metrics_text {
	char *data;		/* malloc'd, NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
	bool failed;
};

/* A label of a sample: name="value".  Arrays of them end with a NULL name. */
struct metrics_label {
	const char *name;
	const char *value;
};

/* Writes the "# HELP name help" and "# TYPE name type" lines; type is
 * counter, gauge, histogram or summary. */
void metrics_text_family(struct metrics_text *text, const char *name,
    const char *type, const char *help);

/* Writes one sample line with a whole-number value.  labels may be NULL. */
void metrics_text_sample(struct metrics_text *text, const char *name,
    const struct metrics_label *labels, uint64_t value);

/* Writes one sample line with a value such as 0.25 or 1.7e9, in the
 * shortest form that reads back as the same double. */
void metrics_text_sample_double(struct metrics_text *text, const char *name,
    const struct metrics_label *labels, double value);

/* Appends value to text with the escapes of a label value. */
void metrics_text_label_value(struct metrics_text *text, const char *value);

/* Frees the buffer and zeroes text. */
void metrics_text_free(struct metrics_text *text);

#endif
