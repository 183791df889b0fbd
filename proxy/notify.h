/*
 * The systemd service notification protocol (sd_notify(3)) without
 * libsystemd: datagrams such as "READY=1" to the unix socket named by
 * $NOTIFY_SOCKET.  Without that variable every call does nothing.
 */
#ifndef PROXY_NOTIFY_H
#define PROXY_NOTIFY_H

/*
 * Connects a datagram socket to $NOTIFY_SOCKET (a path, or an abstract
 * name when it starts with '@') and unsets the variable, so that no child
 * inherits it.  Call before chroot: the connected socket keeps working
 * inside it.  Logs a warning and leaves notification off on failure.
 */
void notify_open(void);

/* Sends READY=1 once the listeners accept connections. */
void notify_ready(void);

/* Sends RELOADING=1 with MONOTONIC_USEC, as Type=notify-reload expects,
 * when a reload starts; notify_ready() ends it. */
void notify_reloading(void);

/* Sends STOPPING=1 when the drain starts. */
void notify_stopping(void);

#endif
