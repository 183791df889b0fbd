/*
 * The line reader that config_load() hands to inih's ini_parse_stream().
 *
 * Debian's inih r55 is built with a 200-byte line buffer and without line
 * numbers: it splits a longer line silently and turns its tail into a bogus
 * key, its handler never learns the line, and it stops counting errors after
 * the first.  This reader therefore reads whole lines itself (getline), checks
 * their syntax, and passes inih only lines it accepts.  A rejected line is
 * reported through the error callback and reaches inih as an empty line, so
 * inih and the reader count the same lines.  Because inih calls its handler
 * before it reads the next line, reader->line is the line of the setting
 * that the handler is processing.
 *
 * Syntax accepted (everything else is an error):
 *   - blank lines and comment lines whose first non-blank character is ';'
 *     or '#';
 *   - "[NAME]" at the start of a line, optionally followed by a comment;
 *   - "key = value" at the start of a line (':' is not a separator);
 *   - an indented line after a key line of the same section, which continues
 *     that key's value; it may contain neither '=' nor look like "[NAME]".
 * An inline comment starts at a ';' that follows a blank, as in inih.  Blank
 * and comment lines between a key and its continuation lines are allowed.
 * The length limit applies to what inih has to hold: the line without its
 * indentation, inline comment and trailing blanks.  Comment lines may be of
 * any length.
 */
#ifndef CONFIG_INI_READER_H
#define CONFIG_INI_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum ini_line_kind {
	INI_LINE_SKIPPED,	/* blank, comment or rejected: inih sees "" */
	INI_LINE_SECTION,
	INI_LINE_KEY,
	INI_LINE_CONTINUATION,
};

struct ini_reader_events {
	/* A section header.  name is NULL when the header was rejected, so
	 * that the keys below it are not taken for the previous section. */
	void (*section)(void *context, const char *name, unsigned line);

	/* A syntax error, or a read error with line 0. */
	void (*error)(void *context, unsigned line, const char *message);
};

enum ini_key_state {
	INI_NO_KEY,		/* no key line yet in this section */
	INI_KEY_OPEN,		/* indented lines continue the last key */
	INI_KEY_REJECTED,	/* the last key line was rejected, so its
				 * continuation lines are skipped unreported */
};

struct ini_reader {
	FILE *file;
	const struct ini_reader_events *events;
	void *context;
	unsigned line;			/* the line last handed to inih */
	enum ini_line_kind kind;	/* what that line is */
	enum ini_key_state key_state;
	char *buffer;			/* getline() buffer */
	size_t capacity;
};

/* Prepares reader for file.  The events get context as first argument. */
void ini_reader_init(struct ini_reader *reader, FILE *file,
    const struct ini_reader_events *events, void *context);

/*
 * The ini_reader callback: stores the next line of the file in line (num
 * bytes, as inih passes them) and returns line, or NULL at the end of the
 * file or after a read error.  stream is the struct ini_reader.
 */
char *ini_reader_next_line(char *line, int num, void *stream);

/* Frees the line buffer but leaves the file open. */
void ini_reader_release(struct ini_reader *reader);

#endif
