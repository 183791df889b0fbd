/*
 * Worker threads and the requests between their loops (see worker.h).
 *
 * A request is a bit in the worker's requests word followed by
 * uv_async_send(), which libuv coalesces, so the handler reads and clears
 * all bits at once.  Requests are sent under the pool's lock, and a worker
 * closes its async handle under the same lock, so nothing is sent to a
 * closed handle.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/admission.h"
#include "proxy/backend_pool.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/server.h"
#include "proxy/worker.h"
#include "tls/context.h"

enum worker_request {
	REQUEST_HANDSHAKE_SLOT = 1u << 0,	/* a handshake slot is free */
	REQUEST_DRAIN = 1u << 1,		/* server_drain() */
	REQUEST_RUN = 1u << 2,			/* workers_run_on_each() */
	REQUEST_WORKER_STOPPED = 1u << 3,	/* to worker 0 only */
};

struct worker {
	struct worker_pool *pool;
	struct server *srv;		/* worker 0: the main thread's */
	uv_async_t async;
	bool async_open;		/* async was initialized */
	atomic_uint requests;		/* enum worker_request bits */
	bool stopped;			/* async closed; under pool->lock */
	pthread_t thread;
	bool thread_started;
};

struct worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t ran;		/* signalled as each worker runs apply */
	struct worker *workers;
	size_t count;
	size_t stopped;			/* workers other than 0 that stopped */
	const char *drain_signal;	/* for REQUEST_DRAIN */
	void (*apply)(struct server *worker, void *arg);
	void *apply_arg;
	size_t applied;			/* workers that ran apply */
};

static struct worker *
worker_of(struct server *srv)
{
	return &srv->workers->workers[srv->worker_index];
}

static void
send_request(struct worker *w, unsigned request)
{
	struct worker_pool *pool = w->pool;

	pthread_mutex_lock(&pool->lock);
	if (!w->stopped) {
		atomic_fetch_or(&w->requests, request);
		uv_async_send(&w->async);
	}
	pthread_mutex_unlock(&pool->lock);
}

static void
handle_handshake_slot(struct server *srv)
{
	admission_handshakes_retry(srv);
	/* Only this thread queues sessions or pauses srv's sockets, so when a
	 * slot is still free after the retry, nothing of srv waits. */
	if (admission_handshake_slot_free(srv))
		atomic_store(&srv->waits_for_handshake, false);
}

static void
handle_run(struct worker *w)
{
	struct worker_pool *pool = w->pool;

	pool->apply(w->srv, pool->apply_arg);
	pthread_mutex_lock(&pool->lock);
	pool->applied++;
	pthread_cond_signal(&pool->ran);
	pthread_mutex_unlock(&pool->lock);
}

static void
on_request(uv_async_t *handle)
{
	struct worker *w = handle->data;
	unsigned requests = atomic_exchange(&w->requests, 0);
	const char *signal_name;

	if (requests & REQUEST_RUN)
		handle_run(w);
	if (requests & REQUEST_HANDSHAKE_SLOT)
		handle_handshake_slot(w->srv);
	if (requests & REQUEST_DRAIN) {
		pthread_mutex_lock(&w->pool->lock);
		signal_name = w->pool->drain_signal;
		pthread_mutex_unlock(&w->pool->lock);
		server_drain(w->srv, signal_name);
	}
	if (requests & REQUEST_WORKER_STOPPED)
		server_check_finished(w->srv);
}

unsigned
workers_count(const struct server *srv)
{
	return srv->worker_count > 1 ? srv->worker_count : 1;
}

struct server *
workers_server(const struct server *main_srv, size_t index)
{
	return main_srv->workers->workers[index].srv;
}

unsigned
workers_auto_count(unsigned max)
{
	cpu_set_t cpus;
	int count = 0;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		count = CPU_COUNT(&cpus);
	if (count < 1)
		count = 1;
	return (unsigned)count < max ? (unsigned)count : max;
}

/* Closes what init_worker_server() opened; the loop runs once to let
 * libuv finish the closes. */
static void
free_worker_server(struct server *srv)
{
	if (srv == NULL)
		return;
	listeners_close(srv);
	if (srv->backends != NULL)
		backend_pool_free(srv->backends);
	uv_run(&srv->loop, UV_RUN_DEFAULT);
	listeners_free(srv);
	if (uv_loop_close(&srv->loop) != 0)
		log_warning("worker %u: event loop closed with handles still "
		    "open", srv->worker_index);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	free(srv);
}

/*
 * Builds the server of worker index: a loop, listening sockets, a backend
 * pool and a spare descriptor of its own, and main_srv's process-wide
 * state.
 */
static struct server *
init_worker_server(struct server *main_srv, unsigned index)
{
	struct server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL)
		return NULL;
	srv->config = main_srv->config;
	srv->tls = main_srv->tls;
	srv->session_id_base = main_srv->session_id_base;
	srv->throttle = main_srv->throttle;
	srv->client_limits = main_srv->client_limits;
	srv->shared = main_srv->shared;
	srv->metrics = main_srv->metrics;
	srv->workers = main_srv->workers;
	srv->worker_index = index;
	srv->worker_count = main_srv->worker_count;
	snprintf(srv->worker_field, sizeof(srv->worker_field), " worker=%u",
	    index);
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	uv_loop_init(&srv->loop);
	uv_timer_init(&srv->loop, &srv->drain_timer);
	srv->drain_timer.data = srv;
	srv->backends = backend_pool_new(&srv->loop, &srv->config->backend);
	if (srv->backends == NULL ||
	    listeners_open_copies(srv, main_srv) != 0) {
		uv_close((uv_handle_t *)&srv->drain_timer, NULL);
		free_worker_server(srv);
		return NULL;
	}
	return srv;
}

static void *
run_worker(void *arg)
{
	struct worker *w = arg;

	uv_run(&w->srv->loop, UV_RUN_DEFAULT);
	tls_thread_cleanup();
	return NULL;
}

static int
init_async(struct worker *w)
{
	w->async.data = w;
	if (uv_async_init(&w->srv->loop, &w->async, on_request) != 0)
		return -1;
	w->async_open = true;
	return 0;
}

/*
 * Starts the threads of workers 1 to count - 1, with every signal blocked
 * so that signals reach the main thread, whose loop handles them.  When a
 * thread cannot start, the threads that did start get a drain request.
 */
static int
start_threads(struct worker_pool *pool)
{
	sigset_t all, previous;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	for (size_t i = 1; i < pool->count && rc == 0; i++) {
		struct worker *w = &pool->workers[i];

		rc = pthread_create(&w->thread, NULL, run_worker, w);
		w->thread_started = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	if (rc == 0)
		return 0;

	log_error("cannot start a worker thread: %s", strerror(rc));
	workers_drain(pool->workers[0].srv, "a failed start");
	return -1;
}

static struct worker_pool *
pool_new(size_t count)
{
	struct worker_pool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return NULL;
	pool->workers = calloc(count, sizeof(*pool->workers));
	if (pool->workers == NULL || pthread_mutex_init(&pool->lock, NULL) != 0) {
		free(pool->workers);
		free(pool);
		return NULL;
	}
	pthread_cond_init(&pool->ran, NULL);
	pool->count = count;
	for (size_t i = 0; i < count; i++)
		pool->workers[i].pool = pool;
	return pool;
}

static void
pool_free(struct worker_pool *pool)
{
	pthread_cond_destroy(&pool->ran);
	pthread_mutex_destroy(&pool->lock);
	free(pool->workers);
	free(pool);
}

/* Undoes a start that failed before any thread ran. */
static void
abandon_start(struct server *main_srv, struct worker_pool *pool)
{
	for (size_t i = 0; i < pool->count; i++) {
		struct worker *w = &pool->workers[i];

		if (w->async_open)
			uv_close((uv_handle_t *)&w->async, NULL);
		if (i == 0 || w->srv == NULL)
			continue;
		uv_close((uv_handle_t *)&w->srv->drain_timer, NULL);
		free_worker_server(w->srv);
	}
	main_srv->workers = NULL;
	main_srv->worker_field[0] = '\0';
	pool_free(pool);
}

int
workers_open(struct server *main_srv, unsigned count)
{
	struct worker_pool *pool;

	if (count <= 1)
		return 0;
	pool = pool_new(count);
	if (pool == NULL) {
		log_error("cannot start %u workers: out of memory", count);
		return -1;
	}
	main_srv->workers = pool;
	main_srv->worker_index = 0;
	snprintf(main_srv->worker_field, sizeof(main_srv->worker_field),
	    " worker=0");
	pool->workers[0].srv = main_srv;
	if (init_async(&pool->workers[0]) != 0) {
		log_error("cannot start %u workers: no async handle", count);
		abandon_start(main_srv, pool);
		return -1;
	}
	for (unsigned i = 1; i < count; i++) {
		struct worker *w = &pool->workers[i];

		w->srv = init_worker_server(main_srv, i);
		if (w->srv == NULL || init_async(w) != 0) {
			log_error("cannot start worker %u of %u", i, count);
			abandon_start(main_srv, pool);
			return -1;
		}
	}
	return 0;
}

int
workers_run(struct server *main_srv)
{
	struct worker_pool *pool = main_srv->workers;

	if (pool == NULL)
		return 0;
	if (start_threads(pool) != 0)
		return -1;
	log_info("started %zu workers", pool->count);
	return 0;
}

void
workers_abandon(struct server *main_srv)
{
	struct worker_pool *pool = main_srv->workers;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	for (size_t i = 0; i < pool->count; i++) {
		struct worker *w = &pool->workers[i];

		if (w->stopped || w->thread_started)
			continue;
		w->stopped = true;
		if (i > 0)
			pool->stopped++;
		uv_close((uv_handle_t *)&w->async, NULL);
		if (i > 0)
			uv_close((uv_handle_t *)&w->srv->drain_timer, NULL);
	}
	pthread_mutex_unlock(&pool->lock);
}

void
workers_join(struct server *main_srv)
{
	struct worker_pool *pool = main_srv->workers;

	if (pool == NULL)
		return;
	for (size_t i = 1; i < pool->count; i++) {
		struct worker *w = &pool->workers[i];

		/* A worker's loop ends once it has closed its handles, and
		 * workers_abandon() closed those of a worker that never ran. */
		if (w->thread_started)
			pthread_join(w->thread, NULL);
		free_worker_server(w->srv);
	}
	main_srv->workers = NULL;
	pool_free(pool);
}

void
workers_drain(struct server *srv, const char *signal_name)
{
	struct worker_pool *pool = srv->workers;

	if (pool == NULL || srv->worker_index != 0)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->drain_signal = signal_name;
	pthread_mutex_unlock(&pool->lock);
	for (size_t i = 1; i < pool->count; i++)
		send_request(&pool->workers[i], REQUEST_DRAIN);
}

void
workers_run_on_each(struct server *main_srv,
    void (*apply)(struct server *worker, void *arg), void *arg)
{
	struct worker_pool *pool = main_srv->workers;
	size_t expected = 0;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->apply = apply;
	pool->apply_arg = arg;
	pool->applied = 0;
	for (size_t i = 1; i < pool->count; i++) {
		struct worker *w = &pool->workers[i];

		if (w->stopped)
			continue;
		atomic_fetch_or(&w->requests, REQUEST_RUN);
		uv_async_send(&w->async);
		expected++;
	}
	while (pool->applied < expected)
		pthread_cond_wait(&pool->ran, &pool->lock);
	pool->apply = NULL;
	pool->apply_arg = NULL;
	pthread_mutex_unlock(&pool->lock);
}

bool
workers_others_finished(struct server *srv)
{
	struct worker_pool *pool = srv->workers;
	bool finished;

	if (pool == NULL || srv->worker_index != 0)
		return true;
	pthread_mutex_lock(&pool->lock);
	finished = pool->stopped == pool->count - 1;
	pthread_mutex_unlock(&pool->lock);
	return finished;
}

void
workers_server_finished(struct server *srv)
{
	struct worker_pool *pool = srv->workers;
	struct worker *w;

	if (pool == NULL)
		return;
	w = worker_of(srv);
	pthread_mutex_lock(&pool->lock);
	w->stopped = true;
	uv_close((uv_handle_t *)&w->async, NULL);
	if (srv->worker_index != 0)
		pool->stopped++;
	pthread_mutex_unlock(&pool->lock);
	if (srv->worker_index != 0) {
		log_info("worker %u stopped", srv->worker_index);
		send_request(&pool->workers[0], REQUEST_WORKER_STOPPED);
	}
}

void
workers_handshake_slot_freed(struct server *srv)
{
	struct worker_pool *pool = srv->workers;

	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->count; i++) {
		struct worker *w = &pool->workers[i];

		if (i != srv->worker_index &&
		    atomic_load(&w->srv->waits_for_handshake))
			send_request(w, REQUEST_HANDSHAKE_SLOT);
	}
}

void
workers_wake_for_handshake(struct server *srv)
{
	if (srv->workers != NULL)
		send_request(worker_of(srv), REQUEST_HANDSHAKE_SLOT);
}
