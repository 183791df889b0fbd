/*
 * Reloading when the certificate, key or ticket key file changes, with
 * watch_files = yes in [tls].
 */
#ifndef PROXY_WATCH_H
#define PROXY_WATCH_H

struct server;

/*
 * Watches the directories of the files that [tls] names, replacing any
 * earlier watch, or stops watching when watch_files is off.  A change to
 * one of the files, or a Kubernetes-style "..data" swap in their directory,
 * starts a reload once WATCH_DEBOUNCE_MS have passed without another
 * change, so that a certificate and its key written one after the other
 * load together.  A directory that cannot be watched is logged as a
 * warning and skipped.  Call after the config is loaded or reloaded.
 */
void watch_files_start(struct server *srv);

/* Stops watching and closes the handles (at shutdown). */
void watch_files_stop(struct server *srv);

#define WATCH_DEBOUNCE_MS 2000

#endif
