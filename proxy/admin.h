/*
 * The admin listener of [admin] listen: plain HTTP for monitoring.
 *
 *   GET /metrics  the counters in the Prometheus text format (metrics.h)
 *   GET /healthz  200 "ok" (liveness: the event loop is running)
 *   GET /readyz   200 "ready", or 503 and a one-line reason while no
 *                 backend address is up, a listener's certificate has
 *                 expired, or subtls is draining after SIGTERM
 *
 * HEAD works on each path, other methods get 405, other paths 404.
 */
#ifndef PROXY_ADMIN_H
#define PROXY_ADMIN_H

struct admin;
struct server;

/*
 * Binds and listens on srv->config->admin.listen, if set, and stores the
 * admin listener in srv->admin.  On failure logs the address and the error
 * and returns -1.  Call it before dropping privileges.
 */
int admin_open(struct server *srv);

/* Stops listening and closes every admin connection; the handles close
 * in the loop.  Harmless when there is no admin listener. */
void admin_close(struct admin *admin);

/* Frees the admin listener after admin_close() once the loop has run. */
void admin_free(struct admin *admin);

/*
 * Logs a warning when a reload changed [admin] listen.  The admin listener
 * keeps its address and socket until a restart, so a reload never cuts off
 * a scrape in progress.
 */
void admin_config_reloaded(struct server *srv);

#endif
