/*
 * Removal of keywords from a backend's EHLO reply (RFC 5321 section 4.1.1.1).
 *
 * subtls removes what must not reach its client: STARTTLS, because TLS is
 * already on (RFC 3207), XCLIENT and XFORWARD, which only subtls may use, and
 * any keyword the operator lists.
 */
#ifndef SMTP_EHLO_FILTER_H
#define SMTP_EHLO_FILTER_H

#include <stdbool.h>
#include <stddef.h>

/* Longest EHLO reply line, CRLF included (RFC 5321 section 4.5.3.1.5). */
#define SMTP_EHLO_LINE_MAX 512

/*
 * Returns whether the keyword of one EHLO reply line ("250-SIZE 10240000\r\n")
 * is in keywords, a NULL-terminated list compared case-insensitively.  The
 * keyword is the text after the code and separator up to the first blank or
 * the line ending.  A line shorter than "250-X" has no keyword: false.
 */
bool smtp_ehlo_keyword_listed(const char *line, size_t len,
    const char *const *keywords);

/*
 * Copies a complete EHLO reply from reply to out without the lines whose
 * keyword is in keywords.  The first line, which names the server, is always
 * kept.  The last kept line gets "250 " and every other kept line "250-", so
 * the output is a valid reply.  Lines are kept byte for byte otherwise.
 * Returns the output length (never more than len, so cap = len is enough),
 * or 0 when reply is not a complete 250 reply made of lines ending in LF or
 * when the output does not fit in cap.
 */
size_t smtp_ehlo_filter(const char *reply, size_t len,
    const char *const *keywords, char *out, size_t cap);

/*
 * The same filter, one reply line at a time, for a reply that arrives in
 * pieces.  The line kept last is held back, because only the next kept line,
 * or the reply's end, decides whether it gets "250-" or "250 ".
 */
struct smtp_ehlo_stream {
	char held[SMTP_EHLO_LINE_MAX];
	size_t held_len;
	bool started;		/* the first line, which names the server,
				 * has been kept */
};

/* Prepares st for a new EHLO reply. */
void smtp_ehlo_stream_start(struct smtp_ehlo_stream *st);

/*
 * Takes one line of a 250 EHLO reply (LF included, at most
 * SMTP_EHLO_LINE_MAX bytes), which is dropped when listed is true (use
 * smtp_ehlo_keyword_listed()), except for the first line.  Writes to out
 * what can be released: the line held before, and at the reply's end (last)
 * the line held now.  out needs room for 2 * SMTP_EHLO_LINE_MAX bytes.
 * Returns the bytes written.
 */
size_t smtp_ehlo_stream_line(struct smtp_ehlo_stream *st, const char *line,
    size_t len, bool last, bool listed, char *out);

#endif
