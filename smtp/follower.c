/*
 * The follower's client side: command lines, DATA content up to the lone "."
 * line, BDAT chunks, SASL responses; and the follower's lifetime and
 * accessors.  The server side is in follower_server.c.
 *
 * Content is scanned, never copied: DATA content is matched against
 * "\r\n.\r\n" one byte at a time with the match state kept across calls, and
 * BDAT content is only counted.
 */
#include <stdlib.h>
#include <string.h>

#include "smtp/follower_internal.h"

/* "\r\n.\r\n" ends DATA content (RFC 5321 section 4.1.1.4). */
static const char data_end[] = "\r\n.\r\n";
#define DATA_END_LEN 5

/* Maximum digits of a BDAT size: 19 digits cannot overflow uint64_t. */
#define BDAT_SIZE_DIGITS_MAX 19

static const struct {
	const char *verb;
	enum smtp_command command;
} verbs[] = {
	{ "EHLO", SMTP_CMD_EHLO },
	{ "HELO", SMTP_CMD_HELO },
	{ "MAIL", SMTP_CMD_MAIL },
	{ "RCPT", SMTP_CMD_RCPT },
	{ "DATA", SMTP_CMD_DATA },
	{ "BDAT", SMTP_CMD_BDAT },
	{ "AUTH", SMTP_CMD_AUTH },
	{ "RSET", SMTP_CMD_RSET },
	{ "QUIT", SMTP_CMD_QUIT },
	{ "NOOP", SMTP_CMD_NOOP },
	{ "STARTTLS", SMTP_CMD_STARTTLS },
	{ "XCLIENT", SMTP_CMD_XCLIENT },
	{ "XFORWARD", SMTP_CMD_XFORWARD },
	{ "VRFY", SMTP_CMD_VRFY },
	{ "EXPN", SMTP_CMD_EXPN },
	{ "HELP", SMTP_CMD_HELP },
};

static char
ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool
is_blank(char c)
{
	/* Postfix splits a command at every isspace() byte, not only SP and
	 * HT; lines with the others are refused anyway (has_control_byte). */
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * Returns whether a command line contains a control byte other than HT.  Such
 * a line is never forwarded, because a backend may split words at bytes
 * that the follower does not (Postfix: at \v and \f), and so run a command,
 * XCLIENT say, that the follower took for another.
 */
static bool
has_control_byte(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < ' ' && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* Compares len bytes of s with the upper-case name, ignoring case. */
static bool
word_equals(const char *s, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len && name[i] != '\0'; i++) {
		if (ascii_upper(s[i]) != name[i])
			return false;
	}
	return i == len && name[i] == '\0';
}

/* Returns the length of a line without its LF and a CR before it. */
static size_t
line_text_len(const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len;
}

void
follower_pending_push(struct smtp_follower *f, enum smtp_command command,
    bool message_end, uint64_t message_size)
{
	size_t slot = (f->pending_first + f->pending_count) %
	    FOLLOWER_PENDING_MAX;

	f->pending[slot].command = command;
	f->pending[slot].message_end = message_end;
	f->pending[slot].message_size = message_size;
	f->pending_count++;
}

bool
follower_buffers_get(struct smtp_follower *f)
{
	if (f->buffers != NULL)
		return true;
	f->buffers = malloc(sizeof(*f->buffers));
	if (f->buffers == NULL)
		return false;
	f->client_line = f->buffers->client_line;
	f->server_line = f->buffers->server_line;
	f->pending = f->buffers->pending;
	f->mail_from = f->buffers->mail_from;
	f->mail_from[0] = '\0';
	f->sender = f->buffers->sender;
	f->sender[0] = '\0';
	f->auth_attempt = &f->buffers->auth_attempt;
	memset(f->auth_attempt, 0, sizeof(*f->auth_attempt));
	return true;
}

void
smtp_follower_release_buffers(struct smtp_follower *f)
{
	follower_client_line_wipe(f);
	if (f->buffers == NULL || f->client_line_len > 0 ||
	    f->pending_count > 0 || f->client_state == CLIENT_AUTH_RESPONSE ||
	    f->in_transaction)
		return;
	/* A complete reply line was reported already; a partial one stays. */
	if (f->server_line_len > 0 &&
	    f->server_line[f->server_line_len - 1] != '\n')
		return;

	/* A refused AUTH leaves its login name here. */
	explicit_bzero(f->auth_attempt, sizeof(*f->auth_attempt));
	free(f->buffers);
	f->buffers = NULL;
	f->client_line = NULL;
	f->server_line = NULL;
	f->pending = NULL;
	f->mail_from = NULL;
	f->sender = NULL;
	f->auth_attempt = NULL;
	f->server_line_len = 0;
	f->pending_first = 0;
}

void
follower_transaction_reset(struct smtp_follower *f)
{
	f->sender[0] = '\0';
	f->recipients = 0;
	f->in_transaction = false;
}

void
follower_client_line_wipe(struct smtp_follower *f)
{
	if (!f->client_line_complete)
		return;
	explicit_bzero(f->client_line, f->client_line_len);
	f->client_line_len = 0;
	f->client_line_complete = false;
}

/*
 * Stores the reverse-path of "MAIL FROM:<path> params", with blanks after the
 * colon accepted.  The sender counts only once the backend accepts the command.
 */
static void
client_mail_from(struct smtp_follower *f, const char *arg, size_t len)
{
	size_t i = 5, start, end;

	f->mail_from[0] = '\0';
	if (len < 5 || !word_equals(arg, 5, "FROM:"))
		return;
	while (i < len && is_blank(arg[i]))
		i++;

	if (i < len && arg[i] == '<') {
		start = ++i;
		while (i < len && arg[i] != '>')
			i++;
	} else {
		start = i;
		while (i < len && !is_blank(arg[i]))
			i++;
	}
	end = i;

	if (end - start > SMTP_FOLLOW_PATH_MAX)
		end = start + SMTP_FOLLOW_PATH_MAX;
	memcpy(f->mail_from, arg + start, end - start);
	f->mail_from[end - start] = '\0';
}

/*
 * Reads "BDAT size [LAST]" (RFC 3030 section 2).  Returns false for any other
 * argument, because a backend cannot know how many bytes follow then and
 * takes the next line as a command.
 */
static bool
bdat_parse(const char *arg, size_t len, uint64_t *size, bool *last)
{
	size_t i = 0;

	*size = 0;
	while (i < len && arg[i] >= '0' && arg[i] <= '9') {
		if (i == BDAT_SIZE_DIGITS_MAX)
			return false;
		*size = *size * 10 + (uint64_t)(arg[i] - '0');
		i++;
	}
	if (i == 0)
		return false;

	while (i < len && is_blank(arg[i]))
		i++;
	*last = len - i == 4 && word_equals(arg + i, 4, "LAST");
	return *last || i == len;
}

static void
client_bdat(struct smtp_follower *f, const char *arg, size_t len)
{
	uint64_t size;
	bool last;

	if (!bdat_parse(arg, len, &size, &last)) {
		follower_pending_push(f, SMTP_CMD_BDAT, false, 0);
		return;
	}

	f->content_size += size;
	follower_pending_push(f, SMTP_CMD_BDAT, last, f->content_size);
	if (last)
		f->content_size = 0;

	f->bdat_remaining = size;
	f->bdat_last = last;
	if (size > 0)
		f->client_state = CLIENT_BDAT_CONTENT;
}

/* Keeps the login name of a PLAIN or LOGIN response, never the password. */
static void
client_auth_decode(struct smtp_follower *f, const char *response, size_t len)
{
	struct auth_names *a = f->auth_attempt;

	if (strcmp(a->mechanism, "PLAIN") == 0 && a->authcid[0] == '\0') {
		smtp_auth_decode_plain(response, len, a->authzid, a->authcid);
	} else if (strcmp(a->mechanism, "LOGIN") == 0 &&
	    !f->auth_login_user_known) {
		smtp_auth_decode_login_user(response, len, a->authcid);
		f->auth_login_user_known = true;
	}
}

/* "AUTH mechanism [initial-response]" (RFC 4954 section 4). */
static void
client_auth(struct smtp_follower *f, const char *arg, size_t len)
{
	struct auth_names *a = f->auth_attempt;
	size_t i = 0, response;

	memset(a, 0, sizeof(*a));
	f->auth_login_user_known = false;
	while (i < len && !is_blank(arg[i])) {
		if (i < SMTP_FOLLOW_MECHANISM_MAX)
			a->mechanism[i] = ascii_upper(arg[i]);
		i++;
	}
	while (i < len && is_blank(arg[i]))
		i++;

	/* "=" is an empty initial response, which contains no login name. */
	response = i;
	if (response < len && !(len - response == 1 && arg[response] == '='))
		client_auth_decode(f, arg + response, len - response);

	follower_pending_push(f, SMTP_CMD_AUTH, false, 0);
	f->client_state = CLIENT_WAIT_REPLY;
}

static enum smtp_command
command_lookup(const char *verb, size_t len)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (word_equals(verb, len, verbs[i].verb))
			return verbs[i].command;
	}
	return SMTP_CMD_UNKNOWN;
}

/* Queues a complete command line and acts on what it starts. */
static enum smtp_command
client_command(struct smtp_follower *f, const char *line, size_t len)
{
	size_t i = 0, verb_start, verb_len;
	enum smtp_command command;

	if (has_control_byte(line, len)) {
		follower_pending_push(f, SMTP_CMD_INVALID, false, 0);
		return SMTP_CMD_INVALID;
	}
	while (i < len && is_blank(line[i]))
		i++;
	verb_start = i;
	while (i < len && !is_blank(line[i]))
		i++;
	verb_len = i - verb_start;
	while (i < len && is_blank(line[i]))
		i++;

	command = command_lookup(line + verb_start, verb_len);
	switch (command) {
	case SMTP_CMD_MAIL:
		client_mail_from(f, line + i, len - i);
		break;
	case SMTP_CMD_DATA:
		f->client_state = CLIENT_WAIT_REPLY;
		break;
	case SMTP_CMD_BDAT:
		client_bdat(f, line + i, len - i);
		return command;
	case SMTP_CMD_AUTH:
		client_auth(f, line + i, len - i);
		return command;
	case SMTP_CMD_RSET:
		f->content_size = 0;
		break;
	default:
		break;
	}

	follower_pending_push(f, command, false, 0);
	return command;
}

/* Reports the complete line in the buffer as a command or SASL response. */
static void
client_line_end(struct smtp_follower *f, struct smtp_follow_event *ev)
{
	size_t text_len = line_text_len(f->client_line, f->client_line_len);

	f->client_line_complete = true;
	ev->line = f->client_line;
	ev->line_len = f->client_line_len;

	if (f->client_state == CLIENT_AUTH_RESPONSE) {
		client_auth_decode(f, f->client_line, text_len);
		follower_pending_push(f, SMTP_CMD_AUTH_RESPONSE, false, 0);
		f->client_state = CLIENT_WAIT_REPLY;
		ev->type = SMTP_FOLLOW_AUTH_RESPONSE;
		ev->command = SMTP_CMD_AUTH_RESPONSE;
		return;
	}

	ev->type = SMTP_FOLLOW_COMMAND;
	ev->command = client_command(f, f->client_line, text_len);
}

/* Copies bytes of a command line or SASL response into the line buffer. */
static size_t
client_read_line(struct smtp_follower *f, const char *data, size_t len,
    struct smtp_follow_event *ev)
{
	if (f->client_state == CLIENT_COMMANDS && f->client_line_len == 0 &&
	    f->pending_count == FOLLOWER_PENDING_MAX) {
		ev->type = SMTP_FOLLOW_WAIT;
		return 0;
	}

	for (size_t i = 0; i < len; i++) {
		f->client_line[f->client_line_len++] = data[i];
		if (data[i] == '\n') {
			client_line_end(f, ev);
			return i + 1;
		}

		/*
		 * With its LF still to come, the line would pass the maximum.
		 * NOTE: RFC 4954 section 4 allows SASL responses of up to
		 * 12288 bytes, so mechanisms with long tokens (GSSAPI) get
		 * SMTP_FOLLOW_LINE_TOO_LONG; PLAIN and LOGIN fit.
		 */
		if (f->client_line_len == SMTP_FOLLOW_LINE_MAX) {
			explicit_bzero(f->client_line, f->client_line_len);
			f->client_line_len = 0;
			ev->type = SMTP_FOLLOW_LINE_TOO_LONG;
			ev->command = f->client_state == CLIENT_AUTH_RESPONSE ?
			    SMTP_CMD_AUTH_RESPONSE : SMTP_CMD_UNKNOWN;
			f->client_state = CLIENT_DISCARD_LINE;
			return i + 1;
		}
	}
	return len;
}

/*
 * Drops the rest of an over-long line.  Its AUTH exchange, if any, is over
 * for the follower: the next line is read as a command.
 */
static size_t
client_discard_line(struct smtp_follower *f, const char *data, size_t len)
{
	const char *lf = memchr(data, '\n', len);

	if (lf == NULL)
		return len;
	f->client_state = CLIENT_COMMANDS;
	return (size_t)(lf + 1 - data);
}

/* Advances the "\r\n.\r\n" match by one content byte. */
static unsigned
data_end_step(unsigned matched, char c)
{
	if (c == data_end[matched])
		return matched + 1;

	/*
	 * Only a CR can start a new match, and no prefix of the end repeats.
	 * Only CRLF.CRLF ends content here; a "." line next to a bare LF is
	 * caught by dot_line_step().
	 */
	return c == '\r' ? 1 : 0;
}

/*
 * Advances the search for a "." line with a bare LF before or after it by
 * one content byte, and returns true when such a line is complete.  Postfix
 * (without smtpd_forbid_bare_newline) and other servers take a bare LF for a
 * line end, so for them that line ends the message, and the bytes after it
 * are commands that the follower would take for content.
 */
static bool
dot_line_step(struct smtp_follower *f, char c)
{
	bool after_cr = f->content_cr;

	f->content_cr = c == '\r';
	if (c == '\n') {
		switch (f->dot_line) {
		case DOT_AFTER_CRLF:
		case DOT_AFTER_LF:
		case DOT_CR_AFTER_LF:
			return true;
		default:
			f->dot_line = after_cr ? DOT_START_CRLF : DOT_START_LF;
			return false;
		}
	}
	if (c == '.' && f->dot_line == DOT_START_CRLF)
		f->dot_line = DOT_AFTER_CRLF;
	else if (c == '.' && f->dot_line == DOT_START_LF)
		f->dot_line = DOT_AFTER_LF;
	else if (c == '\r' && f->dot_line == DOT_AFTER_CRLF)
		f->dot_line = DOT_CR_AFTER_CRLF;
	else if (c == '\r' && f->dot_line == DOT_AFTER_LF)
		f->dot_line = DOT_CR_AFTER_LF;
	else
		f->dot_line = DOT_MID_LINE;
	return false;
}

static size_t
client_data_content(struct smtp_follower *f, const char *data, size_t len,
    struct smtp_follow_event *ev)
{
	for (size_t i = 0; i < len; i++) {
		f->dot_match = data_end_step(f->dot_match, data[i]);
		if (f->dot_match < DATA_END_LEN) {
			if (!dot_line_step(f, data[i]))
				continue;
			f->client_state = CLIENT_DISCARD_ALL;
			ev->type = SMTP_FOLLOW_CONTENT_AMBIGUOUS;
			return i + 1;
		}

		/* The CRLF before the "." belongs to the content's last line. */
		f->content_size += i + 1;
		follower_pending_push(f, SMTP_CMD_MESSAGE, true,
		    f->content_size - (DATA_END_LEN - FOLLOWER_DATA_END_AT_START));
		f->content_size = 0;
		f->client_state = CLIENT_COMMANDS;
		ev->type = SMTP_FOLLOW_MESSAGE_END;
		return i + 1;
	}

	f->content_size += len;
	ev->type = SMTP_FOLLOW_CONTENT;
	return len;
}

/* BDAT content is counted only: its bytes, CRLF and "." included, mean nothing. */
static size_t
client_bdat_content(struct smtp_follower *f, size_t len,
    struct smtp_follow_event *ev)
{
	size_t n = len;

	if (n > f->bdat_remaining)
		n = (size_t)f->bdat_remaining;
	f->bdat_remaining -= n;

	ev->type = SMTP_FOLLOW_CONTENT;
	if (f->bdat_remaining == 0) {
		f->client_state = CLIENT_COMMANDS;
		if (f->bdat_last)
			ev->type = SMTP_FOLLOW_MESSAGE_END;
	}
	return n;
}

static void
event_clear(struct smtp_follow_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = SMTP_FOLLOW_NONE;
	ev->command = SMTP_CMD_NONE;
}

size_t
smtp_follower_client(struct smtp_follower *f, const char *data, size_t len,
    struct smtp_follow_event *ev)
{
	event_clear(ev);
	follower_client_line_wipe(f);

	if (f->client_state == CLIENT_WAIT_REPLY) {
		ev->type = SMTP_FOLLOW_WAIT;
		return 0;
	}
	if (len == 0)
		return 0;
	if (!follower_buffers_get(f)) {
		ev->type = SMTP_FOLLOW_OUT_OF_MEMORY;
		return 0;
	}

	switch (f->client_state) {
	case CLIENT_DISCARD_ALL:
		return len;
	case CLIENT_DATA_CONTENT:
		return client_data_content(f, data, len, ev);
	case CLIENT_BDAT_CONTENT:
		return client_bdat_content(f, len, ev);
	case CLIENT_DISCARD_LINE:
		return client_discard_line(f, data, len);
	default:
		return client_read_line(f, data, len, ev);
	}
}

void
smtp_follower_drop_command(struct smtp_follower *f)
{
	size_t slot;

	if (f->pending_count == 0)
		return;
	f->pending_count--;
	slot = (f->pending_first + f->pending_count) % FOLLOWER_PENDING_MAX;

	/* A refused DATA or AUTH gets no reply that would end the wait. */
	if (f->pending[slot].command == SMTP_CMD_DATA ||
	    f->pending[slot].command == SMTP_CMD_AUTH)
		f->client_state = CLIENT_COMMANDS;
}

struct smtp_follower *
smtp_follower_new(bool greeting)
{
	struct smtp_follower *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->client_state = CLIENT_COMMANDS;
	if (greeting) {
		if (!follower_buffers_get(f)) {
			free(f);
			return NULL;
		}
		follower_pending_push(f, SMTP_CMD_GREETING, false, 0);
	}
	return f;
}

void
smtp_follower_free(struct smtp_follower *f)
{
	if (f == NULL)
		return;
	if (f->buffers != NULL) {
		explicit_bzero(f->buffers, sizeof(*f->buffers));
		free(f->buffers);
	}
	free(f->auth);
	free(f->message);
	explicit_bzero(f, sizeof(*f));
	free(f);
}

size_t
smtp_follower_pending(const struct smtp_follower *f)
{
	return f->pending_count;
}

bool
smtp_follower_in_transaction(const struct smtp_follower *f)
{
	return f->in_transaction;
}

bool
smtp_follower_reply_open(const struct smtp_follower *f)
{
	return f->reply_code != 0;
}

bool
smtp_follower_line_started(const struct smtp_follower *f)
{
	return (f->client_state == CLIENT_COMMANDS ||
	    f->client_state == CLIENT_AUTH_RESPONSE ||
	    f->client_state == CLIENT_DISCARD_LINE) &&
	    (f->client_line_len > 0 || f->client_state == CLIENT_DISCARD_LINE) &&
	    !f->client_line_complete;
}

bool
smtp_follower_authenticated(const struct smtp_follower *f)
{
	return f->authenticated;
}

const char *
smtp_follower_auth_user(const struct smtp_follower *f)
{
	const char *mechanism = smtp_follower_auth_mechanism(f);
	const char *authzid = mechanism + strlen(mechanism) + 1;

	return f->auth != NULL ? authzid + strlen(authzid) + 1 : "";
}

const char *
smtp_follower_auth_authzid(const struct smtp_follower *f)
{
	const char *mechanism = smtp_follower_auth_mechanism(f);

	return f->auth != NULL ? mechanism + strlen(mechanism) + 1 : "";
}

const char *
smtp_follower_auth_mechanism(const struct smtp_follower *f)
{
	return f->auth != NULL ? f->auth : "";
}

const char *
smtp_follower_failed_mechanism(const struct smtp_follower *f)
{
	return f->failed_mechanism;
}

unsigned
smtp_follower_auth_failures(const struct smtp_follower *f)
{
	return f->auth_failures;
}

const struct smtp_follow_message *
smtp_follower_message(const struct smtp_follower *f)
{
	static const struct smtp_follow_message no_message;

	return f->message != NULL ? f->message : &no_message;
}
