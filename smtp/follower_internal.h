/*
 * The follower's state, shared by its client side (follower.c) and its
 * server side (follower_server.c).  Not for use outside smtp/.
 */
#ifndef SMTP_FOLLOWER_INTERNAL_H
#define SMTP_FOLLOWER_INTERNAL_H

#include "smtp/auth_decode.h"
#include "smtp/follower.h"

/*
 * Commands that may wait for their replies at once.  A client that pipelines
 * more gets SMTP_FOLLOW_WAIT until replies arrive, which keeps the queue
 * bounded.
 */
#define FOLLOWER_PENDING_MAX 64


/*
 * Bytes of "\r\n.\r\n" already matched when DATA content starts: the CRLF
 * of the DATA line, so content that starts with ".\r\n" is an empty message.
 */
#define FOLLOWER_DATA_END_AT_START 2

/*
 * Where DATA content is relative to a line that holds only ".", for the
 * lines that end content for a backend that also takes a bare LF as a line
 * end but not for the follower.
 */
enum dot_line {
	DOT_MID_LINE,
	DOT_START_CRLF,		/* at a line start after CRLF */
	DOT_START_LF,		/* at a line start after a bare LF */
	DOT_AFTER_CRLF,		/* "." at a line start after CRLF */
	DOT_AFTER_LF,		/* "." at a line start after a bare LF */
	DOT_CR_AFTER_CRLF,	/* ".\r" after CRLF: "\n" ends content */
	DOT_CR_AFTER_LF,	/* ".\r" after a bare LF */
};

/* The client side's position in the byte stream. */
enum client_state {
	CLIENT_COMMANDS,	/* reading command lines */
	CLIENT_WAIT_REPLY,	/* after DATA, AUTH or a SASL response */
	CLIENT_AUTH_RESPONSE,	/* the next line is a SASL response */
	CLIENT_DATA_CONTENT,	/* after 354, until "\r\n.\r\n" */
	CLIENT_BDAT_CONTENT,	/* the counted bytes of a BDAT chunk */
	CLIENT_DISCARD_LINE,	/* dropping an over-long line up to its LF */
	CLIENT_DISCARD_ALL,	/* after SMTP_FOLLOW_CONTENT_AMBIGUOUS */
};

/* A command, or the end of a message, that waits for its reply. */
struct pending {
	enum smtp_command command;
	bool message_end;	/* its reply is the message's final reply */
	uint64_t message_size;	/* with message_end */
};

/* A name of the AUTH in progress or of the successful one. */
struct auth_names {
	char mechanism[SMTP_FOLLOW_MECHANISM_MAX + 1];
	char authzid[SMTP_AUTH_NAME_MAX + 1];
	char authcid[SMTP_AUTH_NAME_MAX + 1];
};

/*
 * The state of commands in progress, in one block that exists only while the
 * follower needs it.  The first call with input allocates it.
 * smtp_follower_release_buffers() frees it once no line is partly read on
 * either side, no command awaits a reply, no AUTH exchange is under way and
 * no mail transaction is open, so an idle session does not keep it.
 */
struct follower_buffers {
	char client_line[SMTP_FOLLOW_LINE_MAX];
	char server_line[SMTP_FOLLOW_LINE_MAX];
	struct pending pending[FOLLOWER_PENDING_MAX];
	char mail_from[SMTP_FOLLOW_PATH_MAX + 1];
	char sender[SMTP_FOLLOW_PATH_MAX + 1];
	struct auth_names auth_attempt;
};

struct smtp_follower {
	/* Client side. */
	enum client_state client_state;
	struct follower_buffers *buffers;	/* NULL while not needed */
	char *client_line;	/* in buffers */
	size_t client_line_len;
	bool client_line_complete; /* handed out in an event: wipe it next */
	unsigned dot_match;	/* bytes of "\r\n.\r\n" matched in content */
	enum dot_line dot_line;
	bool content_cr;	/* the last content byte was CR */
	uint64_t content_size;	/* content bytes of the current message */
	uint64_t bdat_remaining;
	bool bdat_last;
	bool auth_login_user_known; /* LOGIN: the next response is a password */

	/* Commands waiting for replies, oldest first: a ring in buffers. */
	struct pending *pending;
	size_t pending_first;
	size_t pending_count;

	/* Server side. */
	char *server_line;	/* in buffers */
	size_t server_line_len;
	int reply_code;		/* code of the reply being read, 0 before */
	bool reply_invalid;

	/* What the conversation established. */
	char *mail_from;	/* in buffers: of the last MAIL sent */
	char *sender;		/* in buffers: of the accepted MAIL, "" outside
				 * a transaction */
	unsigned recipients;
	bool in_transaction;	/* MAIL accepted, no final reply yet */
	struct smtp_follow_message *message;	/* NULL before the first */
	struct auth_names *auth_attempt; /* in buffers: of the AUTH in
					  * progress */
	char *auth;		/* of the successful AUTH, NULL before: its
				 * mechanism, authzid and authcid, each
				 * ending in NUL */
	bool authenticated;
	unsigned auth_failures;
	char failed_mechanism[SMTP_FOLLOW_MECHANISM_MAX + 1]; /* of the last 535 */
};

/*
 * Allocates f->buffers unless it exists.  Returns false when out of memory.
 */
bool follower_buffers_get(struct smtp_follower *f);

/*
 * Appends a command to the pending queue.  The caller checked for room and
 * that f->buffers exists.
 */
void follower_pending_push(struct smtp_follower *f, enum smtp_command command,
    bool message_end, uint64_t message_size);

/* Clears the transaction that MAIL started (RSET, EHLO, a message's end). */
void follower_transaction_reset(struct smtp_follower *f);

/* Wipes a command line handed out in the last event: it may hold a password. */
void follower_client_line_wipe(struct smtp_follower *f);

#endif
