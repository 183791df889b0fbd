/*
 * The counters behind the admin listener's /metrics page.
 *
 * Counters live per listener and per backend address, never per session,
 * so a session costs a few additions.  Each hook sits next to the log line
 * of the same event, so a count and the number of its log lines agree.
 * Worker threads count into one set of counters, so each function here
 * holds its lock; /metrics shows the sums over all workers.
 *
 * The counters belong to the server and survive a SIGHUP reload.  A reload
 * cannot add or remove a listener, so each listener keeps its series.  A
 * backend address that a reload removes keeps its counters, but its
 * subtls_backend_up series goes away.
 */
#ifndef PROXY_METRICS_H
#define PROXY_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct listener;
struct metrics;
struct metrics_text;
struct server;
struct session;

/* Creates the counters of listener_count listeners.  version is subtls's,
 * for subtls_build_info.  Returns NULL when out of memory. */
struct metrics *metrics_new(size_t listener_count, const char *version);
void metrics_free(struct metrics *metrics);

/* Counts a session that was accepted.  Each one later writes one "close"
 * line, and all but those that fail at accept an "open" line first. */
void metrics_session_opened(const struct session *s);

/* Counts a session that ends with reason (its "close" line), its bytes,
 * and a handshake failure when its TLS handshake had started but not
 * completed. */
void metrics_session_closed(const struct session *s, const char *reason);

/* Counts the completed TLS handshake of s by version and cipher. */
void metrics_handshake_completed(const struct session *s);

/* Counts plaintext injected after STARTTLS (CVE-2011-0411 class): after
 * the 220 reply, or pipelined behind the STARTTLS command. */
void metrics_starttls_injection(const struct session *s);

/* Counts a connection of listener that limit refused or closed, with the
 * limit named as in the "limit reached" line ("max_sessions", ...). */
void metrics_limit_refusal(const struct listener *listener,
    const char *limit);

/* Counts a banned client that was refused (close reason auth_banned). */
void metrics_ban_refusal(const struct session *s);

/* Counts an AUTH command that succeeded ("auth ok") or failed ("auth
 * failed"). */
void metrics_auth(const struct session *s, bool succeeded);

/* Counts a message that the backend accepted ("message accepted"). */
void metrics_message_accepted(const struct session *s);

/* Counts a connect to backend address (its text) that completed after
 * nanoseconds, or one that failed. */
void metrics_backend_connected(struct server *srv, const char *backend,
    uint64_t nanoseconds);
void metrics_backend_connect_failed(struct server *srv, const char *backend);

/* Counts a reload that succeeded or failed. */
void metrics_reload(struct server *srv, bool succeeded);

/* Writes every metric of srv in the text exposition format.  Sets
 * text->failed when srv has no metrics or memory ran out. */
void metrics_render(struct server *srv, struct metrics_text *text);

#endif
