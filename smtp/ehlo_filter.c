/*
 * Removal of keywords from a backend's EHLO reply.  The filter works on the
 * whole reply because removing the last line moves the "250 " mark to the
 * line before it.
 */
#include <string.h>

#include "smtp/ehlo_filter.h"

/* "250-" or "250 ": the code and separator before each line's text. */
#define EHLO_LINE_PREFIX 4

static char
ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

bool
smtp_ehlo_keyword_listed(const char *line, size_t len,
    const char *const *keywords)
{
	const char *keyword = line + EHLO_LINE_PREFIX;
	size_t keyword_len = 0;

	if (len <= EHLO_LINE_PREFIX)
		return false;
	while (EHLO_LINE_PREFIX + keyword_len < len) {
		char c = keyword[keyword_len];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			break;
		keyword_len++;
	}
	if (keyword_len == 0)
		return false;

	for (size_t k = 0; keywords[k] != NULL; k++) {
		const char *listed = keywords[k];
		size_t i = 0;

		while (i < keyword_len && listed[i] != '\0' &&
		    ascii_upper(keyword[i]) == ascii_upper(listed[i]))
			i++;
		if (i == keyword_len && listed[i] == '\0')
			return true;
	}
	return false;
}

/* Checks that a line starts with "250-" or "250 " (or is "250" alone). */
static bool
ehlo_line_valid(const char *line, size_t len, bool last)
{
	if (len < 4 || memcmp(line, "250", 3) != 0)
		return false;
	if (last)
		return line[3] == ' ' || line[3] == '\r' || line[3] == '\n';
	return line[3] == '-';
}

size_t
smtp_ehlo_filter(const char *reply, size_t len, const char *const *keywords,
    char *out, size_t cap)
{
	size_t out_len = 0;
	size_t last_kept = 0;	/* offset in out of the last kept line */
	size_t pos = 0;

	while (pos < len) {
		const char *line = reply + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t line_len;
		bool last, first = pos == 0;

		if (lf == NULL)
			return 0;
		line_len = (size_t)(lf + 1 - line);
		last = pos + line_len == len;
		if (!ehlo_line_valid(line, line_len, last))
			return 0;
		pos += line_len;

		if (!first && smtp_ehlo_keyword_listed(line, line_len, keywords))
			continue;
		if (out_len + line_len > cap)
			return 0;
		memcpy(out + out_len, line, line_len);
		if (out[out_len + 3] == ' ')
			out[out_len + 3] = '-';
		last_kept = out_len;
		out_len += line_len;
	}
	if (out_len == 0)
		return 0;

	/* A bare "250\r\n" keeps its form because it has no separator. */
	if (out[last_kept + 3] == '-')
		out[last_kept + 3] = ' ';
	return out_len;
}

void
smtp_ehlo_stream_start(struct smtp_ehlo_stream *st)
{
	st->held_len = 0;
	st->started = false;
}

/* Writes the held line with sep after its code, and empties the hold. */
static size_t
ehlo_stream_release(struct smtp_ehlo_stream *st, char sep, char *out)
{
	size_t n = st->held_len;

	if (n == 0)
		return 0;
	memcpy(out, st->held, n);
	if (n >= EHLO_LINE_PREFIX && out[3] != '\r' && out[3] != '\n')
		out[3] = sep;
	st->held_len = 0;
	return n;
}

size_t
smtp_ehlo_stream_line(struct smtp_ehlo_stream *st, const char *line,
    size_t len, bool last, bool listed, char *out)
{
	size_t n = 0;
	bool drop = st->started && listed;

	if (len > SMTP_EHLO_LINE_MAX)
		len = SMTP_EHLO_LINE_MAX;
	if (!drop) {
		n = ehlo_stream_release(st, '-', out);
		memcpy(st->held, line, len);
		st->held_len = len;
		st->started = true;
	}
	if (last)
		n += ehlo_stream_release(st, ' ', out + n);
	return n;
}
