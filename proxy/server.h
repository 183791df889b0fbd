/*
 * The per-loop server context: everything one event loop needs.  With
 * workers = N there are N of them, one per worker thread (proxy/worker.h).
 * The fields marked "process-wide" point to one object that every worker
 * shares, and that object locks itself or is atomic.  The other fields
 * belong to the worker's own loop and are used only from its thread.
 */
#ifndef PROXY_SERVER_H
#define PROXY_SERVER_H

#include <stdatomic.h>
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
struct worker_pool;

/* The counts that every worker shares, so that the limits are
 * process-wide. */
struct server_shared {
	atomic_size_t sessions_admitted;	/* counted against max_sessions */
	atomic_uint handshakes;		/* sessions in SESSION_TLS_HANDSHAKE */
	atomic_uint_least64_t sessions_started;	/* for session ids */
	struct limit_warning limit_warnings[LIMIT_COUNT];	/* under the
								 * lock in
								 * admission.c */
};

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

	/* NOTE: per worker, so /readyz and subtls_backend_up, which read the
	 * main thread's pool, miss a failure that another worker saw. */
	struct backend_pool *backends;	/* which backend addresses are up, as
					 * this worker's sessions found them */
	struct auth_throttle *throttle;	/* process-wide: AUTH failures and
					 * bans, kept across reloads */

	/* Connection limits (proxy/admission.c), kept across reloads. */
	struct client_limits *client_limits;	/* process-wide, per client */
	struct server_shared *shared;	/* process-wide counts */
	atomic_bool waits_for_handshake;	/* a session is held or a socket
						 * paused for a handshake slot */
	struct session *held_first;	/* STARTTLS sessions waiting for a */
	struct session *held_last;	/* handshake slot, oldest first */
	int spare_fd;			/* closed to shed a connection when
					 * descriptors run out; -1 if none */

	bool draining;			/* SIGTERM: listeners closed */
	uint64_t drain_deadline_ms;	/* uv_now() when the drain ends */
	uv_timer_t drain_timer;
	uv_signal_t sigterm;
	uv_signal_t sigint;
	uv_signal_t sighup;		/* reload (proxy/reload.c) */
	struct file_watch *file_watch;	/* watch_files = yes (proxy/watch.c) */

	struct metrics *metrics;	/* process-wide: counters for /metrics,
					 * kept across reloads (metrics.c) */
	struct admin *admin;		/* the [admin] listener, or NULL; the
					 * main thread's server only */

	unsigned worker_index;		/* 0: the main thread's server */
	unsigned worker_count;		/* workers of the process, from
					 * before the other workers start */
	struct worker_pool *workers;	/* process-wide; NULL with workers = 1 */
	char worker_field[24];		/* " worker=N" for the open line with
					 * several workers, else "" */
};

/*
 * Stops accepting and lets open sessions finish; closes those still open
 * when the drain timeout expires.  uv_run() returns once all are gone.
 */
void server_drain(struct server *srv, const char *signal_name);

/* Called by the session code when a session has been freed. */
void server_session_gone(struct server *srv);

/*
 * Stops the server once it drains and has no session left; the main
 * thread's server also waits for every other worker to stop.  Called when
 * a session ends and when a worker reports that it stopped.
 */
void server_check_finished(struct server *srv);

#endif
