/*
 * The SMTP dialogue of a STARTTLS listener before TLS.
 *
 * Client bytes go into one fixed buffer of DIALOGUE_INPUT_MAX bytes.  Once
 * smtp_dialogue_step() has returned SMTP_STEP_NEED_INPUT, the buffer contains
 * at most one partial line shorter than SMTP_COMMAND_LINE_MAX, so the next read
 * always has room for at least that many bytes.  A partial line that reaches
 * SMTP_COMMAND_LINE_MAX is too long whatever follows: it gets its 500 reply at
 * once and is dropped, and the rest of it is dropped as it arrives.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/dialogue.h"

/* Room for one maximal partial line plus a read of the same size. */
#define DIALOGUE_INPUT_MAX (2 * SMTP_COMMAND_LINE_MAX)

/*
 * Maximum length of a domain name (RFC 5321 section 4.5.3.1.2).  It keeps the
 * longest reply, the EHLO reply, well below SMTP_DIALOGUE_REPLY_MAX.
 */
#define DIALOGUE_HOSTNAME_MAX 255

/* The content type of a TLS handshake record (RFC 8446 section 5.1). */
#define TLS_RECORD_HANDSHAKE 0x16

enum dialogue_state {
	DIALOGUE_READING,		/* waiting for command lines */
	DIALOGUE_DISCARDING_LINE,	/* dropping the rest of an over-long
					 * line, up to its LF */
	DIALOGUE_STARTTLS_ACCEPTED,	/* 220 sent: the dialogue is over */
	DIALOGUE_CLOSED,		/* a final reply sent: over as well */
};

struct smtp_dialogue {
	char hostname[DIALOGUE_HOSTNAME_MAX + 1];
	enum dialogue_state state;
	enum smtp_close_reason close_reason;
	unsigned errors;	/* 500, 501 and 530 replies so far */
	unsigned max_errors;	/* errors before 421 */
	bool reject_bare_lf;	/* a line ending in a bare LF gets 500 */

	char in[DIALOGUE_INPUT_MAX];
	size_t in_start;	/* first byte not handled yet */
	size_t in_len;		/* end of the buffered bytes */
};

/* One command line without its line ending, split into verb and argument. */
struct command_line {
	const char *verb;
	size_t verb_len;
	size_t arg_len;		/* 0: no argument, trailing blanks ignored */
	bool followed;		/* more bytes are buffered after this line */
};

typedef enum smtp_step command_handler(struct smtp_dialogue *d,
    const struct command_line *line, char *reply, size_t *reply_len);

static void
dialogue_set_state(struct smtp_dialogue *d, enum dialogue_state state)
{
	d->state = state;

	/*
	 * Once the dialogue is over, buffered bytes must never be read again,
	 * because the client sent them in plaintext before TLS.
	 */
	if (state == DIALOGUE_STARTTLS_ACCEPTED || state == DIALOGUE_CLOSED)
		d->in_start = d->in_len = 0;
}

__attribute__((format(printf, 3, 4)))
static void
reply_format(char *reply, size_t *reply_len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(reply, SMTP_DIALOGUE_REPLY_MAX, fmt, ap);
	va_end(ap);

	/*
	 * Every reply fits because the hostname is at most 255 bytes, so the
	 * clamp below is only a guard.
	 */
	if (n < 0)
		n = 0;
	else if ((size_t)n >= SMTP_DIALOGUE_REPLY_MAX)
		n = SMTP_DIALOGUE_REPLY_MAX - 1;
	*reply_len = (size_t)n;
}

/* Writes a 500, 501 or 530 reply, which counts toward the error limit. */
static enum smtp_step
reply_error(struct smtp_dialogue *d, char *reply, size_t *reply_len,
    const char *text)
{
	d->errors++;
	reply_format(reply, reply_len, "%s\r\n", text);
	return SMTP_STEP_REPLY;
}

static enum smtp_step
reply_close(struct smtp_dialogue *d, char *reply, size_t *reply_len,
    enum smtp_close_reason reason, const char *text)
{
	reply_format(reply, reply_len, "%s\r\n", text);
	d->close_reason = reason;
	dialogue_set_state(d, DIALOGUE_CLOSED);
	return SMTP_STEP_CLOSE;
}

/*
 * The EHLO reply offers no keyword that needs TLS, such as AUTH, because only
 * STARTTLS is served before TLS.
 */
static enum smtp_step
command_ehlo(struct smtp_dialogue *d, const struct command_line *line,
    char *reply, size_t *reply_len)
{
	if (line->arg_len == 0)
		return reply_error(d, reply, reply_len,
		    "501 5.5.4 Syntax: EHLO hostname");

	reply_format(reply, reply_len,
	    "250-%s\r\n"
	    "250-PIPELINING\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250 STARTTLS\r\n", d->hostname);
	return SMTP_STEP_REPLY;
}

static enum smtp_step
command_helo(struct smtp_dialogue *d, const struct command_line *line,
    char *reply, size_t *reply_len)
{
	if (line->arg_len == 0)
		return reply_error(d, reply, reply_len,
		    "501 5.5.4 Syntax: HELO hostname");

	reply_format(reply, reply_len, "250 %s\r\n", d->hostname);
	return SMTP_STEP_REPLY;
}

/* RFC 5321 section 4.1.1.9: a NOOP argument is ignored. */
static enum smtp_step
command_noop(struct smtp_dialogue *d, const struct command_line *line,
    char *reply, size_t *reply_len)
{
	(void)d;
	(void)line;
	reply_format(reply, reply_len, "250 2.0.0 Ok\r\n");
	return SMTP_STEP_REPLY;
}

/* RFC 5321 section 4.1.1.5: RSET takes no argument. */
static enum smtp_step
command_rset(struct smtp_dialogue *d, const struct command_line *line,
    char *reply, size_t *reply_len)
{
	if (line->arg_len != 0)
		return reply_error(d, reply, reply_len,
		    "501 5.5.4 Syntax: RSET");

	reply_format(reply, reply_len, "250 2.0.0 Ok\r\n");
	return SMTP_STEP_REPLY;
}

/* An argument after QUIT is ignored because the session ends either way. */
static enum smtp_step
command_quit(struct smtp_dialogue *d, const struct command_line *line,
    char *reply, size_t *reply_len)
{
	(void)line;
	return reply_close(d, reply, reply_len, SMTP_CLOSE_QUIT,
	    "221 2.0.0 Bye");
}

/*
 * RFC 3207 section 4: STARTTLS takes no argument, and after the 220 reply the
 * client must start the TLS handshake before it sends any other command.
 * Bytes already buffered after STARTTLS were sent in plaintext but would be
 * taken as if they came through TLS, which is the command injection of
 * CVE-2011-0411.  The dialogue therefore closes instead of starting TLS.
 */
static enum smtp_step
command_starttls(struct smtp_dialogue *d, const struct command_line *line,
    char *reply, size_t *reply_len)
{
	if (line->arg_len != 0)
		return reply_error(d, reply, reply_len,
		    "501 5.5.4 Syntax: STARTTLS");

	if (line->followed)
		return reply_close(d, reply, reply_len,
		    SMTP_CLOSE_STARTTLS_PIPELINING,
		    "554 5.5.1 Error: command pipelined after STARTTLS");

	reply_format(reply, reply_len, "220 2.0.0 Ready to start TLS\r\n");
	dialogue_set_state(d, DIALOGUE_STARTTLS_ACCEPTED);
	return SMTP_STEP_STARTTLS;
}

/*
 * A line that starts an HTTP request reaches an SMTP port when a browser or
 * an HTTP proxy is made to connect there.  Such cross-protocol attacks hide
 * SMTP commands in the request, so the session ends at the first line, as
 * Postfix does for CONNECT, GET and POST (smtpd_forbidden_commands).  PRI
 * starts the HTTP/2 connection preface (RFC 9113 section 3.4).
 */
static const char *const http_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
	"PATCH", "PRI", NULL,
};

/* MAIL, RCPT, DATA, BDAT, AUTH, VRFY, EXPN, HELP and unknown verbs. */
static enum smtp_step
command_needs_tls(struct smtp_dialogue *d, const struct command_line *line,
    char *reply, size_t *reply_len)
{
	(void)line;
	return reply_error(d, reply, reply_len,
	    "530 5.7.0 Must issue a STARTTLS command first");
}

static const struct {
	const char *verb;
	command_handler *handle;
} commands[] = {
	{ "EHLO", command_ehlo },
	{ "HELO", command_helo },
	{ "NOOP", command_noop },
	{ "RSET", command_rset },
	{ "QUIT", command_quit },
	{ "STARTTLS", command_starttls },
};

/* RFC 5321 section 2.4: verbs are case-insensitive (ASCII only). */
static bool
verb_equals(const char *verb, size_t verb_len, const char *name)
{
	for (size_t i = 0; i < verb_len; i++) {
		char c = verb[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (name[i] == '\0' || c != name[i])
			return false;
	}
	return name[verb_len] == '\0';
}

/*
 * Returns whether a line is an HTTP request line or an HTTP header line
 * ("Host: ...", "User-Agent: ...").  No SMTP verb ends in ':'.
 */
static bool
command_is_http(const struct command_line *line)
{
	if (line->verb[line->verb_len - 1] == ':')
		return true;
	for (size_t i = 0; http_methods[i] != NULL; i++) {
		if (verb_equals(line->verb, line->verb_len, http_methods[i]))
			return true;
	}
	return false;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Splits a line into verb and argument.  Like Postfix, blanks before the
 * verb and after the argument are ignored and tabs separate like spaces.
 * Returns false when the line contains no verb.
 */
static bool
command_line_split(struct command_line *line, const char *text, size_t len)
{
	size_t i = 0;
	size_t end = len;

	while (i < end && is_blank(text[i]))
		i++;
	while (end > i && is_blank(text[end - 1]))
		end--;
	if (i == end)
		return false;

	line->verb = text + i;
	while (i < end && !is_blank(text[i]))
		i++;
	line->verb_len = (size_t)(text + i - line->verb);

	while (i < end && is_blank(text[i]))
		i++;
	line->arg_len = end - i;
	return true;
}

/*
 * Handles one complete line.  len excludes the LF and any CR before it, and
 * bare_lf is true when that CR was missing.
 */
static enum smtp_step
dialogue_command(struct smtp_dialogue *d, const char *text, size_t len,
    bool bare_lf, char *reply, size_t *reply_len)
{
	struct command_line line;

	if (memchr(text, '\0', len) != NULL ||
	    !command_line_split(&line, text, len))
		return reply_error(d, reply, reply_len,
		    "500 5.5.2 Error: bad syntax");

	/*
	 * RFC 5321 section 2.3.8 allows CR only in the CRLF line end.  Servers
	 * disagree on what a bare CR means, so a line with one is refused.
	 */
	if (memchr(text, '\r', len) != NULL)
		return reply_error(d, reply, reply_len,
		    "500 5.5.2 Error: bare CR in a command line");

	if (command_is_http(&line)) {
		reply_format(reply, reply_len, "221 2.7.0 %s Error: this is an "
		    "SMTP server, not an HTTP server; closing\r\n", d->hostname);
		d->close_reason = SMTP_CLOSE_HTTP_COMMAND;
		dialogue_set_state(d, DIALOGUE_CLOSED);
		return SMTP_STEP_CLOSE;
	}

	if (bare_lf && d->reject_bare_lf)
		return reply_error(d, reply, reply_len,
		    "500 5.5.2 Error: bare LF in a command line, end lines "
		    "with CRLF");

	line.followed = d->in_start < d->in_len;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (verb_equals(line.verb, line.verb_len, commands[i].verb))
			return commands[i].handle(d, &line, reply, reply_len);
	}
	return command_needs_tls(d, &line, reply, reply_len);
}

/*
 * Drops buffered bytes up to and including the LF that ends an over-long
 * line.  Returns false when no LF is buffered yet, so all of it was dropped.
 */
static bool
dialogue_discard_line(struct smtp_dialogue *d)
{
	const char *start = d->in + d->in_start;
	const char *lf = memchr(start, '\n', d->in_len - d->in_start);

	if (lf == NULL) {
		d->in_start = d->in_len = 0;
		return false;
	}

	d->in_start = (size_t)(lf + 1 - d->in);
	dialogue_set_state(d, DIALOGUE_READING);
	return true;
}

struct smtp_dialogue *
smtp_dialogue_new(const char *hostname)
{
	struct smtp_dialogue *d;
	size_t len = strlen(hostname);

	if (len == 0 || len > DIALOGUE_HOSTNAME_MAX) {
		errno = EINVAL;
		return NULL;
	}

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	memcpy(d->hostname, hostname, len + 1);
	d->state = DIALOGUE_READING;
	d->close_reason = SMTP_CLOSE_NONE;
	d->max_errors = SMTP_DIALOGUE_MAX_ERRORS;
	return d;
}

void
smtp_dialogue_set_max_errors(struct smtp_dialogue *d, unsigned max_errors)
{
	d->max_errors = max_errors > 0 ? max_errors : 1;
}

void
smtp_dialogue_set_reject_bare_lf(struct smtp_dialogue *d, bool reject)
{
	d->reject_bare_lf = reject;
}

void
smtp_dialogue_free(struct smtp_dialogue *d)
{
	free(d);
}

char *
smtp_dialogue_input_space(struct smtp_dialogue *d, size_t *len)
{
	if (d->in_start > 0) {
		memmove(d->in, d->in + d->in_start, d->in_len - d->in_start);
		d->in_len -= d->in_start;
		d->in_start = 0;
	}

	*len = sizeof(d->in) - d->in_len;
	return d->in + d->in_len;
}

void
smtp_dialogue_commit(struct smtp_dialogue *d, size_t n)
{
	/* A caller's miscount must not move in_len past the buffer. */
	if (n > sizeof(d->in) - d->in_len)
		n = sizeof(d->in) - d->in_len;
	d->in_len += n;
}

enum smtp_step
smtp_dialogue_step(struct smtp_dialogue *d, char *reply, size_t *reply_len)
{
	const char *start;
	const char *lf;
	size_t line_len;
	size_t text_len;
	bool bare_lf;

	*reply_len = 0;
	if (d->state == DIALOGUE_STARTTLS_ACCEPTED ||
	    d->state == DIALOGUE_CLOSED)
		return SMTP_STEP_CLOSE;

	/*
	 * Like Postfix's smtpd_hard_error_limit, the limit is checked before
	 * the next command, so 421 follows the last error reply at once.
	 */
	if (d->errors >= d->max_errors) {
		reply_format(reply, reply_len,
		    "421 4.7.0 %s Error: too many errors\r\n", d->hostname);
		d->close_reason = SMTP_CLOSE_TOO_MANY_ERRORS;
		dialogue_set_state(d, DIALOGUE_CLOSED);
		return SMTP_STEP_CLOSE;
	}

	if (d->state == DIALOGUE_DISCARDING_LINE && !dialogue_discard_line(d))
		return SMTP_STEP_NEED_INPUT;

	/*
	 * No command starts with the byte that starts a TLS handshake record:
	 * the client sent a ClientHello without STARTTLS, because it speaks
	 * implicit TLS.  A plaintext reply would mean nothing to it.
	 */
	if (d->in_start < d->in_len &&
	    (unsigned char)d->in[d->in_start] == TLS_RECORD_HANDSHAKE) {
		d->close_reason = SMTP_CLOSE_TLS_CLIENT_HELLO;
		dialogue_set_state(d, DIALOGUE_CLOSED);
		return SMTP_STEP_CLOSE;
	}

	/* A bare LF ends a line too, as in Postfix, unless reject_bare_lf. */
	start = d->in + d->in_start;
	lf = memchr(start, '\n', d->in_len - d->in_start);
	if (lf == NULL) {
		if (d->in_len - d->in_start < SMTP_COMMAND_LINE_MAX)
			return SMTP_STEP_NEED_INPUT;

		d->in_start = d->in_len = 0;
		dialogue_set_state(d, DIALOGUE_DISCARDING_LINE);
		return reply_error(d, reply, reply_len,
		    "500 5.5.2 Error: line too long");
	}

	line_len = (size_t)(lf + 1 - start);
	d->in_start += line_len;
	if (line_len > SMTP_COMMAND_LINE_MAX)
		return reply_error(d, reply, reply_len,
		    "500 5.5.2 Error: line too long");

	text_len = line_len - 1;
	bare_lf = text_len == 0 || start[text_len - 1] != '\r';
	if (!bare_lf)
		text_len--;
	return dialogue_command(d, start, text_len, bare_lf, reply, reply_len);
}

enum smtp_close_reason
smtp_dialogue_close_reason(const struct smtp_dialogue *d)
{
	return d->close_reason;
}

const char *
smtp_close_reason_name(enum smtp_close_reason reason)
{
	switch (reason) {
	case SMTP_CLOSE_NONE:
		return "none";
	case SMTP_CLOSE_QUIT:
		return "quit";
	case SMTP_CLOSE_STARTTLS_PIPELINING:
		return "starttls_pipelining";
	case SMTP_CLOSE_TOO_MANY_ERRORS:
		return "too_many_errors";
	case SMTP_CLOSE_HTTP_COMMAND:
		return "http_command";
	case SMTP_CLOSE_TLS_CLIENT_HELLO:
		return "tls_on_starttls_port";
	}
	return "unknown";
}
