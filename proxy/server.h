/*
 * The per-loop server context: everything one event loop needs, so that later
 * several loops (one per thread) can each own one without shared mutable state.
 */
#ifndef PROXY_SERVER_H
#define PROXY_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "proxy/admission.h"

struct admin;
struct auth_throttle;
struct backend_pool;
struct client_limits;
struct listener;
struct metrics;
struct session;
struct tls_context;

struct server {
	uv_loop_t loop;
	struct config *config;		/* replaced as a whole by a reload */
	struct tls_context **tls;	/* per listener, for new sessions; one
					 * reference each, shared between equal
					 * policies (contexts.c) */

	struct listener *listeners;	/* one per [listener NAME] */
	size_t listener_count;

	struct session *sessions;	/* open sessions, newest first */
	size_t session_count;
	uint64_t session_id_base;	/* random, so ids differ across restarts */
	uint64_t sessions_started;

	struct backend_pool *backends;	/* which backend addresses are up */
	struct auth_throttle *throttle;	/* AUTH failures and bans, kept
					 * across reloads */

	/* Connection limits (proxy/admission.c), kept across reloads. */
	struct client_limits *client_limits;	/* per client key */
	size_t sessions_admitted;	/* counted against max_sessions */
	unsigned handshakes;		/* sessions in SESSION_TLS_HANDSHAKE */
	struct session *held_first;	/* STARTTLS sessions waiting for a */
	struct session *held_last;	/* handshake slot, oldest first */
	int spare_fd;			/* closed to shed a connection when
					 * descriptors run out; -1 if none */
	struct limit_warning limit_warnings[LIMIT_COUNT];

	bool draining;			/* SIGTERM: listeners closed */
	uint64_t drain_deadline_ms;	/* uv_now() when the drain ends */
	uv_timer_t drain_timer;
	uv_signal_t sigterm;
	uv_signal_t sigint;
	uv_signal_t sighup;		/* reload (proxy/reload.c) */
	struct file_watch *file_watch;	/* watch_files = yes (proxy/watch.c) */

	struct metrics *metrics;	/* counters for /metrics, kept across
					 * reloads (proxy/metrics.c) */
	struct admin *admin;		/* the [admin] listener, or NULL */
};

/*
 * Stops accepting and lets open sessions finish; closes those still open
 * when the drain timeout expires.  uv_run() returns once all are gone.
 */
void server_drain(struct server *srv, const char *signal_name);

/* Called by the session code when a session has been freed. */
void server_session_gone(struct server *srv);

#endif
