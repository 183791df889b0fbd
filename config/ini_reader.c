/*
 * A whole-line reader with syntax checks in front of inih.  ini_reader.h
 * describes the accepted syntax and why inih needs this reader.
 */
#include "config/ini_reader.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Room inih needs beyond the text: a leading blank that marks a
 * continuation line, the newline and the terminating NUL. */
#define INI_READER_OVERHEAD 3

void
ini_reader_init(struct ini_reader *reader, FILE *file,
    const struct ini_reader_events *events, void *context)
{
	memset(reader, 0, sizeof(*reader));
	reader->file = file;
	reader->events = events;
	reader->context = context;
	reader->kind = INI_LINE_SKIPPED;
	reader->key_state = INI_NO_KEY;
}

void
ini_reader_release(struct ini_reader *reader)
{
	free(reader->buffer);
	reader->buffer = NULL;
	reader->capacity = 0;
}

static char *
skip_blanks(char *text)
{
	while (*text != '\0' && isspace((unsigned char)*text))
		text++;
	return text;
}

static void
strip_trailing_blanks(char *text)
{
	size_t length = strlen(text);

	while (length > 0 && isspace((unsigned char)text[length - 1]))
		text[--length] = '\0';
}

/* Cuts an inline comment, which inih starts at a ';' after a blank. */
static void
cut_inline_comment(char *text)
{
	if (*text == '\0')
		return;

	for (char *p = text + 1; *p != '\0'; p++) {
		if (*p == ';' && isspace((unsigned char)p[-1])) {
			*p = '\0';
			break;
		}
	}
	strip_trailing_blanks(text);
}

/* Hands inih an empty line in place of a skipped or rejected one. */
static char *
hand_over_nothing(struct ini_reader *reader, char *line)
{
	reader->kind = INI_LINE_SKIPPED;
	line[0] = '\n';
	line[1] = '\0';
	return line;
}

/* Hands inih prefix, text and suffix as one line.  The length check has
 * made sure that they fit. */
static char *
hand_over(struct ini_reader *reader, char *line, int num,
    enum ini_line_kind kind, const char *prefix, const char *text,
    const char *suffix)
{
	reader->kind = kind;
	snprintf(line, (size_t)num, "%s%s%s\n", prefix, text, suffix);
	return line;
}

static char *
reject(struct ini_reader *reader, char *line, const char *message)
{
	reader->events->error(reader->context, reader->line, message);
	return hand_over_nothing(reader, line);
}

/* Rejects text that inih could not hold.  Returns NULL when it fits. */
static char *
reject_if_too_long(struct ini_reader *reader, char *line, int num,
    const char *text)
{
	size_t length = strlen(text);
	size_t limit = num > INI_READER_OVERHEAD ?
	    (size_t)num - INI_READER_OVERHEAD : 0;
	char message[160];

	if (length <= limit)
		return NULL;

	snprintf(message, sizeof(message),
	    "line too long (%zu characters, at most %zu); split a long list "
	    "over indented continuation lines", length, limit);
	return reject(reader, line, message);
}

/* True for "[...]" unless the brackets contain only characters of an IPv6
 * address, so that a listen address without port is not called a header. */
static bool
looks_like_section_header(const char *text)
{
	size_t length = strlen(text);

	if (length < 2 || text[0] != '[' || text[length - 1] != ']')
		return false;

	for (size_t i = 1; i < length - 1; i++) {
		if (!isxdigit((unsigned char)text[i]) &&
		    strchr(":.%", text[i]) == NULL)
			return true;
	}
	return false;
}

static char *
read_continuation(struct ini_reader *reader, char *line, int num, char *text)
{
	char *rejected;

	if (reader->key_state == INI_NO_KEY)
		return reject(reader, line,
		    "indented line without a key above it in this section "
		    "(allowed: an indented line only continues the list of the "
		    "key above it; remove the indentation)");
	if (reader->key_state == INI_KEY_REJECTED)
		return hand_over_nothing(reader, line);

	rejected = reject_if_too_long(reader, line, num, text);
	if (rejected != NULL)
		return rejected;
	if (strchr(text, '=') != NULL)
		return reject(reader, line,
		    "indented line contains '=' (allowed: a new key starts at "
		    "the beginning of the line; an indented line only "
		    "continues the list of the key above it)");
	if (looks_like_section_header(text))
		return reject(reader, line,
		    "indented section header (allowed: a section header starts "
		    "at the beginning of the line)");

	return hand_over(reader, line, num, INI_LINE_CONTINUATION, " ", text,
	    "");
}

static char *
read_section(struct ini_reader *reader, char *line, int num, char *text)
{
	char *rejected;
	char *close;
	char *name = NULL;

	reader->key_state = INI_NO_KEY;

	rejected = reject_if_too_long(reader, line, num, text);
	if (rejected != NULL) {
		reader->events->section(reader->context, NULL, reader->line);
		return rejected;
	}

	close = strchr(text, ']');
	if (close != NULL) {
		*close = '\0';
		name = skip_blanks(text + 1);
		strip_trailing_blanks(name);
	}
	if (close == NULL || close[1] != '\0' || *name == '\0') {
		reader->events->section(reader->context, NULL, reader->line);
		return reject(reader, line,
		    "invalid section header (allowed: [NAME] alone on its "
		    "line, optionally followed by a ; comment)");
	}

	reader->events->section(reader->context, name, reader->line);
	return hand_over(reader, line, num, INI_LINE_SECTION, "[", name, "]");
}

static char *
read_key(struct ini_reader *reader, char *line, int num, char *text)
{
	char *rejected;
	char *separator;

	reader->key_state = INI_KEY_REJECTED;

	rejected = reject_if_too_long(reader, line, num, text);
	if (rejected != NULL)
		return rejected;

	separator = strpbrk(text, "=:");
	if (separator == NULL || separator == text)
		return reject(reader, line,
		    "invalid line (allowed: key = value, [section], a comment "
		    "starting with ; or #, or an indented list continuation)");
	if (*separator == ':')
		return reject(reader, line,
		    "missing '=' after the key (allowed: key = value; ':' is "
		    "not a separator)");

	reader->key_state = INI_KEY_OPEN;
	return hand_over(reader, line, num, INI_LINE_KEY, "", text, "");
}

char *
ini_reader_next_line(char *line, int num, void *stream)
{
	struct ini_reader *reader = stream;
	ssize_t length;
	char *text;
	char *start;
	char message[160];

	errno = 0;
	length = getline(&reader->buffer, &reader->capacity, reader->file);
	if (length < 0) {
		/* getline() fails with ENOMEM without setting the error
		 * indicator, so only the end of the file ends quietly. */
		if (ferror(reader->file) || !feof(reader->file)) {
			snprintf(message, sizeof(message), "read failed: %s",
			    strerror(errno));
			reader->events->error(reader->context, 0, message);
		}
		return NULL;
	}
	reader->line++;

	if ((size_t)length != strlen(reader->buffer)) {
		reader->key_state = INI_KEY_REJECTED;
		return reject(reader, line,
		    "NUL byte in line (allowed: text without NUL bytes)");
	}

	text = reader->buffer;
	if (reader->line == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0)
		text += 3;	/* a UTF-8 byte order mark */
	strip_trailing_blanks(text);
	start = skip_blanks(text);

	if (*start == '\0' || *start == ';' || *start == '#')
		return hand_over_nothing(reader, line);
	cut_inline_comment(start);

	if (start > text)
		return read_continuation(reader, line, num, start);
	if (*start == '[')
		return read_section(reader, line, num, start);
	return read_key(reader, line, num, start);
}
