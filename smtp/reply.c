/*
 * SMTP replies that subtls writes itself, and a byte-at-a-time reader for one
 * reply of the backend.  The reader keeps no copy of the reply.  It checks the
 * code and separator of each line and the line length, and drops the text.
 */
#include <string.h>

#include "smtp/reply.h"

/* Writes head, hostname, tail and a NUL.  Returns 0 when they do not fit. */
static size_t
reply_format(char *out, size_t cap, const char *head, const char *hostname,
    const char *tail)
{
	size_t head_len = strlen(head);
	size_t hostname_len = strlen(hostname);
	size_t tail_len = strlen(tail);
	size_t len = head_len + hostname_len + tail_len;

	if (len >= cap)
		return 0;

	memcpy(out, head, head_len);
	memcpy(out + head_len, hostname, hostname_len);
	memcpy(out + head_len + hostname_len, tail, tail_len);
	out[len] = '\0';
	return len;
}

size_t
smtp_reply_greeting(char *out, size_t cap, const char *hostname)
{
	return reply_format(out, cap, "220 ", hostname, " ESMTP\r\n");
}

size_t
smtp_reply_backend_unavailable(char *out, size_t cap, const char *hostname)
{
	return reply_format(out, cap, "421 4.3.2 ", hostname,
	    " Service not available, closing transmission channel\r\n");
}

size_t
smtp_reply_timeout(char *out, size_t cap, const char *hostname)
{
	return reply_format(out, cap, "421 4.4.2 ", hostname,
	    " Error: timeout exceeded\r\n");
}

size_t
smtp_reply_too_many_connections(char *out, size_t cap, const char *hostname)
{
	return reply_format(out, cap, "421 4.7.0 ", hostname,
	    " Too many connections, try again later\r\n");
}

size_t
smtp_reply_handshakes_busy(char *out, size_t cap, const char *hostname)
{
	return reply_format(out, cap, "421 4.7.0 ", hostname,
	    " Too many TLS handshakes in progress, try again later\r\n");
}

size_t
smtp_reply_session_time_exceeded(char *out, size_t cap, const char *hostname)
{
	return reply_format(out, cap, "421 4.4.2 ", hostname,
	    " Error: maximum session time exceeded\r\n");
}

size_t
smtp_reply_backend_lost(char *out, size_t cap, const char *hostname,
    bool in_transaction)
{
	if (in_transaction)
		return reply_format(out, cap, "451 4.3.0 ", hostname,
		    " Error: lost the connection to the mail server, try "
		    "again later\r\n");
	return reply_format(out, cap, "421 4.3.0 ", hostname,
	    " Error: lost the connection to the mail server, closing "
	    "transmission channel\r\n");
}

size_t
smtp_reply_shutting_down(char *out, size_t cap, const char *hostname)
{
	return reply_format(out, cap, "421 4.3.2 ", hostname,
	    " Service shutting down, closing transmission channel\r\n");
}

void
smtp_reply_reader_init(struct smtp_reply_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->status = SMTP_REPLY_INCOMPLETE;
}

/* RFC 5321 section 4.2: Reply-code = %x32-35 %x30-35 %x30-39. */
static bool
reply_code_digit_valid(size_t position, char c)
{
	static const char max_digit[3] = { '5', '5', '9' };
	char min_digit = position == 0 ? '2' : '0';

	return c >= min_digit && c <= max_digit[position];
}

/* Checks the code that a line's third digit completed. */
static enum smtp_reply_status
reader_take_code(struct smtp_reply_reader *r)
{
	int code = (r->line_start[0] - '0') * 100 +
	    (r->line_start[1] - '0') * 10 + (r->line_start[2] - '0');

	/* RFC 5321 section 4.2: every line of a reply has the same code. */
	if (r->seen_any && code != r->code)
		return SMTP_REPLY_INVALID;

	r->code = code;
	r->seen_any = true;
	return SMTP_REPLY_INCOMPLETE;
}

/* A line ends at its LF.  A CR before the LF was counted as a text byte. */
static enum smtp_reply_status
reader_end_line(struct smtp_reply_reader *r)
{
	bool last;

	if (r->line_len < 3)
		return SMTP_REPLY_INVALID;

	/* A bare code ("220\r\n") may only end the reply. */
	last = r->line_len == 3 || r->line_start[3] != '-';
	r->line_len = 0;
	return last ? SMTP_REPLY_COMPLETE : SMTP_REPLY_INCOMPLETE;
}

static enum smtp_reply_status
reader_take(struct smtp_reply_reader *r, char c)
{
	if (c == '\n')
		return reader_end_line(r);

	if (r->line_len < 3) {
		if (!reply_code_digit_valid(r->line_len, c))
			return SMTP_REPLY_INVALID;
		r->line_start[r->line_len++] = c;
		return r->line_len == 3 ? reader_take_code(r) :
		    SMTP_REPLY_INCOMPLETE;
	}

	if (r->line_len == 3) {
		if (c != '-' && c != ' ' && c != '\r')
			return SMTP_REPLY_INVALID;
		r->line_start[3] = c;
	} else if (r->line_len == 4 && r->line_start[3] == '\r') {
		/* A CR right after the code must be the end of the line. */
		return SMTP_REPLY_INVALID;
	}

	/* With its LF still to come, the line would pass the maximum. */
	r->line_len++;
	if (r->line_len >= SMTP_REPLY_LINE_MAX)
		return SMTP_REPLY_INVALID;
	return SMTP_REPLY_INCOMPLETE;
}

enum smtp_reply_status
smtp_reply_reader_feed(struct smtp_reply_reader *r, const char *data,
    size_t len, size_t *consumed)
{
	*consumed = 0;
	if (r->status != SMTP_REPLY_INCOMPLETE)
		return r->status;

	for (size_t i = 0; i < len; i++) {
		enum smtp_reply_status status = reader_take(r, data[i]);

		if (status != SMTP_REPLY_INCOMPLETE) {
			*consumed = i + 1;
			r->status = status;
			return status;
		}
	}

	*consumed = len;
	return SMTP_REPLY_INCOMPLETE;
}
