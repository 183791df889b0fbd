/*
 * The follower's server side: backend replies, matched in order to the
 * commands that wait for them (RFC 2920 section 3.1).  Each final reply can
 * establish the DATA go-ahead, the AUTH outcome, the sender and recipients,
 * or the message's queue id.
 */
#include <stdlib.h>
#include <string.h>

#include "smtp/follower_internal.h"

/* The queue id follows this, as in Postfix's "250 2.0.0 Ok: queued as ID". */
static const char queued_as[] = "queued as ";
#define QUEUED_AS_LEN (sizeof(queued_as) - 1)

static const char *const command_names[] = {
	[SMTP_CMD_NONE] = "none",
	[SMTP_CMD_GREETING] = "greeting",
	[SMTP_CMD_EHLO] = "EHLO",
	[SMTP_CMD_HELO] = "HELO",
	[SMTP_CMD_MAIL] = "MAIL",
	[SMTP_CMD_RCPT] = "RCPT",
	[SMTP_CMD_DATA] = "DATA",
	[SMTP_CMD_MESSAGE] = "message",
	[SMTP_CMD_BDAT] = "BDAT",
	[SMTP_CMD_AUTH] = "AUTH",
	[SMTP_CMD_AUTH_RESPONSE] = "AUTH response",
	[SMTP_CMD_RSET] = "RSET",
	[SMTP_CMD_QUIT] = "QUIT",
	[SMTP_CMD_NOOP] = "NOOP",
	[SMTP_CMD_STARTTLS] = "STARTTLS",
	[SMTP_CMD_XCLIENT] = "XCLIENT",
	[SMTP_CMD_XFORWARD] = "XFORWARD",
	[SMTP_CMD_VRFY] = "VRFY",
	[SMTP_CMD_EXPN] = "EXPN",
	[SMTP_CMD_HELP] = "HELP",
	[SMTP_CMD_UNKNOWN] = "unknown",
	[SMTP_CMD_INVALID] = "invalid",
};

const char *
smtp_command_name(enum smtp_command command)
{
	if ((size_t)command >= sizeof(command_names) / sizeof(command_names[0]))
		return "unknown";
	return command_names[command];
}

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* RFC 5321 section 4.2: Reply-code = %x32-35 %x30-35 %x30-39. */
static bool
reply_code_valid(const char *line)
{
	return line[0] >= '2' && line[0] <= '5' &&
	    line[1] >= '0' && line[1] <= '5' &&
	    line[2] >= '0' && line[2] <= '9';
}

/* Copies the queue id after "queued as " in text, or "" when none. */
static void
queue_id_find(char *queue_id, const char *text, size_t len)
{
	size_t n = 0;

	queue_id[0] = '\0';
	for (size_t i = 0; i + QUEUED_AS_LEN <= len; i++) {
		size_t j = 0;

		while (j < QUEUED_AS_LEN && ascii_lower(text[i + j]) == queued_as[j])
			j++;
		if (j < QUEUED_AS_LEN)
			continue;

		i += QUEUED_AS_LEN;
		while (i + n < len && n < SMTP_FOLLOW_QUEUE_ID_MAX &&
		    text[i + n] > ' ' && text[i + n] < 0x7f)
			n++;
		memcpy(queue_id, text + i, n);
		queue_id[n] = '\0';
		return;
	}
}

/* Takes the oldest waiting command, or a NONE one when nothing waits. */
static struct pending
pending_pop(struct smtp_follower *f)
{
	struct pending p = { .command = SMTP_CMD_NONE };

	if (f->pending_count == 0)
		return p;
	p = f->pending[f->pending_first];
	f->pending_first = (f->pending_first + 1) % FOLLOWER_PENDING_MAX;
	f->pending_count--;
	return p;
}

static enum smtp_command
pending_peek(const struct smtp_follower *f)
{
	if (f->pending_count == 0)
		return SMTP_CMD_NONE;
	return f->pending[f->pending_first].command;
}

/* Keeps the names of a successful AUTH in one allocation of their size. */
static bool
auth_names_keep(struct smtp_follower *f, const struct auth_names *a)
{
	size_t mechanism = strlen(a->mechanism) + 1;
	size_t authzid = strlen(a->authzid) + 1;
	size_t authcid = strlen(a->authcid) + 1;
	char *names = malloc(mechanism + authzid + authcid);

	if (names == NULL)
		return false;
	memcpy(names, a->mechanism, mechanism);
	memcpy(names + mechanism, a->authzid, authzid);
	memcpy(names + mechanism + authzid, a->authcid, authcid);
	free(f->auth);
	f->auth = names;
	return true;
}

/* The reply to AUTH or to a SASL response (RFC 4954 section 6). */
static enum smtp_follow_event_type
reply_auth(struct smtp_follower *f, int code)
{
	if (code == 334) {
		f->client_state = CLIENT_AUTH_RESPONSE;
		return SMTP_FOLLOW_REPLY;
	}

	f->client_state = CLIENT_COMMANDS;
	if (code == 235) {
		if (!auth_names_keep(f, f->auth_attempt)) {
			explicit_bzero(f->auth_attempt,
			    sizeof(*f->auth_attempt));
			return SMTP_FOLLOW_OUT_OF_MEMORY;
		}
		f->authenticated = true;
	} else if (code == 535) {
		f->auth_failures++;
		memcpy(f->failed_mechanism, f->auth_attempt->mechanism,
		    sizeof(f->failed_mechanism));
	}
	explicit_bzero(f->auth_attempt, sizeof(*f->auth_attempt));

	if (code == 235)
		return SMTP_FOLLOW_AUTH_SUCCEEDED;
	if (code == 535)
		return SMTP_FOLLOW_AUTH_FAILED;
	return SMTP_FOLLOW_REPLY;
}

/* The final reply to a message, after "." or BDAT ... LAST. */
static enum smtp_follow_event_type
reply_message(struct smtp_follower *f, const struct pending *p, int code,
    const char *text, size_t len)
{
	struct smtp_follow_message *m = f->message;
	bool accepted = code >= 200 && code < 300;

	if (m == NULL && (m = f->message = malloc(sizeof(*m))) == NULL) {
		follower_transaction_reset(f);
		return SMTP_FOLLOW_OUT_OF_MEMORY;
	}

	memcpy(m->sender, f->sender, sizeof(m->sender));
	m->recipients = f->recipients;
	m->size = p->message_size;
	if (accepted)
		queue_id_find(m->queue_id, text, len);
	else
		m->queue_id[0] = '\0';

	/* RFC 5321 section 4.1.1.4: the transaction ends either way. */
	follower_transaction_reset(f);
	return accepted ? SMTP_FOLLOW_MESSAGE_ACCEPTED :
	    SMTP_FOLLOW_MESSAGE_REJECTED;
}

/* Acts on the last line of a reply.  text excludes the line ending. */
static enum smtp_follow_event_type
reply_final(struct smtp_follower *f, const struct pending *p, int code,
    const char *text, size_t len)
{
	bool positive = code >= 200 && code < 300;

	if (p->message_end)
		return reply_message(f, p, code, text, len);

	switch (p->command) {
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
	case SMTP_CMD_RSET:
		if (positive)
			follower_transaction_reset(f);
		break;
	case SMTP_CMD_MAIL:
		if (positive) {
			memcpy(f->sender, f->mail_from,
			    SMTP_FOLLOW_PATH_MAX + 1);
			f->recipients = 0;
			f->in_transaction = true;
		}
		break;
	case SMTP_CMD_RCPT:
		if (positive)
			f->recipients++;
		break;
	case SMTP_CMD_DATA:
		/* RFC 5321 section 4.1.1.4: content follows only a 354. */
		if (code == 354) {
			f->client_state = CLIENT_DATA_CONTENT;
			f->dot_match = FOLLOWER_DATA_END_AT_START;
			f->dot_line = DOT_START_CRLF;
			f->content_cr = false;
			f->content_size = 0;
		} else {
			f->client_state = CLIENT_COMMANDS;
		}
		break;
	case SMTP_CMD_AUTH:
	case SMTP_CMD_AUTH_RESPONSE:
		return reply_auth(f, code);
	default:
		break;
	}
	return SMTP_FOLLOW_REPLY;
}

/*
 * Checks a complete reply line and reports it.  A line is a code, then '-'
 * before a further line, or ' ' or nothing on the last line.  Every line of a
 * reply has the same code (RFC 5321 section 4.2).
 */
static void
server_line_end(struct smtp_follower *f, struct smtp_follow_event *ev)
{
	const char *line = f->server_line;
	size_t len = f->server_line_len;
	size_t text_len = len - 1;
	struct pending p;
	bool last;
	int code;

	if (text_len > 0 && line[text_len - 1] == '\r')
		text_len--;
	if (text_len < 3 || !reply_code_valid(line) ||
	    (text_len > 3 && line[3] != '-' && line[3] != ' ')) {
		f->reply_invalid = true;
		ev->type = SMTP_FOLLOW_REPLY_INVALID;
		return;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (f->reply_code != 0 && code != f->reply_code) {
		f->reply_invalid = true;
		ev->type = SMTP_FOLLOW_REPLY_INVALID;
		return;
	}

	ev->code = code;
	ev->line = line;
	ev->line_len = len;
	last = text_len == 3 || line[3] == ' ';
	if (!last) {
		f->reply_code = code;
		ev->type = SMTP_FOLLOW_REPLY_LINE;
		ev->command = pending_peek(f);
		return;
	}

	f->reply_code = 0;
	p = pending_pop(f);
	ev->command = p.command;
	ev->type = reply_final(f, &p, code, line, text_len);
}

size_t
smtp_follower_server(struct smtp_follower *f, const char *data, size_t len,
    struct smtp_follow_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = SMTP_FOLLOW_NONE;
	ev->command = SMTP_CMD_NONE;
	follower_client_line_wipe(f);

	if (f->reply_invalid) {
		ev->type = SMTP_FOLLOW_REPLY_INVALID;
		return 0;
	}
	if (len > 0 && !follower_buffers_get(f)) {
		ev->type = SMTP_FOLLOW_OUT_OF_MEMORY;
		return 0;
	}

	/* A line ending from the previous call's event starts a new line. */
	if (f->server_line_len > 0 &&
	    f->server_line[f->server_line_len - 1] == '\n')
		f->server_line_len = 0;

	for (size_t i = 0; i < len; i++) {
		f->server_line[f->server_line_len++] = data[i];
		if (data[i] == '\n') {
			server_line_end(f, ev);
			return i + 1;
		}
		if (f->server_line_len == SMTP_FOLLOW_LINE_MAX) {
			f->reply_invalid = true;
			ev->type = SMTP_FOLLOW_REPLY_INVALID;
			return i + 1;
		}
	}
	return len;
}
