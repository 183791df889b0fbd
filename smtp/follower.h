/*
 * A follower of the SMTP conversation after TLS, in both directions.
 *
 * Pure protocol code: the relay passes each chunk of client bytes to
 * smtp_follower_client() and each chunk of backend bytes to
 * smtp_follower_server().  Each call consumes a prefix of the chunk, stops
 * after at most one event, and reports in the event what the caller does
 * with the consumed bytes.  The caller calls again with the rest of the chunk.
 *
 * Message content (after DATA's 354 until the lone "." line, and the counted
 * bytes of BDAT, RFC 3030) is never copied: the call returns a slice of the
 * chunk to forward unchanged.  A command line or reply line is copied into a
 * buffer of at most 512 bytes and handed back whole when its LF arrives, so the
 * caller can refuse a command (XCLIENT) or hold back EHLO reply lines to filter
 * them.  Memory per follower is therefore fixed.
 *
 * Commands and replies are matched in order, as pipelining requires (RFC
 * 2920).  After DATA, AUTH and each SASL response the client side waits for
 * the backend's reply, because only that reply says whether the next client
 * bytes are content, a SASL response or a command.
 */
#ifndef SMTP_FOLLOWER_H
#define SMTP_FOLLOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Maximum length of a command or reply line, CRLF included (RFC 5321 4.5.3.1.4-5). */
#define SMTP_FOLLOW_LINE_MAX 512

/* Maximum length of a reverse-path kept, without its NUL (RFC 5321 4.5.3.1.3). */
#define SMTP_FOLLOW_PATH_MAX 256

/* Maximum length of a backend queue id kept, without its NUL. */
#define SMTP_FOLLOW_QUEUE_ID_MAX 63

/* Maximum length of a SASL mechanism name, without its NUL (RFC 4422 3.1). */
#define SMTP_FOLLOW_MECHANISM_MAX 20

/* Maximum length of a login name kept, without its NUL. */
#define SMTP_FOLLOW_NAME_MAX 255

/* Commands and replied-to steps that are not a client's command line. */
enum smtp_command {
	SMTP_CMD_NONE,		/* a reply that answers nothing, such as a 421
				 * the backend sends before it closes */
	SMTP_CMD_GREETING,	/* the backend's 220 greeting */
	SMTP_CMD_EHLO,
	SMTP_CMD_HELO,
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_MESSAGE,	/* the "." line that ends DATA content */
	SMTP_CMD_BDAT,
	SMTP_CMD_AUTH,
	SMTP_CMD_AUTH_RESPONSE,	/* a SASL response line after a 334 */
	SMTP_CMD_RSET,
	SMTP_CMD_QUIT,
	SMTP_CMD_NOOP,
	SMTP_CMD_STARTTLS,
	SMTP_CMD_XCLIENT,
	SMTP_CMD_XFORWARD,
	SMTP_CMD_VRFY,
	SMTP_CMD_EXPN,
	SMTP_CMD_HELP,
	SMTP_CMD_UNKNOWN,	/* any other verb, or a line without one */
	SMTP_CMD_INVALID,	/* a line with a control byte other than HT
				 * (CR, LF at its end excepted): refuse it,
				 * never forward it */
};

enum smtp_follow_event_type {
	/* Client and server side. */
	SMTP_FOLLOW_NONE,	/* the consumed bytes are buffered in the
				 * follower or discarded: forward nothing */
	SMTP_FOLLOW_OUT_OF_MEMORY, /* the follower could not allocate memory:
				 * forward nothing and close the session */

	/* Client side. */
	SMTP_FOLLOW_CONTENT,	/* the consumed bytes are message content:
				 * forward them unchanged */
	SMTP_FOLLOW_MESSAGE_END, /* content up to and including the end of a
				 * message ("\r\n.\r\n", or the last byte of
				 * BDAT ... LAST): forward it */
	SMTP_FOLLOW_COMMAND,	/* line holds a complete command line, which
				 * is queued for its reply: forward line, or
				 * refuse it and call smtp_follower_drop_command() */
	SMTP_FOLLOW_AUTH_RESPONSE, /* line holds a SASL response: forward it,
				 * and never log it */
	SMTP_FOLLOW_LINE_TOO_LONG, /* a command or SASL response line passed
				 * SMTP_FOLLOW_LINE_MAX: it was dropped, and its
				 * rest is dropped as it arrives.  command is
				 * SMTP_CMD_AUTH_RESPONSE during AUTH, where
				 * the backend still waits for the response,
				 * so close the session */
	SMTP_FOLLOW_CONTENT_AMBIGUOUS, /* DATA content holds a line of only
				 * "." with a bare LF before or after it,
				 * which some backends take for the end of
				 * the message (SMTP smuggling).  The consumed
				 * bytes must not be forwarded, and the follower
				 * drops the rest of the client's bytes: refuse
				 * the message and close the session */
	SMTP_FOLLOW_WAIT,	/* nothing consumed: the next bytes cannot be
				 * read before the backend's reply to DATA,
				 * AUTH or a SASL response, or 64 commands wait
				 * for replies.  Stop reading the client until a
				 * server event arrives */

	/* Server side: line contains the reply line; forward it. */
	SMTP_FOLLOW_REPLY_LINE,	/* a line of a multi-line reply but not the
				 * last (EHLO keywords arrive so) */
	SMTP_FOLLOW_REPLY,	/* the last line of a reply to command */
	SMTP_FOLLOW_AUTH_SUCCEEDED, /* 235: smtp_follower_auth_user() is set */
	SMTP_FOLLOW_AUTH_FAILED, /* 535: smtp_follower_auth_failures() grew */
	SMTP_FOLLOW_MESSAGE_ACCEPTED, /* 2xx after a message: see
				 * smtp_follower_message() */
	SMTP_FOLLOW_MESSAGE_REJECTED, /* 4xx or 5xx after a message */
	SMTP_FOLLOW_REPLY_INVALID, /* not an SMTP reply: close the session */
};

/*
 * One event.  line points into the follower and stays valid until the next
 * call on the follower, either side: forward it before that.  For
 * SMTP_FOLLOW_COMMAND with command SMTP_CMD_AUTH and for
 * SMTP_FOLLOW_AUTH_RESPONSE it contains SASL data, which must not be logged.
 */
struct smtp_follow_event {
	enum smtp_follow_event_type type;
	enum smtp_command command;	/* the command line, or the command the
					 * reply answers */
	int code;			/* reply events: the reply code */
	const char *line;		/* the whole line, LF included, or NULL */
	size_t line_len;
};

/* The last message that got its final reply. */
struct smtp_follow_message {
	char sender[SMTP_FOLLOW_PATH_MAX + 1];	/* without <>; "" for <> */
	unsigned recipients;			/* RCPT commands accepted */
	uint64_t size;		/* bytes of content as the client sent them:
				 * dot-stuffing included, the final ".\r\n"
				 * excluded; for BDAT the sum of the chunks */
	char queue_id[SMTP_FOLLOW_QUEUE_ID_MAX + 1]; /* from "queued as ID",
				 * "" when the reply names none */
};

struct smtp_follower;

/*
 * Allocates a follower.  With greeting, the first reply from the backend is
 * taken as its greeting; without, the caller has consumed the greeting
 * already.  Returns NULL when out of memory.
 */
struct smtp_follower *smtp_follower_new(bool greeting);

/* Wipes and frees a follower.  NULL is allowed. */
void smtp_follower_free(struct smtp_follower *f);

/*
 * Follows len client bytes.  Returns how many bytes of data were consumed,
 * up to and including the one that completed the event written to *ev.  Only
 * SMTP_FOLLOW_WAIT and SMTP_FOLLOW_OUT_OF_MEMORY consume nothing while
 * len > 0.  With len 0, it returns 0
 * and SMTP_FOLLOW_NONE, or SMTP_FOLLOW_WAIT.
 */
size_t smtp_follower_client(struct smtp_follower *f, const char *data,
    size_t len, struct smtp_follow_event *ev);

/*
 * Follows len backend bytes.  Returns how many bytes were consumed, up to and
 * including the LF of the line that the event written to *ev reports.  After
 * SMTP_FOLLOW_REPLY_INVALID the follower consumes nothing more and reports
 * SMTP_FOLLOW_REPLY_INVALID again.  SMTP_FOLLOW_OUT_OF_MEMORY comes before
 * any byte is consumed, or with the line of a 235 reply or of a message's
 * final reply whose details could not be kept.
 */
size_t smtp_follower_server(struct smtp_follower *f, const char *data,
    size_t len, struct smtp_follow_event *ev);

/*
 * Frees the follower's state of commands in progress (line buffers, the
 * queue of commands awaiting replies, the paths of MAIL, the names of an AUTH
 * attempt: about 3 KB) when none of it is needed: no line partly read on
 * either side, no command awaiting its reply, no AUTH exchange under way and
 * no mail transaction open.  The line of the last event is invalid
 * afterwards.  The next call with input allocates it again.  Call it once the
 * events are handled, so an idle session does not keep it.
 */
void smtp_follower_release_buffers(struct smtp_follower *f);

/*
 * Takes back the command of the last SMTP_FOLLOW_COMMAND event, which the
 * caller refused instead of forwarding, so no backend reply is expected for
 * it.  Call it before the next call on the follower.  A refused DATA or AUTH
 * returns the client side to reading commands.  A refused BDAT does not: its
 * counted bytes are still reported as content.
 */
void smtp_follower_drop_command(struct smtp_follower *f);

/*
 * Returns how many commands (and message ends) wait for backend replies.  A
 * reply of subtls's own to a refused command keeps the order of replies only
 * when it is sent while this is 0 (RFC 2920 section 3.1).
 */
size_t smtp_follower_pending(const struct smtp_follower *f);

/*
 * Returns whether a mail transaction is open: the backend accepted MAIL, and
 * neither a final reply to the message nor a positive reply to RSET, EHLO
 * or HELO has ended it since.  Commands still waiting for replies are not
 * counted: see smtp_follower_pending().
 */
bool smtp_follower_in_transaction(const struct smtp_follower *f);

/*
 * Returns whether the client has sent part of a command line or SASL
 * response whose LF has not arrived yet.
 */
bool smtp_follower_line_started(const struct smtp_follower *f);

/*
 * Returns whether lines of a multi-line reply were handed out but not its
 * last line.  A reply of subtls's own sent then would land inside it; a
 * partial line, which the follower holds back, does not count.
 */
bool smtp_follower_reply_open(const struct smtp_follower *f);

/* Returns whether the backend accepted an AUTH (235). */
bool smtp_follower_authenticated(const struct smtp_follower *f);

/*
 * Returns the login name (authentication identity) of the successful AUTH,
 * or "" when there was none or it was not PLAIN or LOGIN.  Owned by f.
 */
const char *smtp_follower_auth_user(const struct smtp_follower *f);

/* Returns the PLAIN authorization identity of the successful AUTH, or "". */
const char *smtp_follower_auth_authzid(const struct smtp_follower *f);

/* Returns the SASL mechanism of the successful AUTH, upper case, or "". */
const char *smtp_follower_auth_mechanism(const struct smtp_follower *f);

/* Returns the SASL mechanism of the last AUTH that got 535, or "". */
const char *smtp_follower_failed_mechanism(const struct smtp_follower *f);

/* Returns the number of 535 replies to AUTH so far. */
unsigned smtp_follower_auth_failures(const struct smtp_follower *f);

/*
 * Returns the last message that got its final reply, valid from
 * SMTP_FOLLOW_MESSAGE_ACCEPTED or SMTP_FOLLOW_MESSAGE_REJECTED until the next
 * such event, and a message with empty fields before the first.  Owned by f.
 */
const struct smtp_follow_message *smtp_follower_message(
    const struct smtp_follower *f);

/* Returns the verb of a command ("MAIL") or a name for logs ("message"). */
const char *smtp_command_name(enum smtp_command command);

#endif
