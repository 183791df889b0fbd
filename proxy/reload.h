/*
 * Reloading the configuration on SIGHUP while sessions go on.
 */
#ifndef PROXY_RELOAD_H
#define PROXY_RELOAD_H

struct server;

/*
 * Re-reads the server's config file and every file it names (certificate,
 * key, ticket key file), then builds new TLS contexts and ticket keys.
 * Only when all of that succeeds does the server switch: new sessions use
 * the new policy, sessions in flight keep the context they started with.
 * On any error nothing changes, and each error is logged as
 * "file:line: message".  Settings that only a restart can change (user,
 * group, a listener's name and mode) count as errors when they differ.
 * reason starts the log line, such as "SIGHUP".
 */
void server_reload(struct server *srv, const char *reason);

#endif
