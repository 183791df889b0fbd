/*
 * sd_notify(3) over a connected unix datagram socket.  Each datagram
 * contains VAR=value assignments separated by newlines.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proxy/log.h"
#include "proxy/notify.h"

static int notify_fd = -1;

void
notify_open(void)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	size_t length;
	socklen_t address_length;

	if (name == NULL || name[0] == '\0')
		return;
	length = strlen(name);
	if ((name[0] != '/' && name[0] != '@') ||
	    length >= sizeof(address.sun_path)) {
		log_warning("NOTIFY_SOCKET=%s: not an absolute path or an "
		    "abstract socket name; systemd is not notified", name);
		unsetenv("NOTIFY_SOCKET");
		return;
	}
	memcpy(address.sun_path, name, length);
	if (name[0] == '@')
		address.sun_path[0] = '\0';
	address_length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    length + (name[0] == '@' ? 0 : 1));

	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0 ||
	    connect(notify_fd, (struct sockaddr *)&address,
	    address_length) != 0) {
		log_warning("NOTIFY_SOCKET=%s: cannot connect: %s; systemd is "
		    "not notified", name, strerror(errno));
		if (notify_fd >= 0)
			close(notify_fd);
		notify_fd = -1;
	}
	unsetenv("NOTIFY_SOCKET");
}

static void
notify_send(const char *message)
{
	if (notify_fd < 0)
		return;
	/* The log names only the first assignment, because a line break
	 * would split the log line. */
	if (send(notify_fd, message, strlen(message), MSG_NOSIGNAL) < 0)
		log_warning("cannot notify systemd (%.*s): %s",
		    (int)strcspn(message, "\n"), message, strerror(errno));
}

void
notify_ready(void)
{
	notify_send("READY=1\nSTATUS=accepting connections");
}

void
notify_reloading(void)
{
	struct timespec now;
	char message[64];

	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(message, sizeof(message), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000);
	notify_send(message);
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}
