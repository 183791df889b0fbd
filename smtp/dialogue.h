/*
 * The SMTP dialogue of a STARTTLS listener before TLS (RFC 3207, RFC 6409).
 *
 * Pure protocol code: the caller reads client bytes into the space this module
 * hands out, then calls smtp_dialogue_step() until it returns
 * SMTP_STEP_NEED_INPUT.  Each
 * step handles one command line and writes its reply.  Only EHLO, HELO, NOOP,
 * RSET, QUIT and STARTTLS are served; every other command gets 530, so nothing
 * that needs TLS (AUTH, MAIL, ...) can happen in plaintext.  No reply contains
 * client bytes, so a reply cannot carry what a client injected.
 */
#ifndef SMTP_DIALOGUE_H
#define SMTP_DIALOGUE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest command line, CRLF included (RFC 5321 section 4.5.3.1.4). */
#define SMTP_COMMAND_LINE_MAX 512

/* A reply buffer of this size fits any single reply of the dialogue. */
#define SMTP_DIALOGUE_REPLY_MAX 512

/*
 * Error replies (500, 501 and 530) after which the next step writes 421 and
 * closes, unless smtp_dialogue_set_max_errors() sets another number (the
 * max_errors setting).  Successful commands do not reset the count.
 */
#define SMTP_DIALOGUE_MAX_ERRORS 10

enum smtp_step {
	SMTP_STEP_NEED_INPUT,	/* no complete line is buffered: read more */
	SMTP_STEP_REPLY,	/* a reply was written: send it, step again */
	SMTP_STEP_STARTTLS,	/* "220 2.0.0 Ready to start TLS" was written:
				 * send it, then start the handshake */
	SMTP_STEP_CLOSE,	/* a final reply was written: send it, close */
};

enum smtp_close_reason {
	SMTP_CLOSE_NONE,
	SMTP_CLOSE_QUIT,		/* 221 after QUIT */
	SMTP_CLOSE_STARTTLS_PIPELINING,	/* 554: bytes followed STARTTLS */
	SMTP_CLOSE_TOO_MANY_ERRORS,	/* 421 after max_errors error replies */
	SMTP_CLOSE_HTTP_COMMAND,	/* 221 after an HTTP request line or
					 * header line */
	SMTP_CLOSE_TLS_CLIENT_HELLO,	/* no reply: a TLS handshake record
					 * where a command line should start */
};

struct smtp_dialogue;

/*
 * Allocates a dialogue.  hostname is copied and names subtls in the 250 and
 * 421 replies.  Returns NULL with errno EINVAL when hostname is empty or longer
 * than 255 bytes (the maximum of a domain name), or with errno ENOMEM when out
 * of memory.
 */
struct smtp_dialogue *smtp_dialogue_new(const char *hostname);
void smtp_dialogue_free(struct smtp_dialogue *d);

/*
 * Sets the number of error replies after which the next step writes 421 and
 * closes; a new dialogue starts with SMTP_DIALOGUE_MAX_ERRORS.  max_errors 0
 * counts as 1, so that a client can never send commands without a limit.
 */
void smtp_dialogue_set_max_errors(struct smtp_dialogue *d, unsigned max_errors);

/*
 * Sets whether a command line that ends in a bare LF (no CR before it) gets
 * 500 and counts as an error.  The default accepts it as a line end, as
 * Postfix does.  A bare CR anywhere else in a line is always an error.
 */
void smtp_dialogue_set_reject_bare_lf(struct smtp_dialogue *d, bool reject);

/*
 * Returns where the next client bytes go and, in *len, how many fit.  After the
 * read, call smtp_dialogue_commit() with the number of bytes written there.
 * Before the first step, and whenever the last smtp_dialogue_step() returned
 * SMTP_STEP_NEED_INPUT, at least SMTP_COMMAND_LINE_MAX bytes fit, because an
 * over-long line is discarded, not kept.  Reading again while complete lines
 * are still buffered can fill the buffer, so *len can then be 0.
 */
char *smtp_dialogue_input_space(struct smtp_dialogue *d, size_t *len);
void smtp_dialogue_commit(struct smtp_dialogue *d, size_t n);

/*
 * Handles the next complete command line, if any.  The reply is written to
 * reply (at least SMTP_DIALOGUE_REPLY_MAX bytes) and its length to *reply_len;
 * SMTP_STEP_NEED_INPUT writes nothing.  After SMTP_STEP_STARTTLS nothing is
 * left in the input buffer: bytes pipelined after STARTTLS give SMTP_STEP_CLOSE
 * with a 554 reply instead (the CVE-2011-0411 injection class).
 *
 * Once SMTP_STEP_STARTTLS or SMTP_STEP_CLOSE was returned the dialogue is
 * over: buffered input is dropped and every further call returns
 * SMTP_STEP_CLOSE with an empty reply, leaving the close reason unchanged.
 */
enum smtp_step smtp_dialogue_step(struct smtp_dialogue *d, char *reply,
    size_t *reply_len);

/* Returns the reason for the last SMTP_STEP_CLOSE, or SMTP_CLOSE_NONE. */
enum smtp_close_reason smtp_dialogue_close_reason(const struct smtp_dialogue *d);

/* A short name for a close reason, for logs ("quit", "starttls_pipelining"). */
const char *smtp_close_reason_name(enum smtp_close_reason reason);

#endif
