/*
 * Listening sockets.  Each is created, configured and bound here, because
 * libuv 1.44 has no SO_REUSEPORT flag.  libuv polls the socket, and subtls
 * accepts (see struct listener_socket).  With several workers, each worker
 * binds a socket of its own to every listen address with SO_REUSEPORT.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/admission.h"
#include "proxy/client_key.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "proxy/worker.h"

/* The kernel caps this at net.core.somaxconn. */
#define LISTEN_BACKLOG 511

/* Connections accepted per poll callback, so that one busy listener does
 * not hold up the sessions' own events. */
#define ACCEPT_BATCH 32

static void
log_accept_error(struct listener_socket *ls, int error)
{
	uint64_t now = uv_now(&ls->listener->server->loop);

	/* A failure that repeats for every connection (ENOBUFS, say) is
	 * logged once a second. */
	if (ls->last_accept_warning_ms != 0 &&
	    now - ls->last_accept_warning_ms < 1000) {
		ls->accept_errors_unlogged++;
		return;
	}
	log_message(CONFIG_LOG_WARNING, ls->listener->ident,
	    "accept on %s failed: %s (%u more failures not logged)",
	    ls->address->text, strerror(error), ls->accept_errors_unlogged);
	ls->last_accept_warning_ms = now;
	ls->accept_errors_unlogged = 0;
}

/* Writes the open_files warning unless admission_warning_due() suppresses it. */
static void
log_open_files(struct listener_socket *ls, const char *client,
    const char *action, int error)
{
	struct listener *l = ls->listener;
	struct rlimit files = { 0, 0 };
	unsigned suppressed;

	if (!admission_warning_due(l->server, LIMIT_OPEN_FILES, &suppressed))
		return;
	(void)getrlimit(RLIMIT_NOFILE, &files);
	log_message(CONFIG_LOG_WARNING, l->ident, "limit reached listener=%s "
	    "address=%s client=%s limit=open_files value=%llu action=%s "
	    "error=\"%s\" suppressed=%u", l->config->name, ls->address->text,
	    client, (unsigned long long)files.rlim_cur, action,
	    strerror(error), suppressed);
}

/*
 * Sheds one connection when accept() failed with EMFILE or ENFILE.  The
 * spare descriptor is closed so that accept() can take the connection,
 * which is closed at once, and reopened.  Without it the connection would
 * stay in the backlog and the socket would poll readable again at once,
 * so the loop would spin.  When no spare is left, the socket pauses until
 * a session ends and frees descriptors.
 *
 * Linux's accept() takes a descriptor number before it looks at the
 * backlog, so EMFILE also comes when no connection waits.  Returns false
 * when nothing was shed and accepting should stop.
 */
static bool
shed_connection(struct listener_socket *ls, int error)
{
	struct server *srv = ls->listener->server;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	char client[CLIENT_KEY_TEXT_MAX + 8] = "unknown";
	int fd = -1, accept_error = 0;

	if (srv->spare_fd >= 0) {
		close(srv->spare_fd);
		srv->spare_fd = -1;
		fd = accept4(ls->fd, (struct sockaddr *)&peer, &len,
		    SOCK_CLOEXEC);
		if (fd >= 0) {
			/* Logged before the close, so that a client that sees
			 * the close can find the reason in the log. */
			session_format_address(&peer, client, sizeof(client));
			log_open_files(ls, client, "closed", error);
			metrics_limit_refusal(ls->listener, "open_files");
			close(fd);
		} else
			accept_error = errno;
		srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (srv->spare_fd >= 0) {
			/* Without a connection (EAGAIN) nothing waits,
			 * unless the one that did has just left. */
			return fd >= 0 || accept_error == ECONNABORTED ||
			    accept_error == EINTR;
		}
	}
	ls->paused_for_descriptors = true;
	listener_socket_update(ls);
	log_open_files(ls, client, "accept_paused", error);
	return fd >= 0;
}

/*
 * Returns whether ls must wait for a handshake slot before it accepts: an
 * implicit TLS socket while every slot is taken.  The connections then wait
 * in the kernel's backlog, not in subtls.  waiting is true when a connection
 * is known to wait (the socket polled readable), which is when the socket
 * pauses and the limit is logged.  Otherwise the next poll tells.
 */
static bool
must_wait_for_handshake(struct listener_socket *ls, bool waiting)
{
	struct listener *l = ls->listener;
	struct server *srv = l->server;
	unsigned suppressed;

	if (l->config->mode != CONFIG_MODE_IMPLICIT ||
	    admission_handshake_slot_free(srv))
		return false;
	if (!waiting)
		return true;

	ls->paused_for_handshakes = true;
	listener_socket_update(ls);
	admission_wait_for_handshake(srv);
	if (admission_warning_due(srv, LIMIT_MAX_HANDSHAKES, &suppressed))
		log_message(CONFIG_LOG_WARNING, l->ident, "limit reached "
		    "listener=%s address=%s limit=max_handshakes_in_progress "
		    "value=%u action=accept_paused suppressed=%u",
		    l->config->name, ls->address->text,
		    srv->config->global.max_handshakes_in_progress,
		    suppressed);
	return true;
}

static void
on_readable(uv_poll_t *handle, int status, int events)
{
	struct listener_socket *ls = handle->data;
	int fd;

	(void)events;
	if (status < 0) {
		log_accept_error(ls, -status);
		return;
	}
	for (int i = 0; i < ACCEPT_BATCH && ls->polling; i++) {
		if (must_wait_for_handshake(ls, i == 0))
			return;
		fd = accept4(ls->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			session_accept(ls->listener, fd);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return;
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			/* The client is gone, or a network error that
			 * accept(2) on Linux passes on: try the next. */
			continue;
		case EMFILE:
		case ENFILE:
			if (!shed_connection(ls, errno))
				return;
			continue;
		default:
			log_accept_error(ls, errno);
			return;
		}
	}
}

void
listener_socket_update(struct listener_socket *ls)
{
	bool want = ls->open && !ls->paused_for_handshakes &&
	    !ls->paused_for_descriptors;

	if (want == ls->polling)
		return;
	if (want)
		uv_poll_start(&ls->handle, UV_READABLE, on_readable);
	else
		uv_poll_stop(&ls->handle);
	ls->polling = want;
}

void
listeners_resume(struct server *srv, bool handshakes, bool descriptors)
{
	for (size_t i = 0; i < srv->listener_count; i++) {
		struct listener *l = &srv->listeners[i];

		for (size_t j = 0; j < l->socket_count; j++) {
			struct listener_socket *ls = &l->sockets[j];

			if (handshakes)
				ls->paused_for_handshakes = false;
			if (descriptors)
				ls->paused_for_descriptors = false;
			listener_socket_update(ls);
		}
	}
}

void
listener_socket_close(struct listener_socket *ls, uv_close_cb done)
{
	ls->open = false;
	ls->polling = false;
	/* uv_close() stops the poll, after which the socket may close. */
	uv_close((uv_handle_t *)&ls->handle, done);
	close(ls->fd);
	ls->fd = -1;
}

static int
bind_socket(const struct config_listen_address *a, bool reuse_port)
{
	int fd, one = 1, v6only = a->ipv6_only;

	fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	/* Each worker binds its own socket to the address, and the kernel
	 * spreads new connections over them by a hash of the addresses and
	 * ports.  Linux lets only sockets of the same effective user join,
	 * and those bound at start belong to the user that started subtls. */
	if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) < 0)
		goto fail;
	/* Set both ways: the system default (bindv6only) is not ours to trust. */
	if (a->addr.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->addr, a->addr_len) < 0)
		goto fail;
	return fd;

fail:
	one = -errno;
	close(fd);
	return one;
}

int
listener_bind(const struct config_listen_address *address)
{
	return bind_socket(address, false);
}

int
listener_bind_for(const struct server *srv,
    const struct config_listen_address *address)
{
	return bind_socket(address, workers_count(srv) > 1);
}

const char *
listener_bind_hint(int error)
{
	if (error == -EACCES)
		return " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
	if (error == -EADDRINUSE)
		return " (another program has this port)";
	return "";
}

static int
open_socket(struct listener *l, struct listener_socket *ls)
{
	int fd;

	fd = listener_bind_for(l->server, ls->address);
	if (fd < 0) {
		log_message(CONFIG_LOG_ERROR, l->ident, "cannot listen on %s: "
		    "%s%s", ls->address->text, strerror(-fd),
		    listener_bind_hint(fd));
		return -1;
	}
	return listener_socket_start(l, ls, fd);
}

int
listener_socket_start(struct listener *l, struct listener_socket *ls, int fd)
{
	struct server *srv = l->server;
	int rc;

	ls->fd = fd;
	if (listen(fd, LISTEN_BACKLOG) != 0) {
		rc = -errno;
		close(fd);
		ls->fd = -1;
		log_message(CONFIG_LOG_ERROR, l->ident, "cannot listen on %s: "
		    "%s", ls->address->text, strerror(-rc));
		return -1;
	}
	rc = uv_poll_init_socket(&srv->loop, &ls->handle, fd);
	if (rc != 0) {
		close(fd);
		ls->fd = -1;
		log_message(CONFIG_LOG_ERROR, l->ident, "cannot listen on %s: "
		    "%s", ls->address->text, uv_strerror(rc));
		return -1;
	}
	ls->handle.data = ls;
	ls->open = true;
	listener_socket_update(ls);
	return 0;
}

int
listeners_open(struct server *srv)
{
	const struct config *cfg = srv->config;

	srv->listeners = calloc(cfg->listener_count, sizeof(*srv->listeners));
	if (srv->listeners == NULL)
		return -1;
	srv->listener_count = cfg->listener_count;

	for (size_t i = 0; i < cfg->listener_count; i++) {
		struct listener *l = &srv->listeners[i];

		l->server = srv;
		l->config = &cfg->listeners[i];
		l->tls = srv->tls[i];
		snprintf(l->ident, sizeof(l->ident), "subtls/%s",
		    l->config->name);
		l->sockets = calloc(l->config->address_count,
		    sizeof(*l->sockets));
		if (l->sockets == NULL)
			return -1;
		l->socket_count = l->config->address_count;
		for (size_t j = 0; j < l->socket_count; j++) {
			l->sockets[j].listener = l;
			l->sockets[j].address = &l->config->addresses[j];
			if (open_socket(l, &l->sockets[j]) != 0)
				return -1;
		}
	}
	return 0;
}

int
listeners_open_copies(struct server *srv, const struct server *from)
{
	srv->listeners = calloc(from->listener_count, sizeof(*srv->listeners));
	if (srv->listeners == NULL)
		return -1;
	srv->listener_count = from->listener_count;

	for (size_t i = 0; i < from->listener_count; i++) {
		const struct listener *original = &from->listeners[i];
		struct listener *l = &srv->listeners[i];

		l->server = srv;
		l->config = original->config;
		l->tls = original->tls;
		memcpy(l->ident, original->ident, sizeof(l->ident));
		l->sockets = calloc(original->socket_count,
		    sizeof(*l->sockets));
		if (l->sockets == NULL)
			return -1;
		l->socket_count = original->socket_count;
		for (size_t j = 0; j < l->socket_count; j++) {
			l->sockets[j].listener = l;
			l->sockets[j].address = original->sockets[j].address;
			if (open_socket(l, &l->sockets[j]) != 0)
				return -1;
		}
	}
	return 0;
}

void
listeners_close(struct server *srv)
{
	for (size_t i = 0; i < srv->listener_count; i++) {
		struct listener *l = &srv->listeners[i];

		for (size_t j = 0; j < l->socket_count; j++) {
			if (!l->sockets[j].open)
				continue;
			listener_socket_close(&l->sockets[j], NULL);
		}
	}
}

void
listeners_free(struct server *srv)
{
	for (size_t i = 0; i < srv->listener_count; i++)
		free(srv->listeners[i].sockets);
	free(srv->listeners);
	srv->listeners = NULL;
	srv->listener_count = 0;
}
