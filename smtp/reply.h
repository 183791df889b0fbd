/*
 * SMTP replies that subtls writes itself, and a reader for the backend's greeting.
 */
#ifndef SMTP_REPLY_H
#define SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The formatters below write a NUL-terminated reply into out.  The terminator
 * must fit in cap too but is not counted in the returned length.  hostname is
 * written as it is, so it must be a valid domain name.
 */

/*
 * Formats "220 <hostname> ESMTP\r\n" into out.  Returns the length, or 0 when
 * it does not fit in cap bytes.
 */
size_t smtp_reply_greeting(char *out, size_t cap, const char *hostname);

/*
 * Formats "421 4.3.2 <hostname> Service not available, closing transmission
 * channel\r\n", the reply for a backend that cannot be reached or refuses.
 * Returns the length, or 0 when it does not fit.
 */
size_t smtp_reply_backend_unavailable(char *out, size_t cap,
    const char *hostname);

/*
 * Formats "421 4.4.2 <hostname> Error: timeout exceeded\r\n", sent before the
 * session closes at the command timeout.  Returns the length, or 0.
 */
size_t smtp_reply_timeout(char *out, size_t cap, const char *hostname);

/*
 * Formats "421 4.7.0 <hostname> Too many connections, try again later\r\n",
 * sent before TLS to a client over a connection limit.  Returns the length,
 * or 0.
 */
size_t smtp_reply_too_many_connections(char *out, size_t cap,
    const char *hostname);

/*
 * Formats "421 4.7.0 <hostname> Too many TLS handshakes in progress, try
 * again later\r\n", the reply to a STARTTLS that waited for a handshake
 * slot until the handshake timeout.  Returns the length, or 0.
 */
size_t smtp_reply_handshakes_busy(char *out, size_t cap, const char *hostname);

/*
 * Formats "421 4.4.2 <hostname> Error: maximum session time exceeded\r\n",
 * sent before a session closes at max_session_time.  Returns the length,
 * or 0.
 */
size_t smtp_reply_session_time_exceeded(char *out, size_t cap,
    const char *hostname);

/*
 * Formats the reply for a backend connection lost in the middle of a
 * session: "451 4.3.0 <hostname> Error: lost the connection to the mail
 * server, try again later\r\n" inside a mail transaction (RFC 5321 section
 * 4.2.2: the message is not accepted, the client may retry it), otherwise
 * "421 4.3.0 <hostname> Error: lost the connection to the mail server,
 * closing transmission channel\r\n".  Returns the length, or 0.
 */
size_t smtp_reply_backend_lost(char *out, size_t cap, const char *hostname,
    bool in_transaction);

/*
 * Formats "421 4.3.2 <hostname> Service shutting down, closing transmission
 * channel\r\n", sent to sessions between transactions when subtls stops.
 * Returns the length, or 0.
 */
size_t smtp_reply_shutting_down(char *out, size_t cap, const char *hostname);

/* Longest reply line the reader accepts, CRLF included (RFC 5321: 512). */
#define SMTP_REPLY_LINE_MAX 512

enum smtp_reply_status {
	SMTP_REPLY_INCOMPLETE,	/* the reply's last line has not arrived */
	SMTP_REPLY_COMPLETE,	/* the whole reply was read; see code */
	SMTP_REPLY_INVALID,	/* not an SMTP reply (bad syntax, mixed codes,
				 * line too long) */
};

/*
 * Reads one possibly multi-line reply ("220-..." lines, then "220 ...").  Used
 * to consume the backend's greeting, which a client that already had subtls's
 * greeting must not see again.
 */
struct smtp_reply_reader {
	int code;		/* the three-digit code, once known */
	size_t line_len;	/* bytes of the current line seen so far */
	char line_start[4];	/* its first four bytes: code and separator */
	bool seen_any;		/* the first line's code is known */
	enum smtp_reply_status status;	/* final once not INCOMPLETE */
};

void smtp_reply_reader_init(struct smtp_reply_reader *r);

/*
 * Feeds backend bytes.  Sets *consumed to how many bytes belong to the reply
 * (bytes after its final line ending are not consumed: they belong to the
 * relay).  On SMTP_REPLY_INVALID, *consumed counts the bytes up to and
 * including the first invalid one.  Each line is a code of three digits as in
 * RFC 5321 section 4.2 (2-5, 0-5, 0-9), then '-' before a further line, or
 * ' ' or the line ending on the last line.  A bare LF ends a line like CRLF.
 * Once the status is COMPLETE or INVALID, further calls return it again and
 * consume nothing; call smtp_reply_reader_init() to read another reply.
 */
enum smtp_reply_status smtp_reply_reader_feed(struct smtp_reply_reader *r,
    const char *data, size_t len, size_t *consumed);

#endif
