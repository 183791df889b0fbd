/*
 * New listen addresses for a listener on reload.
 *
 * The sockets are prepared before the reload commits, so a failed bind
 * changes nothing: listener_rebind_prepare() binds the new addresses and
 * duplicates the sockets of addresses that stay, and only
 * listener_rebind_commit() swaps them in.  A socket that stays is never
 * closed, so connections waiting in its accept queue are not lost.
 */
#ifndef PROXY_LISTENER_RELOAD_H
#define PROXY_LISTENER_RELOAD_H

#include <stdio.h>

#include "config/config.h"

struct listener;
struct listener_socket;

struct listener_rebind {
	struct listener_socket *sockets;	/* the new array */
	int *fds;		/* bound sockets, one per new address */
	size_t count;
	void *retired;		/* frees the old array once closed */
};

/*
 * Prepares sockets for the addresses of next, the reloaded config of l.
 * Each address that cannot be bound is written to errors as
 * "file:line: cannot listen on ADDRESS: error" and counted.  Returns 0, or
 * -1 with everything released.
 */
int listener_rebind_prepare(const struct listener *l,
    const struct config_listener *next, struct listener_rebind *rebind,
    FILE *errors, unsigned *error_count);

/* Releases prepared sockets that will not be used. */
void listener_rebind_discard(struct listener_rebind *rebind);

/* Closes l's old sockets and starts the prepared ones for next. */
void listener_rebind_commit(struct listener *l,
    const struct config_listener *next, struct listener_rebind *rebind);

#endif
