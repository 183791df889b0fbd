/*
 * Listening sockets.  Each is created, configured and bound here, then handed
 * to libuv with uv_tcp_open(): libuv 1.44 has no SO_REUSEPORT flag, and a
 * later one-loop-per-thread design will bind one socket per loop this way.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/server.h"
#include "proxy/session.h"

/* The kernel caps this at net.core.somaxconn. */
#define LISTEN_BACKLOG 511

static void
on_connection(uv_stream_t *stream, int status)
{
	struct listener_socket *ls = stream->data;

	if (status < 0) {
		uint64_t now = uv_now(stream->loop);

		/* A failure that repeats for every connection (ENOBUFS, say)
		 * is logged once a second.  Running out of descriptors is not
		 * reported here: libuv 1.44 then accepts and closes the
		 * connection itself, which is why main() raises the limit. */
		if (ls->last_accept_warning_ms != 0 &&
		    now - ls->last_accept_warning_ms < 1000) {
			ls->accept_errors_unlogged++;
			return;
		}
		log_message(CONFIG_LOG_WARNING, ls->listener->ident,
		    "accept on %s failed: %s (%u more failures not logged)",
		    ls->address->text, uv_strerror(status),
		    ls->accept_errors_unlogged);
		ls->last_accept_warning_ms = now;
		ls->accept_errors_unlogged = 0;
		return;
	}
	session_accept(ls->listener, stream);
}

static int
bind_socket(const struct config_listen_address *a)
{
	int fd, one = 1, v6only = a->ipv6_only;

	fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
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
	return bind_socket(address);
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

	fd = bind_socket(ls->address);
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

	uv_tcp_init(&srv->loop, &ls->handle);
	ls->handle.data = ls;
	ls->open = true;
	rc = uv_tcp_open(&ls->handle, fd);
	if (rc != 0)
		close(fd);
	else
		rc = uv_listen((uv_stream_t *)&ls->handle, LISTEN_BACKLOG,
		    on_connection);
	if (rc != 0) {
		log_message(CONFIG_LOG_ERROR, l->ident, "cannot listen on %s: "
		    "%s", ls->address->text, uv_strerror(rc));
		return -1;
	}
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

void
listeners_close(struct server *srv)
{
	for (size_t i = 0; i < srv->listener_count; i++) {
		struct listener *l = &srv->listeners[i];

		for (size_t j = 0; j < l->socket_count; j++) {
			if (!l->sockets[j].open)
				continue;
			l->sockets[j].open = false;
			uv_close((uv_handle_t *)&l->sockets[j].handle, NULL);
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
