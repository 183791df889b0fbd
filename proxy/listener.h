/*
 * Listeners: one listening socket per listen address of each [listener NAME].
 * Each worker has its own listener structs and its own sockets, bound with
 * SO_REUSEPORT to the same addresses.
 */
#ifndef PROXY_LISTENER_H
#define PROXY_LISTENER_H

#include <uv.h>

#include "config/config.h"
#include "proxy/log.h"

struct server;
struct tls_context;

/*
 * A listening socket.  subtls accepts connections itself when libuv polls
 * the socket readable, instead of with uv_listen(), so that it can leave
 * connections in the kernel's backlog (max_handshakes_in_progress) and log
 * and shed connections when descriptors run out.  libuv 1.44 sheds those
 * without telling its caller.
 */
struct listener_socket {
	uv_poll_t handle;
	int fd;
	struct listener *listener;
	const struct config_listen_address *address;
	bool open;
	bool polling;			/* the poll handle is started */
	bool paused_for_handshakes;	/* implicit TLS: no handshake slot */
	bool paused_for_descriptors;	/* no spare descriptor to shed with */
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

/*
 * Opens srv's listeners, another worker's, as copies of from's, which are
 * open: the same configuration, and a socket of srv's own bound to each
 * address with SO_REUSEPORT.  On failure logs the error and returns -1;
 * listeners_close() and listeners_free() then release what was opened.
 */
int listeners_open_copies(struct server *srv, const struct server *from);

/* Closes every listening socket; sessions already accepted go on. */
void listeners_close(struct server *srv);

/* Stops polling ls and closes its handle and socket; done runs when libuv
 * has closed the handle. */
void listener_socket_close(struct listener_socket *ls, uv_close_cb done);

/* Polls ls for connections unless it is closed or paused (see the paused_*
 * flags), or stops polling it. */
void listener_socket_update(struct listener_socket *ls);

/* Clears the handshake pause of every implicit TLS socket (a handshake slot
 * is free), or the descriptor pause of every socket (a session ended). */
void listeners_resume(struct server *srv, bool handshakes, bool descriptors);

/* Frees the listener array once the loop has closed the handles. */
void listeners_free(struct server *srv);

/* Binds a socket to address without listening yet.  Returns the socket, or
 * -errno on failure. */
int listener_bind(const struct config_listen_address *address);

/* Binds a listening socket of srv's listeners to address, with
 * SO_REUSEPORT when there are several workers.  Returns the socket, or
 * -errno on failure. */
int listener_bind_for(const struct server *srv,
    const struct config_listen_address *address);

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
