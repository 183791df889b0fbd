/*
 * Worker threads: with workers = N (N > 1), N event loops serve sessions.
 * The main thread's loop is worker 0; it also owns the signals, reload, the
 * file watch and the admin listener.  Workers 1 to N-1 each run a loop in a
 * thread of their own.  Every worker binds its own socket to each listen
 * address with SO_REUSEPORT, and the kernel hands each new connection to
 * one of them by a hash of its addresses and ports.  A session stays on the
 * worker that accepted it.
 *
 * Each worker has one uv_async_t for requests from other threads.  A worker
 * that frees a TLS handshake slot wakes the workers that wait for one.  The
 * main thread passes a drain (SIGTERM, SIGINT) and a reload on, and a
 * worker that has stopped notifies the main thread.
 *
 * With workers = 1 there is no pool (srv->workers is NULL), and every
 * function here does nothing.
 */
#ifndef PROXY_WORKER_H
#define PROXY_WORKER_H

#include <stdbool.h>

struct server;

/*
 * Prepares count - 1 workers beside main_srv, the main thread's server,
 * whose listeners are open and whose loop is set up.  Each gets a server,
 * a loop and listening sockets of its own, and shares main_srv's
 * configuration, TLS contexts and process-wide state.  Called before
 * privileges are dropped, so that the workers can bind the ports that
 * main_srv bound.  main_srv->worker_count must be count already.  count 1
 * prepares nothing.  Returns 0, or -1 after logging the error, with
 * nothing left.
 */
int workers_open(struct server *main_srv, unsigned count);

/* Starts the threads of the workers that workers_open() prepared.  Returns
 * 0, or -1 after logging the error and telling the threads that did start
 * to stop; workers_abandon() and workers_join() then clean up. */
int workers_run(struct server *main_srv);

/* On a start that failed after workers_open(): closes the async handles
 * that would keep main_srv's loop running and frees the workers whose
 * thread never started. */
void workers_abandon(struct server *main_srv);

/* Waits for the worker threads to end and frees their servers.  Called
 * after main_srv's loop has returned, which is after every worker stopped. */
void workers_join(struct server *main_srv);

/* Returns the server of worker index, 1 to workers_count() - 1. */
struct server *workers_server(const struct server *main_srv, size_t index);

/* Passes a drain on from the main thread's server to every other worker,
 * which then calls server_drain() with signal_name, a string constant.
 * Does nothing on another worker's server. */
void workers_drain(struct server *srv, const char *signal_name);

/*
 * Runs apply(worker, arg) on the thread of every worker other than
 * main_srv's, and returns when each has run it.  The reload uses it, so
 * that each loop switches its own listeners.  Call only from the main
 * thread, and only before the drain: a stopped worker cannot run it.
 */
void workers_run_on_each(struct server *main_srv,
    void (*apply)(struct server *worker, void *arg), void *arg);

/* Returns whether every worker other than the main thread's has stopped;
 * true on any other worker's server and without workers. */
bool workers_others_finished(struct server *srv);

/* Called by server_finish(): closes srv's async handle so its loop can
 * end, and notifies the main thread when srv is another worker's. */
void workers_server_finished(struct server *srv);

/* Wakes every other worker that waits for a TLS handshake slot.  Called
 * after srv freed one. */
void workers_handshake_slot_freed(struct server *srv);

/* Wakes srv's own loop to retry the sessions and sockets that wait for a
 * handshake slot (see admission_wait_for_handshake). */
void workers_wake_for_handshake(struct server *srv);

/* Returns the number of workers of the process, at least 1. */
unsigned workers_count(const struct server *srv);

/* Returns the number of online CPUs that this process may run on, at
 * least 1, at most max, for workers = auto. */
unsigned workers_auto_count(unsigned max);

#endif
