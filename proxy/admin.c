/*
 * The admin listener (see admin.h): a tiny GET-only HTTP responder on the
 * same libuv loop as the sessions.
 *
 * Why not libmicrohttpd, which Debian 12 packages: it serves from threads
 * of its own.  Every counter would then need a lock or atomics, and the
 * readiness check would read the backend pool and the TLS contexts while
 * the loop changes them.  On the loop, a request reads the counters
 * between two events, with no locking.  The price is a parser of our own
 * (http_request.c), kept small by the rules below, because Debian 12
 * packages no C library of llhttp.
 *
 * The rules: one request per connection (each response carries
 * "Connection: close"), a request head of at most HTTP_REQUEST_HEAD_MAX bytes (431
 * beyond), complete within ADMIN_REQUEST_TIMEOUT_MS of the accept (408),
 * and at most ADMIN_CONNECTIONS_MAX connections at once: a connection past
 * that is closed at accept.  A scrape of /metrics builds its whole body in
 * memory; its size grows with the listeners, close reasons, ciphers and
 * backend addresses, not with the sessions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proxy/admin.h"
#include "proxy/backend_pool.h"
#include "proxy/http_request.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/metrics_text.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "tls/context.h"

#define ADMIN_CONNECTIONS_MAX 16
#define ADMIN_REQUEST_TIMEOUT_MS 5000
#define ADMIN_BACKLOG 16
/* The shortest time between two warnings about a full admin listener. */
#define ADMIN_FULL_WARNING_INTERVAL_MS 60000

#define TEXT_PLAIN "text/plain; charset=utf-8"

struct admin_connection;

struct admin {
	struct server *server;
	uv_tcp_t handle;
	char *address;			/* the listen text it was opened with */
	struct admin_connection *connections;
	unsigned connection_count;
	/* The last warning about a connection closed at accept, and the
	 * connections closed since then without a warning. */
	uint64_t full_warning_ms;
	bool full_warning_written;
	unsigned full_suppressed;
};

struct admin_connection {
	struct admin *admin;
	struct admin_connection *prev;
	struct admin_connection *next;
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t write_request;
	uv_shutdown_t shutdown_request;
	unsigned open_handles;
	bool responded;			/* reading stopped, response queued */
	bool closing;
	char peer[INET6_ADDRSTRLEN + 8];
	char head[HTTP_REQUEST_HEAD_MAX];
	size_t head_len;
	char response_head[512];
	struct metrics_text body;	/* the response body */
};

static void
on_connection_closed(uv_handle_t *handle)
{
	struct admin_connection *c = handle->data;

	if (--c->open_handles > 0)
		return;
	metrics_text_free(&c->body);
	free(c);
}

/* Closes c at once: takes it off the list and closes both handles. */
static void
connection_close(struct admin_connection *c)
{
	struct admin *admin = c->admin;

	if (c->closing)
		return;
	c->closing = true;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		admin->connections = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	admin->connection_count--;
	uv_close((uv_handle_t *)&c->tcp, on_connection_closed);
	uv_close((uv_handle_t *)&c->timer, on_connection_closed);
}

static void
on_shutdown(uv_shutdown_t *request, int status)
{
	(void)status;
	connection_close(request->data);
}

static void
on_written(uv_write_t *request, int status)
{
	struct admin_connection *c = request->data;

	if (status < 0 || c->closing) {
		connection_close(c);
		return;
	}
	c->shutdown_request.data = c;
	if (uv_shutdown(&c->shutdown_request, (uv_stream_t *)&c->tcp,
	    on_shutdown) != 0)
		connection_close(c);
}

/* Sends status with the body in c->body (or none) and closes after it.
 * A HEAD response has the same head but no body (RFC 9110 section 9.3.2). */
static void
respond(struct admin_connection *c, int status, const char *content_type,
    bool with_body)
{
	uv_buf_t bufs[2];
	unsigned count = 1;
	size_t n;

	c->responded = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	n = http_response_head(c->response_head, sizeof(c->response_head),
	    status, content_type, c->body.len);
	if (n == 0) {
		connection_close(c);
		return;
	}
	bufs[0] = uv_buf_init(c->response_head, (unsigned)n);
	if (with_body && c->body.len > 0) {
		bufs[1] = uv_buf_init(c->body.data, (unsigned)c->body.len);
		count = 2;
	}
	c->write_request.data = c;
	if (uv_write(&c->write_request, (uv_stream_t *)&c->tcp, bufs, count,
	    on_written) != 0) {
		connection_close(c);
		return;
	}
	/* The timer now bounds the write: a client that reads nothing must
	 * not keep the connection. */
	uv_timer_again(&c->timer);
}

/* Sets the body to text, one line. */
static void
set_text(struct admin_connection *c, const char *text)
{
	metrics_text_free(&c->body);
	c->body.data = strdup(text);
	if (c->body.data == NULL) {
		c->body.failed = true;
		return;
	}
	c->body.len = strlen(text);
	c->body.cap = c->body.len + 1;
}

/*
 * Writes why srv is not ready into reason and returns false, or returns
 * true.  Checked in this order: draining, every backend address down, no
 * backend address confirmed by a check, a listener without a TLS context,
 * an expired certificate.
 */
static bool
check_ready(const struct server *srv, char *reason, size_t cap)
{
	struct tls_certificate_info info;
	long long now = (long long)time(NULL);

	if (srv->draining) {
		snprintf(reason, cap, "not ready: draining after SIGTERM, open "
		    "sessions are finishing\n");
		return false;
	}
	/* Each request starts a check of the backend and reads the result of
	 * the previous one, so the answer lags the backend by one probe
	 * interval (kubelet's periodSeconds, for example). */
	backend_pool_check(srv->backends);
	if (backend_pool_pick(srv->backends) == NULL) {
		snprintf(reason, cap, "not ready: every backend address is "
		    "marked down\n");
		return false;
	}
	if (!backend_pool_ready(srv->backends)) {
		snprintf(reason, cap, "not ready: no backend address has "
		    "answered a check yet\n");
		return false;
	}
	for (size_t i = 0; i < srv->listener_count; i++) {
		const struct listener *l = &srv->listeners[i];

		if (l->tls == NULL) {
			snprintf(reason, cap, "not ready: listener %s has no "
			    "certificate loaded\n", l->config->name);
			return false;
		}
		for (size_t j = 0; tls_context_certificate(l->tls, j, &info);
		    j++) {
			if (!info.has_expiry || info.not_after > now)
				continue;
			snprintf(reason, cap, "not ready: listener %s: "
			    "certificate %s (subject %s) has expired\n",
			    l->config->name, info.path, info.subject);
			return false;
		}
	}
	snprintf(reason, cap, "ready\n");
	return true;
}

/* Sends the response to a parsed request and returns its status. */
static int
route(struct admin_connection *c, const struct http_request *request)
{
	struct server *srv = c->admin->server;
	bool with_body = request->method == HTTP_METHOD_GET;
	char reason[512];
	int status = 200;

	if (request->method == HTTP_METHOD_OTHER) {
		status = 405;
		set_text(c, "method not allowed: only GET and HEAD\n");
		with_body = true;
	} else if (strcmp(request->path, "/metrics") == 0) {
		metrics_render(srv, &c->body);
		if (c->body.failed)
			status = 500;
	} else if (strcmp(request->path, "/healthz") == 0) {
		set_text(c, "ok\n");
	} else if (strcmp(request->path, "/readyz") == 0) {
		if (!check_ready(srv, reason, sizeof(reason)))
			status = 503;
		set_text(c, reason);
	} else {
		status = 404;
		set_text(c, "not found: the paths are /metrics, /healthz and "
		    "/readyz\n");
	}

	if (c->body.failed) {
		status = 500;
		metrics_text_free(&c->body);
		set_text(c, "out of memory\n");
	}
	respond(c, status, status == 200 && strcmp(request->path,
	    "/metrics") == 0 ? METRICS_TEXT_CONTENT_TYPE : TEXT_PLAIN,
	    with_body);
	return status;
}

static void
log_request(const struct admin_connection *c, const struct http_request *request,
    int status)
{
	static const char *const methods[] = {
		[HTTP_METHOD_GET] = "GET",
		[HTTP_METHOD_HEAD] = "HEAD",
		[HTTP_METHOD_OTHER] = "other",
	};
	char path[LOG_FIELD_SIZE(HTTP_REQUEST_PATH_MAX)];

	if (request != NULL)
		log_message(CONFIG_LOG_DEBUG, "subtls/admin", "client=%s "
		    "method=%s path=%s status=%d", c->peer,
		    methods[request->method],
		    log_field(request->path, path, sizeof(path)), status);
	else
		log_message(CONFIG_LOG_DEBUG, "subtls/admin", "client=%s "
		    "status=%d", c->peer, status);
}

/* Sends the error response for an invalid or timed-out request head. */
static void
reject(struct admin_connection *c, int status)
{
	char line[128];

	snprintf(line, sizeof(line), "%d %s\n", status,
	    http_status_reason(status));
	set_text(c, line);
	respond(c, status, TEXT_PLAIN, true);
	log_request(c, NULL, status);
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct admin_connection *c = handle->data;

	(void)suggested;
	buf->base = c->head + c->head_len;
	buf->len = sizeof(c->head) - c->head_len;
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct admin_connection *c = stream->data;
	struct http_request request;
	enum http_parse_result result;

	(void)buf;
	if (nread < 0) {
		/* The client went away before its head was complete. */
		connection_close(c);
		return;
	}
	c->head_len += (size_t)nread;
	result = http_request_parse(c->head, c->head_len, &request);
	if (result == HTTP_PARSE_INCOMPLETE)
		return;
	if (result != HTTP_PARSE_COMPLETE) {
		reject(c, http_parse_status(result));
		return;
	}
	log_request(c, &request, route(c, &request));
}

static void
on_timeout(uv_timer_t *timer)
{
	struct admin_connection *c = timer->data;

	if (c->responded) {
		connection_close(c);
		return;
	}
	reject(c, 408);
}

/*
 * Logs a connection closed at accept because ADMIN_CONNECTIONS_MAX are
 * open.  It is a warning, because health probes and scrapes fail while the
 * listener is full and the operator needs to see why.  It is written at
 * most once per ADMIN_FULL_WARNING_INTERVAL_MS with the count of the
 * connections closed since the last one, because a client that connects in
 * a loop would otherwise flood the log.
 */
static void
warn_full(struct admin *admin, const char *peer)
{
	uint64_t now = uv_now(&admin->server->loop);

	if (admin->full_warning_written &&
	    now - admin->full_warning_ms < ADMIN_FULL_WARNING_INTERVAL_MS) {
		admin->full_suppressed++;
		return;
	}
	log_message(CONFIG_LOG_WARNING, "subtls/admin", "client=%s closed: "
	    "%u admin connections are open (the maximum) suppressed=%u",
	    peer, ADMIN_CONNECTIONS_MAX, admin->full_suppressed);
	admin->full_warning_ms = now;
	admin->full_warning_written = true;
	admin->full_suppressed = 0;
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct admin *admin = server->data;
	struct admin_connection *c;
	struct sockaddr_storage peer;
	int length = sizeof(peer);

	if (status < 0) {
		log_warning("admin listener %s: accept failed: %s",
		    admin->address, uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_warning("admin listener %s: cannot accept a connection: "
		    "out of memory", admin->address);
		return;
	}
	c->admin = admin;
	uv_tcp_init(&admin->server->loop, &c->tcp);
	uv_timer_init(&admin->server->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->open_handles = 2;
	c->next = admin->connections;
	if (c->next != NULL)
		c->next->prev = c;
	admin->connections = c;
	admin->connection_count++;

	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		connection_close(c);
		return;
	}
	snprintf(c->peer, sizeof(c->peer), "unknown");
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer,
	    &length) == 0)
		session_format_address(&peer, c->peer, sizeof(c->peer));
	if (admin->connection_count > ADMIN_CONNECTIONS_MAX) {
		warn_full(admin, c->peer);
		connection_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, ADMIN_REQUEST_TIMEOUT_MS,
	    ADMIN_REQUEST_TIMEOUT_MS);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		connection_close(c);
}

int
admin_open(struct server *srv)
{
	const struct config_listen_address *address =
	    &srv->config->admin.listen;
	struct admin *admin;
	int fd, rc;

	if (address->text == NULL)
		return 0;
	admin = calloc(1, sizeof(*admin));
	if (admin == NULL || (admin->address = strdup(address->text)) == NULL) {
		free(admin);
		log_error("cannot open the admin listener: out of memory");
		return -1;
	}
	admin->server = srv;
	srv->admin = admin;
	uv_tcp_init(&srv->loop, &admin->handle);
	admin->handle.data = admin;

	fd = listener_bind(address);
	if (fd < 0) {
		log_error("cannot listen on %s for [admin]: %s%s",
		    address->text, strerror(-fd), listener_bind_hint(fd));
		return -1;
	}
	rc = uv_tcp_open(&admin->handle, fd);
	if (rc != 0) {
		close(fd);
	} else {
		rc = uv_listen((uv_stream_t *)&admin->handle, ADMIN_BACKLOG,
		    on_connection);
	}
	if (rc != 0) {
		log_error("cannot listen on %s for [admin]: %s",
		    address->text, uv_strerror(rc));
		return -1;
	}
	log_info("admin listening address=%s paths=/metrics,/healthz,/readyz",
	    address->text);
	return 0;
}

void
admin_close(struct admin *admin)
{
	if (admin == NULL)
		return;
	if (!uv_is_closing((uv_handle_t *)&admin->handle))
		uv_close((uv_handle_t *)&admin->handle, NULL);
	while (admin->connections != NULL)
		connection_close(admin->connections);
}

void
admin_free(struct admin *admin)
{
	if (admin == NULL)
		return;
	free(admin->address);
	free(admin);
}

static bool
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

void
admin_config_reloaded(struct server *srv)
{
	const char *running = srv->admin != NULL ? srv->admin->address : NULL;
	const char *next = srv->config->admin.listen.text;

	if (same_text(running, next))
		return;
	log_warning("reload: [admin] listen changed from %s to %s; the admin "
	    "listener keeps %s until subtls restarts",
	    running != NULL ? running : "none", next != NULL ? next : "none",
	    running != NULL ? running : "none");
}
