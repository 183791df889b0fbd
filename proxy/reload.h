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
 * group, the listeners) count as errors when they differ.
 */
void server_reload(struct server *srv);

#endif
