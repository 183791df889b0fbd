/*
 * Session lifecycle: accept, state changes, timers, writes, and the one way
 * out, session_close().  The byte pumps live in relay.c, the backend
 * connection in backend.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/admission.h"
#include "proxy/inbound_proxy.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/server.h"
#include "proxy/metrics.h"
#include "proxy/session.h"
#include "smtp/dialogue.h"
#include "smtp/follower.h"
#include "smtp/reply.h"
#include "tls/engine.h"

/* How long a closing session waits for its last bytes to reach the client. */
#define SESSION_LINGER_MS 5000

struct write_request {
	uv_write_t req;
	struct session *session;
	char *buf;
	size_t wipe;		/* bytes of buf to wipe: it held a password */
};

static const char *const state_names[] = {
	[SESSION_ACCEPTED] = "accepted",
	[SESSION_PROXY_HEADER] = "proxy_header",
	[SESSION_PRETLS] = "pretls",
	[SESSION_STARTTLS_HELD] = "starttls_held",
	[SESSION_TLS_HANDSHAKE] = "tls_handshake",
	[SESSION_BACKEND_CONNECT] = "backend_connect",
	[SESSION_BACKEND_GREETING] = "backend_greeting",
	[SESSION_RELAYING] = "relaying",
	[SESSION_CLOSING] = "closing",
};

void
session_log(const struct session *s, enum config_log_level level,
    const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_message(level, s->listener->ident, "s=%s client=%s %s", s->id,
	    s->peer, msg);
}

/* Also counts the handshakes in progress and keeps the queue of held
 * STARTTLS sessions, both of which follow the state. */
void
session_set_state(struct session *s, enum session_state state)
{
	enum session_state old = s->state;

	session_log(s, CONFIG_LOG_DEBUG, "state %s -> %s",
	    state_names[old], state_names[state]);
	s->state = state;
	if (old == state)
		return;
	if (old == SESSION_STARTTLS_HELD)
		admission_unhold(s);
	if (state == SESSION_TLS_HANDSHAKE)
		admission_handshake_started(s->server);
	if (old == SESSION_TLS_HANDSHAKE)
		admission_handshake_ended(s->server);
}

void
session_format_address(const struct sockaddr_storage *ss, char *out,
    size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip,
			    sizeof(ip));
			snprintf(out, cap, "%s:%u", ip, ntohs(in6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
			snprintf(out, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
		}
	} else
		snprintf(out, cap, "unknown");
}

void
session_handle_closed(uv_handle_t *handle)
{
	struct session *s = handle->data;
	struct server *srv = s->server;

	if (--s->open_handles > 0)
		return;
	smtp_dialogue_free(s->dialogue);
	conversation_free(s);
	tls_engine_free(s->tls);
	free(s->held_reply);
	free(s->proxy_parser);
	free(s);
	admission_session_freed(srv);
	server_session_gone(srv);
}

static void
close_client_now(struct session *s)
{
	if (s->client_closing)
		return;
	s->client_closing = true;
	uv_close((uv_handle_t *)&s->client, session_handle_closed);
	uv_close((uv_handle_t *)&s->timer, session_handle_closed);
}

static void
linger_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	/* The bytes are dropped unread, so every session of a worker may
	 * share one buffer: its loop runs one callback at a time.  Each
	 * worker thread has its own. */
	static _Thread_local char discard[4096];

	(void)handle;
	(void)suggested;
	*buf = uv_buf_init(discard, sizeof(discard));
}

static void
on_linger_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	if (nread < 0)
		close_client_now(stream->data);
}

/*
 * The final reply is out and the FIN sent.  A client that wrote its next
 * command meanwhile would get a reset if the socket closed now.  A reset can
 * discard the reply before the client reads it, so the session reads and
 * drops what the client sends until it closes or SESSION_LINGER_MS ends.
 */
static void
on_client_shutdown(uv_shutdown_t *req, int status)
{
	struct session *s = req->data;

	free(req);
	if (status < 0 || s->client_finished || s->client_closing ||
	    uv_read_start((uv_stream_t *)&s->client, linger_alloc,
	    on_linger_read) != 0)
		close_client_now(s);
}

static void
on_session_timer(uv_timer_t *timer);

void
session_accept(struct listener *listener, int fd)
{
	struct server *srv = listener->server;
	struct session *s;
	int len, rc;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		log_message(CONFIG_LOG_ERROR, listener->ident,
		    "cannot accept a connection: out of memory");
		close(fd);
		return;
	}
	s->server = srv;
	s->listener = listener;
	s->started_ms = s->last_activity_ms = uv_now(&srv->loop);
	snprintf(s->id, sizeof(s->id), "%016llx", (unsigned long long)
	    (srv->session_id_base +
	    atomic_fetch_add(&srv->shared->sessions_started, 1)));
	snprintf(s->peer, sizeof(s->peer), "unknown");

	uv_tcp_init(&srv->loop, &s->client);
	uv_timer_init(&srv->loop, &s->timer);
	s->client.data = s->timer.data = s;
	s->open_handles = 2;
	s->next = srv->sessions;
	if (srv->sessions != NULL)
		srv->sessions->prev = s;
	srv->sessions = s;
	srv->session_count++;
	/* Counted before a failure can close it, because every close is. */
	metrics_session_opened(s);

	rc = uv_tcp_open(&s->client, fd);
	if (rc != 0)
		close(fd);
	if (rc == 0) {
		len = sizeof(s->client_addr);
		rc = uv_tcp_getpeername(&s->client,
		    (struct sockaddr *)&s->client_addr, &len);
	}
	if (rc == 0) {
		len = sizeof(s->local_addr);
		rc = uv_tcp_getsockname(&s->client,
		    (struct sockaddr *)&s->local_addr, &len);
	}
	session_format_address(&s->client_addr, s->peer, sizeof(s->peer));
	if (rc == UV_ENOTCONN) {
		/* The client reset the connection while it waited in the
		 * accept queue, as HAProxy's health checks do. */
		session_close(s, "client_closed", "reset before accept");
		return;
	}
	if (rc != 0) {
		session_close(s, "accept_failed", uv_strerror(rc));
		return;
	}
	uv_tcp_nodelay(&s->client, 1);

	/* Behind a load balancer, the open line and the per-client limits
	 * wait for the client's address in the PROXY header. */
	if (listener->config->accept_proxy != CONFIG_ACCEPT_PROXY_NO) {
		if (admission_admit_connection(s))
			inbound_proxy_start(s);
		return;
	}

	char local[INET6_ADDRSTRLEN + 8];
	session_format_address(&s->local_addr, local, sizeof(local));
	session_log(s, CONFIG_LOG_INFO, "open listener=%s local=%s mode=%s%s",
	    listener->config->name, local,
	    config_mode_name(listener->config->mode), srv->worker_field);

	if (!admission_admit(s))
		return;
	session_begin(s);
}

void
session_begin(struct session *s)
{
	struct listener *listener = s->listener;
	struct server *srv = s->server;

	/* A banned client on a STARTTLS listener hears so before TLS; on
	 * an implicit one only after the handshake (relay.c). */
	if (listener->config->mode == CONFIG_MODE_STARTTLS &&
	    conversation_refuse_banned(s))
		return;

	if (listener->config->mode == CONFIG_MODE_STARTTLS) {
		char *greeting = malloc(SMTP_DIALOGUE_REPLY_MAX);
		const char *hostname = srv->config->global.hostname;
		size_t n;

		s->dialogue = smtp_dialogue_new(hostname);
		if (greeting == NULL || s->dialogue == NULL) {
			free(greeting);
			session_close(s, "out_of_memory", NULL);
			return;
		}
		smtp_dialogue_set_max_errors(s->dialogue,
		    srv->config->global.max_errors);
		smtp_dialogue_set_reject_bare_lf(s->dialogue,
		    srv->config->global.pretls_bare_lf ==
		    CONFIG_BARE_LF_REJECT);
		session_set_state(s, SESSION_PRETLS);
		n = smtp_reply_greeting(greeting, SMTP_DIALOGUE_REPLY_MAX,
		    hostname);
		session_write_client(s, greeting, n);
	} else {
		s->tls = tls_engine_new(listener->tls);
		if (s->tls == NULL) {
			session_close(s, "tls_session_failed",
			    TLS_SESSION_FAILED_DETAIL);
			return;
		}
		session_set_state(s, SESSION_TLS_HANDSHAKE);
	}
	session_arm_timer(s);
	session_update_reading(s);
}

bool
session_greeting_due(const struct session *s)
{
	return s->state == SESSION_BACKEND_GREETING ||
	    (s->state == SESSION_RELAYING && s->bytes_out == 0 &&
	    s->listener->config->mode == CONFIG_MODE_IMPLICIT);
}

/* The timeout of the state the session is in, in milliseconds. */
static uint64_t
state_timeout(const struct session *s)
{
	const struct config *cfg = s->server->config;

	switch (s->state) {
	case SESSION_ACCEPTED:
		return SESSION_LINGER_MS;
	case SESSION_PROXY_HEADER:
		return cfg->global.handshake_timeout_ms;
	case SESSION_PRETLS:
		return cfg->global.command_timeout_ms;
	case SESSION_STARTTLS_HELD:
	case SESSION_TLS_HANDSHAKE:
		return cfg->global.handshake_timeout_ms;
	case SESSION_BACKEND_CONNECT:
	case SESSION_BACKEND_GREETING:
		return cfg->backend.connect_timeout_ms;
	case SESSION_RELAYING:
		/* On an implicit TLS listener the backend's greeting is
		 * relayed, and connect_timeout covers it as on STARTTLS. */
		if (session_greeting_due(s))
			return cfg->backend.connect_timeout_ms;
		return cfg->global.idle_timeout_ms;
	case SESSION_CLOSING:
		/* While draining, lingering ends by the drain deadline, so
		 * it never delays the exit past drain_timeout. */
		if (s->server->draining) {
			uint64_t now = uv_now(&s->server->loop);
			uint64_t left = s->server->drain_deadline_ms > now ?
			    s->server->drain_deadline_ms - now : 0;

			return left < SESSION_LINGER_MS ? left : SESSION_LINGER_MS;
		}
		return SESSION_LINGER_MS;
	}
	return SESSION_LINGER_MS;
}

/* When the session reaches max_session_time, counted from accept. */
static uint64_t
lifetime_deadline(const struct session *s)
{
	return s->started_ms + s->server->config->global.max_session_time_ms;
}

/*
 * The deadline after TLS.  While commands wait for backend replies, the
 * next reply is due within reply_timeout: the client is waiting, not idle.
 * Otherwise the session must see a byte within idle_timeout.
 */
static uint64_t
relay_deadline(const struct session *s, bool *reply_awaited)
{
	const struct config *cfg = s->server->config;

	*reply_awaited = s->follower != NULL &&
	    smtp_follower_pending(s->follower) > 0;
	/* The relayed greeting is due within connect_timeout, counted from
	 * the connect, when session_arm_timer() ran. */
	uint64_t line = s->line_started_ms != 0 ?
	    s->line_started_ms + cfg->global.command_timeout_ms : UINT64_MAX;
	uint64_t wait;

	if (session_greeting_due(s))
		return s->step_deadline_ms;
	if (*reply_awaited)
		wait = s->reply_wait_ms + cfg->backend.reply_timeout_ms;
	else
		wait = s->last_activity_ms + cfg->global.idle_timeout_ms;
	return line < wait ? line : wait;
}

/* True when a command line after TLS has taken command_timeout. */
static bool
line_overdue(const struct session *s, uint64_t now)
{
	return s->line_started_ms != 0 && now >= s->line_started_ms +
	    s->server->config->global.command_timeout_ms;
}

/* Ends a session whose command line after TLS took command_timeout. */
static void
command_line_timeout(struct session *s)
{
	char reply[SMTP_DIALOGUE_REPLY_MAX];
	size_t n = smtp_reply_timeout(reply, sizeof(reply),
	    s->server->config->global.hostname);

	if (!session_reply_closing(s, reply, n))
		return;
	session_close(s, "command_timeout", "a command line after TLS");
}

static uint64_t
next_deadline(const struct session *s)
{
	uint64_t deadline = s->step_deadline_ms;
	uint64_t lifetime = lifetime_deadline(s);
	bool reply_awaited;

	if (s->state == SESSION_CLOSING)
		return deadline;
	if (s->state == SESSION_RELAYING)
		deadline = relay_deadline(s, &reply_awaited);
	return deadline < lifetime ? deadline : lifetime;
}

void
session_arm_timer(struct session *s)
{
	s->step_deadline_ms = uv_now(&s->server->loop) + state_timeout(s);
	session_update_timer(s);
}

void
session_update_timer(struct session *s)
{
	uint64_t now = uv_now(&s->server->loop);
	uint64_t deadline = next_deadline(s);

	uv_timer_start(&s->timer, on_session_timer,
	    deadline > now ? deadline - now : 0, 0);
}

/* Writes one of subtls's own replies in plaintext, before TLS. */
static void
reply_plaintext(struct session *s, const char *reply, size_t n)
{
	char *copy = malloc(n);

	if (copy == NULL)
		return;
	memcpy(copy, reply, n);
	session_write_client(s, copy, n);
}

/*
 * Ends a session at max_session_time with 421: in plaintext before TLS,
 * encrypted after it, and none in the middle of the handshake.  A message
 * in transfer is lost, because the backend never receives its end, and the
 * client retries it after the 421.
 */
static void
session_expire(struct session *s)
{
	char reply[SMTP_DIALOGUE_REPLY_MAX];
	size_t n = smtp_reply_session_time_exceeded(reply, sizeof(reply),
	    s->server->config->global.hostname);

	switch (s->state) {
	case SESSION_ACCEPTED:
		/* Not greeted yet, and no timer runs before the limits pass. */
	case SESSION_PROXY_HEADER:
		/* The peer is a load balancer, which expects no reply. */
		break;
	case SESSION_PRETLS:
	case SESSION_STARTTLS_HELD:
		reply_plaintext(s, reply, n);
		break;
	case SESSION_TLS_HANDSHAKE:
		s->tls_failed = true;
		break;
	default:
		if (!session_reply_closing(s, reply, n))
			return;
		break;
	}
	session_close(s, "max_session_time", NULL);
}

/* Ends a session whose backend did not reply within reply_timeout. */
static void
backend_reply_timeout(struct session *s)
{
	const struct config *cfg = s->server->config;
	char reply[SMTP_DIALOGUE_REPLY_MAX];
	size_t n = smtp_reply_timeout(reply, sizeof(reply),
	    cfg->global.hostname);

	session_log(s, CONFIG_LOG_WARNING, "backend=%s sent no reply within "
	    "reply_timeout (%" PRIu64 "s)", s->backend_name,
	    cfg->backend.reply_timeout_ms / 1000);
	if (!session_reply_closing(s, reply, n))
		return;
	session_close(s, "backend_reply_timeout", NULL);
}

/* Handles the expiry of the state's own timeout, before relaying. */
static void
step_timeout(struct session *s)
{
	char reply[SMTP_DIALOGUE_REPLY_MAX];
	size_t n;

	switch (s->state) {
	case SESSION_ACCEPTED:
		session_close(s, "accept_failed", "timed out");
		break;
	case SESSION_PROXY_HEADER:
		inbound_proxy_timeout(s);
		break;
	case SESSION_PRETLS:
		n = smtp_reply_timeout(reply, sizeof(reply),
		    s->server->config->global.hostname);
		reply_plaintext(s, reply, n);
		session_close(s, "command_timeout", NULL);
		break;
	case SESSION_STARTTLS_HELD:
		/* No handshake slot came free within handshake_timeout. */
		n = smtp_reply_handshakes_busy(reply, sizeof(reply),
		    s->server->config->global.hostname);
		reply_plaintext(s, reply, n);
		session_close(s, "handshake_wait_timeout", NULL);
		break;
	case SESSION_TLS_HANDSHAKE:
		s->tls_failed = true;
		session_close(s, "handshake_timeout", NULL);
		break;
	case SESSION_BACKEND_CONNECT:
	case SESSION_BACKEND_GREETING:
		backend_failed(s, "backend_timeout",
		    s->state == SESSION_BACKEND_CONNECT ? "connect timed out" :
		    "no greeting from the backend");
		break;
	case SESSION_RELAYING:
	case SESSION_CLOSING:
		break;
	}
}

/*
 * Fires at the earliest deadline.  Activity after TLS does not restart the
 * timer: an expiry compares the times and starts the timer again when no
 * deadline has passed yet.
 */
static void
on_session_timer(uv_timer_t *timer)
{
	struct session *s = timer->data;
	uint64_t now = uv_now(&s->server->loop);
	bool reply_awaited;

	if (s->state == SESSION_CLOSING) {
		close_client_now(s);
		return;
	}
	if (now >= lifetime_deadline(s)) {
		session_expire(s);
		return;
	}

	if (s->state == SESSION_RELAYING) {
		if (now < relay_deadline(s, &reply_awaited))
			session_update_timer(s);
		else if (session_greeting_due(s))
			backend_failed(s, "backend_timeout",
			    "no greeting from the backend");
		else if (line_overdue(s, now))
			command_line_timeout(s);
		else if (reply_awaited)
			backend_reply_timeout(s);
		else
			session_close(s, "idle_timeout", NULL);
		return;
	}
	if (now < s->step_deadline_ms)
		session_update_timer(s);
	else
		step_timeout(s);
}

static void
on_client_written(uv_write_t *req, int status)
{
	struct write_request *w = (struct write_request *)req;
	struct session *s = w->session;

	free(w->buf);
	free(w);
	s->client_writes--;
	if (s->state == SESSION_CLOSING)
		return;
	if (status < 0) {
		s->tls_failed = true;
		session_close(s, "client_write_failed", uv_strerror(status));
		return;
	}
	relay_client_write_done(s);
}

static void
on_backend_written(uv_write_t *req, int status)
{
	struct write_request *w = (struct write_request *)req;
	struct session *s = w->session;

	if (w->wipe > 0)
		explicit_bzero(w->buf, w->wipe);
	free(w->buf);
	free(w);
	s->backend_writes--;
	/* Canceled: the backend handle was closed, for the session's end or
	 * for a retry with the next address (backend.c). */
	if (s->state == SESSION_CLOSING || status == UV_ECANCELED)
		return;
	if (status < 0 && s->state == SESSION_RELAYING && s->bytes_out > 0)
		conversation_backend_lost(s, "backend_write_failed",
		    uv_strerror(status));
	else if (status < 0)
		backend_reply_unavailable(s, "backend_write_failed",
		    uv_strerror(status));
	else
		relay_backend_write_done(s);
}

static void
write_stream(struct session *s, uv_stream_t *stream, const uv_buf_t *bufs,
    unsigned count, char *owned, size_t wipe, unsigned *in_flight,
    uv_write_cb done)
{
	struct write_request *w = malloc(sizeof(*w));
	int rc;

	if (w == NULL) {
		free(owned);
		session_close(s, "out_of_memory", NULL);
		return;
	}
	w->session = s;
	w->buf = owned;
	w->wipe = wipe;
	rc = uv_write(&w->req, stream, bufs, count, done);
	if (rc != 0) {
		if (wipe > 0)
			explicit_bzero(owned, wipe);
		free(owned);
		free(w);
		session_close(s, "write_failed", uv_strerror(rc));
		return;
	}
	(*in_flight)++;
}

void
session_write_client(struct session *s, char *buf, size_t len)
{
	uv_buf_t b = uv_buf_init(buf, (unsigned)len);

	if (len == 0 || s->client_closing) {
		free(buf);
		return;
	}
	write_stream(s, (uv_stream_t *)&s->client, &b, 1, buf, 0,
	    &s->client_writes, on_client_written);
}

void
session_write_backend(struct session *s, char *buf, size_t len)
{
	uv_buf_t b = uv_buf_init(buf, (unsigned)len);

	session_write_backend_bufs(s, &b, len > 0 ? 1 : 0, buf, 0);
}

void
session_write_backend_bufs(struct session *s, const uv_buf_t *bufs,
    unsigned count, char *owned, size_t wipe)
{
	if (count == 0 || !s->backend_open) {
		if (wipe > 0)
			explicit_bzero(owned, wipe);
		free(owned);
		return;
	}
	write_stream(s, &s->backend.stream, bufs, count, owned, wipe,
	    &s->backend_writes, on_backend_written);
}

bool
session_flush_tls(struct session *s)
{
	size_t len;
	char *out = tls_engine_take_output(s->tls, &len);

	if (out != NULL)
		session_write_client(s, out, len);
	return s->state != SESSION_CLOSING;
}

bool
session_reply_closing(struct session *s, const char *reply, size_t len)
{
	if (s->follower != NULL && smtp_follower_reply_open(s->follower)) {
		session_log(s, CONFIG_LOG_DEBUG, "no reply of subtls's own: "
		    "a backend reply is partly relayed");
		return true;
	}
	return session_reply_tls(s, reply, len);
}

bool
session_reply_tls(struct session *s, const char *reply, size_t len)
{
	if (tls_engine_write(s->tls, reply, len) != TLS_DONE) {
		s->tls_failed = true;
		session_close(s, "tls_error", tls_engine_error(s->tls));
		return false;
	}
	return session_flush_tls(s);
}

static void
set_reading(uv_stream_t *stream, bool *reading, bool want, uv_alloc_cb alloc,
    uv_read_cb read)
{
	if (want == *reading)
		return;
	if (want)
		uv_read_start(stream, alloc, read);
	else
		uv_read_stop(stream);
	*reading = want;
}

void
session_update_reading(struct session *s)
{
	bool client = false, backend = false;

	switch (s->state) {
	case SESSION_ACCEPTED:
		break;
	case SESSION_PROXY_HEADER:
		client = true;
		break;
	case SESSION_PRETLS:
		/* One batch of replies in flight: a client that pipelines
		 * commands but never reads stops being read. */
		client = !s->dialogue_paused && s->client_writes == 0;
		break;
	case SESSION_STARTTLS_HELD:
		/* A client waits for the 220 before its ClientHello, and
		 * the handshake timeout bounds one that does not. */
		break;
	case SESSION_TLS_HANDSHAKE:
		client = true;
		break;
	case SESSION_BACKEND_CONNECT:
		break;
	case SESSION_BACKEND_GREETING:
		backend = true;
		break;
	case SESSION_RELAYING:
		/* Bounded buffering: one chunk in flight per direction. */
		client = !s->client_finished && s->backend_writes == 0 &&
		    !tls_engine_has_input(s->tls) &&
		    !conversation_client_blocked(s);
		backend = s->client_writes == 0;
		break;
	case SESSION_CLOSING:
		break;
	}
	if (!s->client_closing)
		set_reading((uv_stream_t *)&s->client, &s->client_reading,
		    client, relay_on_client_alloc, relay_on_client_read);
	if (s->backend_open)
		set_reading(&s->backend.stream, &s->backend_reading, backend,
		    relay_on_backend_alloc, relay_on_backend_read);
}

/*
 * Copies text the client chose (the SNI name) for a log field: bytes other
 * than letters, digits, '.', '-', '_' and '*' become \xNN, so the client can
 * neither split the line nor forge key=value fields.
 */
static const char *
escape_log_field(const char *text, char *out, size_t cap)
{
	size_t n = 0;

	for (; *text != '\0' && n + 5 < cap; text++) {
		unsigned char c = (unsigned char)*text;

		if (isalnum(c) || c == '.' || c == '-' || c == '_' || c == '*')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
	}
	out[n] = '\0';
	return out;
}

static void
write_summary(struct session *s, const char *reason, const char *detail)
{
	uint64_t ms = uv_now(&s->server->loop) - s->started_ms;
	const char *version = NULL, *cipher = NULL, *sni = NULL;
	char sni_escaped[4 * 255 + 8];
	char subject[256], fingerprint[65], client_cert[360] = "";
	char user[LOG_FIELD_SIZE(SMTP_FOLLOW_NAME_MAX) + 8] = "";

	/* The name a client asked for is worth logging even when its
	 * handshake failed (strict_sni, say). */
	if (s->tls != NULL) {
		sni = tls_engine_sni(s->tls);
		if (sni != NULL)
			sni = escape_log_field(sni, sni_escaped,
			    sizeof(sni_escaped));
	}
	if (s->tls_established) {
		version = tls_engine_version(s->tls);
		cipher = tls_engine_cipher(s->tls);
		if (tls_engine_client_certificate(s->tls, subject,
		    sizeof(subject), fingerprint, sizeof(fingerprint)))
			snprintf(client_cert, sizeof(client_cert),
			    " client_cert=\"%s\" client_cert_sha256=%s",
			    subject, fingerprint);
	}
	if (s->follower != NULL && smtp_follower_authenticated(s->follower)) {
		memcpy(user, " user=", 6);
		log_field(smtp_follower_auth_user(s->follower), user + 6,
		    sizeof(user) - 6);
	}
	session_log(s, CONFIG_LOG_INFO, "close listener=%s reason=%s%s%s%s "
	    "tls=%s cipher=%s resumed=%s sni=%s%s%s bytes_in=%llu "
	    "bytes_out=%llu duration=%llu.%03llus", s->listener->config->name,
	    reason,
	    detail != NULL ? " detail=\"" : "", detail != NULL ? detail : "",
	    detail != NULL ? "\"" : "",
	    version != NULL ? version : "none", cipher != NULL ? cipher : "none",
	    s->tls_established && tls_engine_resumed(s->tls) ? "yes" : "no",
	    sni != NULL ? sni : "none", client_cert, user,
	    (unsigned long long)s->bytes_in,
	    (unsigned long long)s->bytes_out, (unsigned long long)(ms / 1000),
	    (unsigned long long)(ms % 1000));
}

void
session_close(struct session *s, const char *reason, const char *detail)
{
	struct server *srv = s->server;
	uv_shutdown_t *shutdown;

	if (s->state == SESSION_CLOSING)
		return;
	write_summary(s, reason, detail);
	metrics_session_closed(s, reason);
	admission_release(s);
	session_set_state(s, SESSION_CLOSING);
	session_update_reading(s);

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;

	if (s->backend_open) {
		s->backend_open = false;
		uv_close(&s->backend.handle, session_handle_closed);
	}
	if (s->tls_established && !s->tls_failed) {
		tls_engine_close_notify(s->tls);
		session_flush_tls(s);
	}

	/* Flush what was written to the client (a final reply), then close. */
	if (s->client_closing)
		return;
	shutdown = malloc(sizeof(*shutdown));
	if (shutdown == NULL) {
		close_client_now(s);
		return;
	}
	shutdown->data = s;
	if (uv_shutdown(shutdown, (uv_stream_t *)&s->client,
	    on_client_shutdown) != 0) {
		free(shutdown);
		close_client_now(s);
		return;
	}
	session_arm_timer(s);
}

void
sessions_close_all(struct server *srv, const char *reason)
{
	while (srv->sessions != NULL)
		session_close(srv->sessions, reason, NULL);
}
