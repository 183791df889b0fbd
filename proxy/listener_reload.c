/*
 * Moving a listener to new addresses on reload (see listener_reload.h).
 *
 * An address that stays keeps its socket: the new handle gets a duplicate
 * of the socket's descriptor before the old handle is closed.  An address
 * that is new is bound like at start, but as the user subtls runs as,
 * which cannot bind ports below 1024 after dropping root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/listener.h"
#include "proxy/listener_reload.h"
#include "proxy/log.h"
#include "proxy/server.h"

/* The old sockets of a listener, freed when the last handle has closed. */
struct retired_sockets {
	struct listener_socket *sockets;
	size_t closing;
};

static bool
address_listed(const struct config_listener *listener,
    const struct config_listen_address *address)
{
	for (size_t i = 0; i < listener->address_count; i++)
		if (strcmp(listener->addresses[i].text, address->text) == 0)
			return true;
	return false;
}

/* Returns the open socket of l for the same address, or NULL. */
static const struct listener_socket *
find_open_socket(const struct listener *l,
    const struct config_listen_address *address)
{
	for (size_t i = 0; i < l->socket_count; i++) {
		const struct listener_socket *ls = &l->sockets[i];

		if (ls->open && strcmp(ls->address->text, address->text) == 0 &&
		    ls->address->ipv6_only == address->ipv6_only)
			return ls;
	}
	return NULL;
}

static int
duplicate_socket(const struct listener_socket *ls)
{
	uv_os_fd_t fd;

	if (uv_fileno((const uv_handle_t *)&ls->handle, &fd) != 0)
		return -EBADF;
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

int
listener_rebind_prepare(const struct listener *l,
    const struct config_listener *next, struct listener_rebind *rebind,
    FILE *errors, unsigned *error_count)
{
	unsigned before = *error_count;

	memset(rebind, 0, sizeof(*rebind));
	rebind->sockets = calloc(next->address_count, sizeof(*rebind->sockets));
	rebind->fds = calloc(next->address_count, sizeof(*rebind->fds));
	rebind->retired = calloc(1, sizeof(struct retired_sockets));
	if (rebind->sockets == NULL || rebind->fds == NULL ||
	    rebind->retired == NULL) {
		fprintf(errors, "%s: listener %s: out of memory\n",
		    next->at.file, next->name);
		(*error_count)++;
		listener_rebind_discard(rebind);
		return -1;
	}

	for (size_t i = 0; i < next->address_count; i++) {
		const struct config_listen_address *address =
		    &next->addresses[i];
		const struct listener_socket *kept =
		    find_open_socket(l, address);
		int fd = kept != NULL ? duplicate_socket(kept) :
		    listener_bind_for(l->server, address);

		if (fd < 0) {
			fprintf(errors, "%s:%u: cannot listen on %s: %s%s\n",
			    address->at.file, address->at.line, address->text,
			    strerror(-fd), listener_bind_hint(fd));
			(*error_count)++;
			fd = -1;
		}
		/* fds was checked above, but the analyzer forgets it. */
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		rebind->fds[rebind->count++] = fd;
	}
	if (*error_count != before) {
		listener_rebind_discard(rebind);
		return -1;
	}
	return 0;
}

void
listener_rebind_discard(struct listener_rebind *rebind)
{
	/* count is 0 until fds is allocated; the analyzer does not see
	 * that through the memset() in listener_rebind_prepare(). */
	for (size_t i = 0; i < rebind->count; i++)
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		if (rebind->fds[i] >= 0)
			close(rebind->fds[i]);
	free(rebind->fds);
	free(rebind->sockets);
	free(rebind->retired);
	memset(rebind, 0, sizeof(*rebind));
}

static void
on_retired_closed(uv_handle_t *handle)
{
	struct retired_sockets *retired = handle->data;

	if (--retired->closing > 0)
		return;
	free(retired->sockets);
	free(retired);
}

/* Closes the old handles; the array goes with the last close callback. */
static void
retire_sockets(struct listener *l, const struct config_listener *next,
    struct retired_sockets *retired)
{
	retired->sockets = l->sockets;
	for (size_t i = 0; i < l->socket_count; i++)
		retired->closing += l->sockets[i].open;
	if (retired->closing == 0) {
		free(retired->sockets);
		free(retired);
		return;
	}
	for (size_t i = 0; i < l->socket_count; i++) {
		struct listener_socket *ls = &l->sockets[i];

		if (!ls->open)
			continue;
		ls->open = false;
		if (!address_listed(next, ls->address) &&
		    l->server->worker_index == 0)
			log_message(CONFIG_LOG_INFO, l->ident, "stopped "
			    "listening on %s", ls->address->text);
		ls->handle.data = retired;
		listener_socket_close(ls, on_retired_closed);
	}
}

void
listener_rebind_commit(struct listener *l, const struct config_listener *next,
    struct listener_rebind *rebind)
{
	struct listener_socket *fresh = rebind->sockets;
	const struct config_listener *previous = l->config;

	retire_sockets(l, next, rebind->retired);
	l->sockets = fresh;
	l->socket_count = rebind->count;
	l->config = next;

	for (size_t i = 0; i < rebind->count; i++) {
		fresh[i].listener = l;
		fresh[i].address = &next->addresses[i];
		if (listener_socket_start(l, &fresh[i], rebind->fds[i]) == 0 &&
		    !address_listed(previous, fresh[i].address) &&
		    l->server->worker_index == 0)
			log_message(CONFIG_LOG_INFO, l->ident, "listening on %s",
			    fresh[i].address->text);
	}
	free(rebind->fds);
	memset(rebind, 0, sizeof(*rebind));
}
