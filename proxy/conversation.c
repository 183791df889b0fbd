/*
 * The SMTP conversation after TLS: the relay passes every byte through the
 * follower (smtp/follower.h), which separates commands from message content
 * in both directions.  subtls rejects the commands that must not reach the
 * backend: XCLIENT, XFORWARD, STARTTLS, lines with control bytes, and MAIL
 * before AUTH.  It removes backend-only keywords from EHLO replies, sends
 * the client's identity with XCLIENT, adds the trace header, and logs AUTH
 * outcomes and messages.
 *
 * Content is never copied: a backend write refers to the slices of the
 * decrypted client buffer, and the client buffer is reused only once that
 * write is done.  Only command lines, which the follower hands out in its own
 * buffer, and what subtls adds are copied, into a side buffer that goes
 * with the write.
 *
 * Replies keep their order (RFC 2920 section 3.1).  A reply of subtls's own
 * waits until the backend has replied to every command before it, and the
 * client is not followed further meanwhile.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/auth_throttle.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "smtp/ehlo_filter.h"
#include "smtp/follower.h"
#include "smtp/trace.h"
#include "smtp/xclient.h"
#include "tls/engine.h"

/* Buffers one backend write may gather, and the room kept for copies. */
#define BATCH_BUFS 16
#define BATCH_SIDE (8 * SMTP_FOLLOW_LINE_MAX + SMTP_TRACE_HEADER_MAX)

/* Most bytes one event adds: a rewritten BDAT line and the trace header. */
#define BATCH_EVENT_MAX (SMTP_FOLLOW_LINE_MAX + 32 + SMTP_TRACE_HEADER_MAX)

/* The keywords every EHLO reply loses, before discard_ehlo_keywords. */
static const char *const always_discarded[] = {
	"STARTTLS", "XCLIENT", "XFORWARD", NULL,
};

static const char reply_xclient[] = "550 5.7.0 XCLIENT not permitted\r\n";
static const char reply_xforward[] = "550 5.7.0 XFORWARD not permitted\r\n";
static const char reply_starttls[] = "554 5.5.1 Error: TLS already active\r\n";
static const char reply_auth_required[] =
    "530 5.7.0 Authentication required\r\n";
static const char reply_line_too_long[] = "500 5.5.2 Line too long\r\n";
static const char reply_control_byte[] =
    "500 5.5.2 Error: control character in a command line\r\n";
/* RFC 4954 section 6. */
static const char reply_sasl_too_long[] =
    "500 5.5.6 Authentication Exchange line is too long\r\n";
static const char reply_ambiguous_end[] =
    "554 5.5.2 Error: bare LF next to a \".\" line, message refused\r\n";

/* One backend write being gathered. */
struct batch {
	uv_buf_t bufs[BATCH_BUFS];
	unsigned count;
	char *side;			/* copies, allocated on first use */
	size_t side_len;
	bool secret;			/* side holds AUTH data: wipe it */
};

/* Adds a buffer, or extends the last one when data continues it. */
static void
batch_add(struct batch *b, const char *data, size_t len)
{
	uv_buf_t *last = b->count > 0 ? &b->bufs[b->count - 1] : NULL;

	if (len == 0)
		return;
	if (last != NULL && last->base + last->len == data) {
		last->len += len;
		return;
	}
	b->bufs[b->count++] = uv_buf_init((char *)data, (unsigned)len);
}

static bool
batch_copy(struct batch *b, const char *data, size_t len)
{
	if (b->side == NULL && (b->side = malloc(BATCH_SIDE)) == NULL)
		return false;
	memcpy(b->side + b->side_len, data, len);
	batch_add(b, b->side + b->side_len, len);
	/* b->side stays in *b, which follow_client() frees or hands over
	 * with the write; the analyzer loses track of it in batch_add(). */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	b->side_len += len;
	return true;
}

static void
batch_free(struct batch *b)
{
	if (b->secret && b->side != NULL)
		explicit_bzero(b->side, b->side_len);
	free(b->side);
}

static bool
batch_has_room(const struct batch *b)
{
	return b->count + 3 <= BATCH_BUFS &&
	    BATCH_SIDE - b->side_len >= BATCH_EVENT_MAX;
}

/*
 * Gives a command line that is still arriving one command_timeout from its
 * first byte, as before TLS, so a client that trickles a line byte by byte
 * is cut at that deadline and not kept alive by idle_timeout.
 */
static void
line_deadline_update(struct session *s)
{
	bool started = smtp_follower_line_started(s->follower);

	if (started && s->line_started_ms == 0) {
		s->line_started_ms = uv_now(&s->server->loop);
		session_update_timer(s);
	} else if (!started)
		s->line_started_ms = 0;
}

/* Starts the reply_timeout of the backend's next reply from now. */
static void
reply_wait_start(struct session *s)
{
	s->reply_wait_ms = uv_now(&s->server->loop);
	session_update_timer(s);
}

void
conversation_start(struct session *s)
{
	bool greeting = s->listener->config->mode == CONFIG_MODE_IMPLICIT;

	s->follower = smtp_follower_new(greeting);
	if (s->follower == NULL) {
		session_close(s, "out_of_memory", NULL);
		return;
	}
	if (s->server->config->backend.identity == CONFIG_IDENTITY_XCLIENT)
		s->xclient = XCLIENT_BEFORE;
	/* On an implicit TLS listener the backend's greeting is awaited. */
	reply_wait_start(s);
}

/* Frees the client buffer, which may have held a password. */
static void
client_buf_free(struct session *s)
{
	if (s->client_buf != NULL)
		explicit_bzero(s->client_buf, s->client_len);
	free(s->client_buf);
	s->client_buf = NULL;
	s->client_off = s->client_len = 0;
}

void
conversation_free(struct session *s)
{
	smtp_follower_free(s->follower);
	s->follower = NULL;
	client_buf_free(s);
	free(s->ehlo);
	s->ehlo = NULL;
	free(s->helo);
	s->helo = NULL;
	if (s->xclient_held != NULL)
		explicit_bzero(s->xclient_held, s->xclient_held_len);
	free(s->xclient_held);
	s->xclient_held = NULL;
	free(s->xclient_reply);
	s->xclient_reply = NULL;
}

bool
conversation_client_blocked(const struct session *s)
{
	return s->client_off < s->client_len || s->client_waiting ||
	    s->refusal != NULL || s->xclient == XCLIENT_HELD ||
	    s->xclient == XCLIENT_SENT || s->drain_held;
}

/* Keeps the name of an EHLO or HELO line for XCLIENT and the trace header. */
static void
remember_helo(struct session *s, const char *line, size_t len)
{
	const char *name;
	size_t n = smtp_helo_argument(line, len, &name);
	char *copy;

	if (n == 0 || (copy = strndup(name, n)) == NULL)
		return;
	free(s->helo);
	s->helo = copy;
}

/* Writes the trace header of the current message into out; 0 if off. */
static size_t
trace_header(struct session *s, char *out, size_t cap)
{
	const struct config_backend *backend = &s->server->config->backend;
	const char *user = smtp_follower_auth_user(s->follower);
	struct smtp_trace t = {
		.client = (const struct sockaddr *)&s->client_addr,
		.helo = s->helo,
		.by = s->server->config->global.hostname,
		.listener = s->listener->config->name,
		.tls_version = tls_engine_version(s->tls),
		.cipher = tls_engine_cipher(s->tls),
		.sni = tls_engine_sni(s->tls),
		.user = backend->trace_auth_user && user[0] != '\0' ? user :
		    NULL,
		.authenticated = smtp_follower_authenticated(s->follower),
		.id = s->id,
		.when = time(NULL),
	};

	s->trace_due = false;
	return smtp_trace_header(out, cap, &t);
}

/*
 * The first BDAT of a message carries the trace header: its size grows by
 * the header's length, and the header goes first in its chunk (RFC 3030).
 */
static bool
bdat_with_trace(struct session *s, struct batch *b, const char *line,
    size_t len)
{
	char header[SMTP_TRACE_HEADER_MAX], verb[SMTP_FOLLOW_LINE_MAX + 32];
	size_t hlen = trace_header(s, header, sizeof(header));
	size_t i = 0, start, vlen;
	uint64_t size = 0;

	/* The follower allows blanks before the verb and after it. */
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	i += 4;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	start = i;
	while (i < len && isdigit((unsigned char)line[i]) &&
	    size < UINT64_MAX / 10)
		size = size * 10 + (uint64_t)(line[i++] - '0');
	if (hlen == 0 || i == start)
		return batch_copy(b, line, len);

	vlen = (size_t)snprintf(verb, sizeof(verb), "BDAT %" PRIu64 "%.*s",
	    size + hlen, (int)(len - i), line + i);
	return batch_copy(b, verb, vlen) && batch_copy(b, header, hlen);
}

static void
refuse(struct session *s, const char *reply, enum config_log_level level,
    const char *why)
{
	smtp_follower_drop_command(s->follower);
	s->refusal = reply;
	session_log(s, level, "refused %s", why);
}

/* Sends a held refusal once the backend has replied to every earlier command. */
static bool
release_refusal(struct session *s)
{
	const char *reply = s->refusal;

	if (reply == NULL || smtp_follower_pending(s->follower) > 0)
		return true;
	s->refusal = NULL;
	s->bytes_out += strlen(reply);
	return session_reply_tls(s, reply, strlen(reply));
}

static void
send_xclient(struct session *s)
{
	char *line = malloc(SMTP_FOLLOW_LINE_MAX + 1);
	size_t n;

	if (line == NULL || (s->xclient_reply == NULL &&
	    (s->xclient_reply = calloc(1, SESSION_XCLIENT_REPLY_MAX)) == NULL)) {
		free(line);
		session_close(s, "out_of_memory", NULL);
		return;
	}
	n = smtp_xclient_encode(line, SMTP_FOLLOW_LINE_MAX + 1,
	    (const struct sockaddr *)&s->client_addr, s->helo);
	if (n == 0) {
		free(line);
		session_close(s, "identity_failed",
		    "cannot encode the client address for XCLIENT");
		return;
	}
	s->xclient = XCLIENT_SENT;
	s->xclient_reply_len = 0;
	smtp_reply_reader_init(&s->greeting);
	session_write_backend(s, line, n);
}

/* Sends XCLIENT once only the held command waits for a reply. */
static void
xclient_maybe_send(struct session *s)
{
	if (s->xclient == XCLIENT_HELD &&
	    smtp_follower_pending(s->follower) == 1)
		send_xclient(s);
}

/* Handles one command line; false if the session closed. */
static bool
client_command(struct session *s, struct batch *b,
    const struct smtp_follow_event *ev)
{
	switch (ev->command) {
	case SMTP_CMD_INVALID:
		refuse(s, reply_control_byte, CONFIG_LOG_WARNING,
		    "a command line with a control character");
		return true;
	case SMTP_CMD_XCLIENT:
		refuse(s, reply_xclient, CONFIG_LOG_WARNING,
		    "the client's XCLIENT command");
		return true;
	case SMTP_CMD_XFORWARD:
		refuse(s, reply_xforward, CONFIG_LOG_WARNING,
		    "the client's XFORWARD command");
		return true;
	case SMTP_CMD_STARTTLS:
		refuse(s, reply_starttls, CONFIG_LOG_INFO,
		    "STARTTLS after TLS");
		return true;
	case SMTP_CMD_MAIL:
		if (s->listener->config->require_auth &&
		    !smtp_follower_authenticated(s->follower)) {
			refuse(s, reply_auth_required, CONFIG_LOG_INFO,
			    "MAIL before AUTH (require_auth = yes)");
			return true;
		}
		/* While draining no new transaction starts: the MAIL stays
		 * unsent, and the client gets 421 once earlier replies are
		 * out (conversation_drain_check). */
		if (s->server->draining &&
		    !smtp_follower_in_transaction(s->follower)) {
			smtp_follower_drop_command(s->follower);
			s->drain_held = true;
			return true;
		}
		s->trace_due = s->server->config->backend.trace_header;
		break;
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
		remember_helo(s, ev->line, ev->line_len);
		break;
	default:
		break;
	}

	if (ev->command == SMTP_CMD_AUTH)
		b->secret = true;
	if (s->xclient == XCLIENT_BEFORE) {
		/* Postfix replies to XCLIENT with a new greeting and rejects
		 * commands pipelined after it, so the command waits. */
		s->xclient_held = malloc(ev->line_len);
		if (s->xclient_held == NULL) {
			session_close(s, "out_of_memory", NULL);
			return false;
		}
		memcpy(s->xclient_held, ev->line, ev->line_len);
		s->xclient_held_len = ev->line_len;
		s->xclient = XCLIENT_HELD;
		return true;
	}
	if (ev->command == SMTP_CMD_BDAT && s->trace_due
	    ? !bdat_with_trace(s, b, ev->line, ev->line_len)
	    : !batch_copy(b, ev->line, ev->line_len)) {
		session_close(s, "out_of_memory", NULL);
		return false;
	}
	return true;
}

/*
 * Follows the client bytes in client_buf into one backend write.  Stops at a
 * wait, a held refusal, a held XCLIENT, or when the write is full.
 */
static void
follow_client(struct session *s)
{
	struct batch b = { .count = 0 };
	struct smtp_follow_event ev;
	bool replies_awaited = smtp_follower_pending(s->follower) > 0;

	while (s->client_off < s->client_len && !s->client_waiting &&
	    s->refusal == NULL && s->xclient != XCLIENT_HELD &&
	    !s->drain_held && batch_has_room(&b)) {
		const char *at = s->client_buf + s->client_off;
		size_t n = smtp_follower_client(s->follower, at,
		    s->client_len - s->client_off, &ev);

		s->client_off += n;
		switch (ev.type) {
		case SMTP_FOLLOW_CONTENT:
		case SMTP_FOLLOW_MESSAGE_END:
			/* NOTE: a backend that stops reading here is cut only
			 * by idle_timeout, and the client gets no 451. */
			batch_add(&b, at, n);
			break;
		case SMTP_FOLLOW_AUTH_RESPONSE:
			b.secret = true;
			if (!batch_copy(&b, ev.line, ev.line_len)) {
				session_close(s, "out_of_memory", NULL);
				goto fail;
			}
			break;
		case SMTP_FOLLOW_COMMAND:
			if (!client_command(s, &b, &ev))
				goto fail;
			break;
		case SMTP_FOLLOW_LINE_TOO_LONG:
			if (ev.command == SMTP_CMD_AUTH_RESPONSE) {
				/* The backend still waits for the response. */
				if (session_reply_tls(s, reply_sasl_too_long,
				    sizeof(reply_sasl_too_long) - 1))
					session_close(s, "protocol_error",
					    "SASL response longer than 512 "
					    "bytes");
				goto fail;
			}
			s->refusal = reply_line_too_long;
			session_log(s, CONFIG_LOG_INFO, "refused a command line "
			    "longer than 512 bytes");
			break;
		case SMTP_FOLLOW_CONTENT_AMBIGUOUS:
			/* The backend never receives the end of this message,
			 * so closing the connection drops the message. */
			batch_free(&b);
			if (session_reply_tls(s, reply_ambiguous_end,
			    sizeof(reply_ambiguous_end) - 1))
				session_close(s, "bare_lf_dot", "a dot line "
				    "next to a bare LF in DATA content (SMTP "
				    "smuggling)");
			return;
		case SMTP_FOLLOW_WAIT:
			s->client_waiting = true;
			break;
		case SMTP_FOLLOW_OUT_OF_MEMORY:
			session_close(s, "out_of_memory", NULL);
			goto fail;
		default:
			break;
		}
	}
	session_write_backend_bufs(s, b.bufs, b.count, b.side,
	    b.secret ? b.side_len : 0);
	if (s->state == SESSION_CLOSING)
		return;
	if (!replies_awaited && smtp_follower_pending(s->follower) > 0)
		reply_wait_start(s);
	line_deadline_update(s);
	if (release_refusal(s))
		xclient_maybe_send(s);
	return;
fail:
	batch_free(&b);
}

/*
 * Reads and follows the client while the backend keeps up.  The client
 * buffer is reused only when everything in it was followed and written.
 */
void
conversation_from_client(struct session *s)
{
	while (s->state == SESSION_RELAYING && s->backend_writes == 0) {
		enum tls_status st;
		size_t n;

		if (s->client_off < s->client_len) {
			if (s->client_waiting || s->refusal != NULL ||
			    s->xclient == XCLIENT_HELD ||
			    s->xclient == XCLIENT_SENT || s->drain_held)
				break;
			follow_client(s);
			continue;
		}
		if (s->client_finished)
			break;
		if (s->client_buf == NULL &&
		    (s->client_buf = malloc(SESSION_READ_SIZE)) == NULL) {
			session_close(s, "out_of_memory", NULL);
			return;
		}
		st = tls_engine_read(s->tls, s->client_buf, SESSION_READ_SIZE,
		    &n);
		if (!session_flush_tls(s))
			return;
		if (st == TLS_DONE) {
			s->bytes_in += n;
			s->client_off = 0;
			s->client_len = n;
			continue;
		}
		/* Nothing in flight refers to the buffer any more. */
		client_buf_free(s);
		if (st == TLS_WANT_INPUT)
			break;
		if (st == TLS_PEER_CLOSED) {
			relay_client_finished(s);
			break;
		}
		s->tls_failed = true;
		session_close(s, "tls_error", tls_engine_error(s->tls));
		return;
	}
	if (s->state == SESSION_RELAYING)
		relay_shutdown_backend(s);
	if (s->state == SESSION_RELAYING)
		conversation_drain_check(s);
	if (s->state != SESSION_CLOSING) {
		/* Every event is handled, and its line copied where needed. */
		if (s->follower != NULL)
			smtp_follower_release_buffers(s->follower);
		session_update_reading(s);
	}
}

static void
log_auth(struct session *s, const struct smtp_follow_event *ev)
{
	const struct config_global *global = &s->server->config->global;
	char user[LOG_FIELD_SIZE(SMTP_FOLLOW_NAME_MAX)];
	char authzid[LOG_FIELD_SIZE(SMTP_FOLLOW_NAME_MAX)];
	char mechanism[LOG_FIELD_SIZE(SMTP_FOLLOW_MECHANISM_MAX)];
	char key[64];
	uint64_t now = uv_now(&s->server->loop);
	const struct sockaddr *addr = (const struct sockaddr *)&s->client_addr;
	unsigned failures;
	bool banned;

	if (ev->type == SMTP_FOLLOW_AUTH_SUCCEEDED) {
		const char *given = smtp_follower_auth_authzid(s->follower);

		metrics_auth(s, true);
		session_log(s, CONFIG_LOG_INFO, "auth ok user=%s mechanism=%s%s%s",
		    log_field(smtp_follower_auth_user(s->follower), user,
		    sizeof(user)), log_field(smtp_follower_auth_mechanism(
		    s->follower), mechanism, sizeof(mechanism)),
		    given[0] != '\0' ? " authzid=" : "",
		    given[0] != '\0' ? log_field(given, authzid,
		    sizeof(authzid)) : "");
		return;
	}
	banned = auth_throttle_failure(s->server->throttle, addr, now,
	    global->auth_failures, global->auth_failure_window_ms,
	    global->auth_ban_time_ms);

	/* The count a fail2ban filter or an operator compares with
	 * auth_failures: this address's, or this session's when throttling
	 * is off.  An address banned meanwhile by another session has
	 * reached the limit. */
	if (banned || auth_throttle_banned(s->server->throttle, addr, now) > 0)
		failures = global->auth_failures;
	else if (global->auth_failures > 0)
		failures = auth_throttle_failures(s->server->throttle, addr, now,
		    global->auth_failure_window_ms);
	else
		failures = smtp_follower_auth_failures(s->follower);
	metrics_auth(s, false);
	session_log(s, CONFIG_LOG_WARNING, "auth failed mechanism=%s "
	    "failures=%u", log_field(smtp_follower_failed_mechanism(s->follower),
	    mechanism, sizeof(mechanism)), failures);
	if (banned) {
		auth_throttle_key_format(addr, key, sizeof(key));
		session_log(s, CONFIG_LOG_WARNING, "auth ban key=%s "
		    "failures=%u window=%" PRIu64 "s ban=%" PRIu64 "s", key,
		    global->auth_failures, global->auth_failure_window_ms / 1000,
		    global->auth_ban_time_ms / 1000);
	}
}

static void
log_message_outcome(struct session *s, const struct smtp_follow_event *ev)
{
	const struct smtp_follow_message *m = smtp_follower_message(s->follower);
	char user[LOG_FIELD_SIZE(SMTP_FOLLOW_NAME_MAX)];
	char sender[LOG_FIELD_SIZE(SMTP_FOLLOW_PATH_MAX)];
	char queue_id[LOG_FIELD_SIZE(SMTP_FOLLOW_QUEUE_ID_MAX)];
	const char *name = smtp_follower_auth_user(s->follower);

	if (ev->type == SMTP_FOLLOW_MESSAGE_ACCEPTED) {
		metrics_message_accepted(s);
		session_log(s, CONFIG_LOG_INFO, "message accepted user=%s "
		    "from=<%s> rcpts=%u size=%" PRIu64 " queue_id=%s",
		    name[0] != '\0' ? log_field(name, user, sizeof(user)) : "none",
		    log_field(m->sender, sender, sizeof(sender)), m->recipients,
		    m->size, m->queue_id[0] != '\0' ?
		    log_field(m->queue_id, queue_id, sizeof(queue_id)) : "none");
	} else
		session_log(s, CONFIG_LOG_INFO, "message rejected code=%d "
		    "from=<%s> rcpts=%u size=%" PRIu64, ev->code,
		    log_field(m->sender, sender, sizeof(sender)), m->recipients,
		    m->size);
}

/* Appends one reply line to out, through the EHLO filter for EHLO. */
static bool
reply_line(struct session *s, const struct smtp_follow_event *ev, char *out,
    size_t *len)
{
	const char *const *discard =
	    (const char *const *)s->server->config->backend.discard_ehlo_keywords;
	bool last = ev->type != SMTP_FOLLOW_REPLY_LINE, listed;

	if (ev->command != SMTP_CMD_EHLO || ev->code != 250) {
		memcpy(out + *len, ev->line, ev->line_len);
		*len += ev->line_len;
		return true;
	}
	if (s->ehlo == NULL) {
		if ((s->ehlo = malloc(sizeof(*s->ehlo))) == NULL)
			return false;
		smtp_ehlo_stream_start(s->ehlo);
	}
	listed = smtp_ehlo_keyword_listed(ev->line, ev->line_len,
	    always_discarded) ||
	    smtp_ehlo_keyword_listed(ev->line, ev->line_len, discard);
	*len += smtp_ehlo_stream_line(s->ehlo, ev->line, ev->line_len, last,
	    listed, out + *len);
	if (last) {
		free(s->ehlo);
		s->ehlo = NULL;
	}
	return true;
}

/* Reads the backend's reply to XCLIENT; returns the bytes it took. */
static size_t
xclient_reply_input(struct session *s, const char *data, size_t len)
{
	uv_buf_t held;
	size_t used = 0, n;
	char detail[256];

	n = len < SESSION_XCLIENT_REPLY_MAX - 1 - s->xclient_reply_len ?
	    len : SESSION_XCLIENT_REPLY_MAX - 1 - s->xclient_reply_len;
	memcpy(s->xclient_reply + s->xclient_reply_len, data, n);
	s->xclient_reply_len += n;

	switch (smtp_reply_reader_feed(&s->greeting, data, len, &used)) {
	case SMTP_REPLY_INCOMPLETE:
		return len;
	case SMTP_REPLY_INVALID:
		backend_reply_unavailable(s, "backend_xclient_failed",
		    "its reply to XCLIENT is not an SMTP reply");
		return len;
	case SMTP_REPLY_COMPLETE:
		break;
	}
	if (s->greeting.code != 220) {
		/* The reply goes into a quoted log field: no quote, no
		 * backslash, no control byte. */
		s->xclient_reply[strcspn(s->xclient_reply, "\r\n")] = '\0';
		for (char *c = s->xclient_reply; *c != '\0'; c++)
			if (*c < ' ' || *c > '~' || *c == '"' || *c == '\\')
				*c = '?';
		snprintf(detail, sizeof(detail), "backend refused XCLIENT "
		    "with %s; list subtls's address in the backend's "
		    "smtpd_authorized_xclient_hosts (Postfix)", s->xclient_reply);
		backend_reply_unavailable(s, "backend_xclient_refused", detail);
		return len;
	}
	s->xclient = XCLIENT_OFF;
	free(s->xclient_reply);
	s->xclient_reply = NULL;
	reply_wait_start(s);
	held = uv_buf_init(s->xclient_held, (unsigned)s->xclient_held_len);
	session_write_backend_bufs(s, &held, 1, s->xclient_held,
	    s->xclient_held_len);
	s->xclient_held = NULL;
	s->xclient_held_len = 0;
	return used;
}

/* Handles the side effects of one complete reply; false if closed. */
static bool
reply_done(struct session *s, const struct smtp_follow_event *ev)
{
	char *header;
	size_t n;

	switch (ev->type) {
	case SMTP_FOLLOW_AUTH_SUCCEEDED:
	case SMTP_FOLLOW_AUTH_FAILED:
		log_auth(s, ev);
		break;
	case SMTP_FOLLOW_MESSAGE_ACCEPTED:
	case SMTP_FOLLOW_MESSAGE_REJECTED:
		log_message_outcome(s, ev);
		break;
	case SMTP_FOLLOW_REPLY:
		if (ev->command != SMTP_CMD_DATA || ev->code != 354 ||
		    !s->trace_due)
			break;
		/* The client waits for this 354, so the header goes first. */
		if ((header = malloc(SMTP_TRACE_HEADER_MAX)) == NULL) {
			session_close(s, "out_of_memory", NULL);
			return false;
		}
		n = trace_header(s, header, SMTP_TRACE_HEADER_MAX);
		session_write_backend(s, header, n);
		break;
	default:
		break;
	}
	return s->state != SESSION_CLOSING;
}

/* Encrypts the gathered replies to the client; false if closed. */
static bool
flush_replies(struct session *s, char *out, size_t *len)
{
	bool ok = *len == 0 || session_reply_tls(s, out, *len);

	*len = 0;
	return ok;
}

void
conversation_from_backend(struct session *s, const char *data, size_t len)
{
	size_t cap = len + 2 * SMTP_EHLO_LINE_MAX, out_len = 0, off = 0;
	char *out = malloc(cap);
	struct smtp_follow_event ev;

	if (out == NULL) {
		session_close(s, "out_of_memory", NULL);
		return;
	}
	s->bytes_out += len;
	while (off < len && s->state == SESSION_RELAYING) {
		if (s->xclient == XCLIENT_SENT) {
			off += xclient_reply_input(s, data + off, len - off);
			continue;
		}
		off += smtp_follower_server(s->follower, data + off, len - off,
		    &ev);
		if (ev.type == SMTP_FOLLOW_NONE)
			continue;
		if (ev.type == SMTP_FOLLOW_OUT_OF_MEMORY) {
			flush_replies(s, out, &out_len);
			session_close(s, "out_of_memory", NULL);
			break;
		}
		if (ev.type == SMTP_FOLLOW_REPLY_INVALID) {
			flush_replies(s, out, &out_len);
			session_close(s, "backend_protocol_error",
			    "its reply is not an SMTP reply");
			break;
		}
		if (!reply_line(s, &ev, out, &out_len)) {
			session_close(s, "out_of_memory", NULL);
			break;
		}
		if (ev.type == SMTP_FOLLOW_REPLY_LINE)
			continue;
		s->backend_said_goodbye = ev.code == 221 || ev.code == 421;
		if (!reply_done(s, &ev))
			break;

		/* A banned address gets no more guesses in open sessions. */
		if (ev.type == SMTP_FOLLOW_AUTH_FAILED) {
			if (!flush_replies(s, out, &out_len) ||
			    conversation_refuse_banned(s))
				break;
		}
		/* The next reply gets reply_timeout of its own, and idle_timeout
		 * applies again once none is awaited. */
		reply_wait_start(s);
		s->client_waiting = false;
		if (s->refusal != NULL &&
		    smtp_follower_pending(s->follower) == 0 &&
		    (!flush_replies(s, out, &out_len) || !release_refusal(s)))
			break;
		xclient_maybe_send(s);
	}
	if (s->state == SESSION_RELAYING)
		flush_replies(s, out, &out_len);
	free(out);
	if (s->state == SESSION_RELAYING)
		conversation_from_client(s);
}

bool
conversation_refuse_banned(struct session *s)
{
	uint64_t left = auth_throttle_banned(s->server->throttle,
	    (const struct sockaddr *)&s->client_addr,
	    uv_now(&s->server->loop));
	char reply[256], detail[64], *copy;
	int n;

	if (left == 0)
		return false;
	metrics_ban_refusal(s);
	n = snprintf(reply, sizeof(reply), "421 4.7.0 %s Too many "
	    "authentication failures, try again later\r\n",
	    s->server->config->global.hostname);
	snprintf(detail, sizeof(detail), "ban ends in %" PRIu64 "s",
	    (left + 999) / 1000);
	if (s->tls_established) {
		if (session_reply_tls(s, reply, (size_t)n))
			session_close(s, "auth_banned", detail);
		return true;
	}
	copy = strdup(reply);
	if (copy != NULL)
		session_write_client(s, copy, (size_t)n);
	if (s->state != SESSION_CLOSING)
		session_close(s, "auth_banned", detail);
	return true;
}
