/*
 * Listeners: one listening socket per listen address of each [listener NAME].
 */
#ifndef PROXY_LISTENER_H
#define PROXY_LISTENER_H

#include <uv.h>

#include "config/config.h"
#include "proxy/log.h"

struct server;
struct tls_context;

struct listener_socket {
	uv_tcp_t handle;
	struct listener *listener;
	const struct config_listen_address *address;
	bool open;
	uint64_t last_accept_warning_ms;	/* rate limit for accept errors */
	unsigned accept_errors_unlogged;
};

struct listener {
	struct server *server;
	const struct config_listener *config;
	struct tls_context *tls;	/* the context of its policy */
	char ident[LOG_IDENT_MAX];	/* "subtls/<name>" */
	struct listener_socket *sockets;
	size_t socket_count;
};

/*
 * Binds and listens on every address of every listener.  On failure logs the
 * address and the error, closes what was opened and returns -1.
 */
int listeners_open(struct server *srv);

/* Closes every listening socket; sessions already accepted go on. */
void listeners_close(struct server *srv);

/* Frees the listener array once the loop has closed the handles. */
void listeners_free(struct server *srv);

/* Binds a socket to address without listening yet.  Returns the socket, or
 * -errno on failure. */
int listener_bind(const struct config_listen_address *address);

/* A hint for a bind error (-errno), starting with a blank, or "". */
const char *listener_bind_hint(int error);

/*
 * Starts accepting on fd, a bound socket, for ls of listener l; ls->address
 * must be set.  Takes fd over in every case.  On failure logs the address
 * and the error and returns -1.
 */
int listener_socket_start(struct listener *l, struct listener_socket *ls,
    int fd);

#endif
