/*
 * smtp-load: runs many SMTP submission sessions over TLS against one server
 * and reports messages per second, handshakes per second, latency
 * percentiles and errors by kind.  It is a benchmark tool for subtls and
 * other TLS fronts, never run by "meson test".  test/bench/README.md explains
 * the options and the figures.
 *
 * This file contains main(), the worker threads and their libuv loops.  The
 * main thread only waits: for signals, for the idle sessions to be ready, and
 * for the workers to end.  Each worker's timer starts new connections within
 * --rate and --max-opening, enforces step timeouts and ends the run at
 * --duration.
 */
#include "test/bench/smtp-load.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define TICK_MS 20
#define DEADLINE_CHECK_TICKS 10	/* step timeouts are checked every 200 ms */
#define SPARE_DESCRIPTORS 64	/* stdio, libuv's own, the JSON file */

atomic_int workers_ready;
atomic_int workers_done;
atomic_long idle_established_total;
atomic_uint source_next;

static double
seconds_since(uint64_t start_ns)
{
	return (double)(uv_hrtime() - start_ns) / 1e9;
}

/* Returns how much of total the worker with index gets: an even share. */
static long
share(long total, int index)
{
	return total / options.threads + (index < total % options.threads);
}

static bool
worker_may_start(const struct worker *w)
{
	if (w->stopping || w->budget <= 0 || w->free_count == 0)
		return false;
	if (w->max_opening > 0 && w->opening >= w->max_opening)
		return false;
	return w->rate == 0 || w->tokens >= 1;
}

void
worker_launch(struct worker *w)
{
	while (worker_may_start(w)) {
		long slot = w->free_slots[--w->free_count];

		if (w->rate > 0)
			w->tokens -= 1;
		session_start(w, &w->sessions[slot]);
	}
}

void
worker_mark_ready_if_done(struct worker *w)
{
	if (options.idle == 0 || w->ready || w->budget > 0 || w->opening > 0)
		return;
	w->ready = true;
	atomic_fetch_add(&workers_ready, 1);
}

void
worker_finish_if_done(struct worker *w)
{
	if (w->active > 0)
		return;
	if (!w->stopping && (options.idle > 0 || w->budget > 0))
		return;
	if (!uv_is_closing((uv_handle_t *)&w->tick)) {
		uv_close((uv_handle_t *)&w->tick, NULL);
		uv_close((uv_handle_t *)&w->stop_async, NULL);
	}
}

void
worker_stop(struct worker *w)
{
	if (w->stopping)
		return;
	w->stopping = true;
	w->stop_ns = uv_hrtime();
	for (long i = 0; i < w->slots; i++)
		if (w->sessions[i].state == SESSION_HOLD)
			session_quit(&w->sessions[i]);
	worker_finish_if_done(w);
}

/* Closes what is still open once the stop is older than one step timeout. */
static void
worker_enforce_cap(struct worker *w, uint64_t now)
{
	if (now < w->stop_ns + (uint64_t)(options.timeout * 1e9))
		return;
	for (long i = 0; i < w->slots; i++) {
		struct session *s = &w->sessions[i];

		if (s->state != SESSION_FREE && s->state != SESSION_CLOSING)
			session_close(s, ERROR_TIMEOUT,
			    "still in state %s %g s after the run ended",
			    session_state_name(s->state), options.timeout);
	}
}

static void
on_tick(uv_timer_t *timer)
{
	struct worker *w = timer->data;
	uint64_t now = uv_hrtime();
	double burst = w->rate * 0.04 > 1 ? w->rate * 0.04 : 1;

	if (w->rate > 0) {
		w->tokens += w->rate * (double)(now - w->last_tick_ns) / 1e9;
		if (w->tokens > burst)
			w->tokens = burst;
	}
	w->last_tick_ns = now;

	if (options.idle == 0 && !w->stopping &&
	    seconds_since(w->started_ns) >= options.duration)
		worker_stop(w);
	if (w->stopping)
		worker_enforce_cap(w, now);
	if (++w->ticks % DEADLINE_CHECK_TICKS == 0)
		for (long i = 0; i < w->slots; i++)
			session_check_deadline(&w->sessions[i], now);
	worker_launch(w);
}

static void
on_stop_request(uv_async_t *async)
{
	worker_stop(async->data);
}

static void *
worker_run(void *argument)
{
	struct worker *w = argument;

	w->started_ns = w->last_tick_ns = uv_hrtime();
	w->tokens = w->rate > 0 ? 1 : 0;
	uv_timer_start(&w->tick, on_tick, TICK_MS, TICK_MS);
	worker_launch(w);
	worker_finish_if_done(w);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	w->finished_ns = uv_hrtime();
	atomic_fetch_add(&workers_done, 1);
	return NULL;
}

static int
worker_init(struct worker *w, int index)
{
	memset(w, 0, sizeof(*w));
	w->index = index;
	w->slots = share(options.idle > 0 ? options.idle : options.concurrency,
	    index);
	w->budget = options.idle > 0 ? w->slots :
	    options.connections > 0 ? share(options.connections, index) : -1;
	if (w->budget < 0)
		w->budget = 1L << 62;	/* limited by --duration */
	w->rate = options.rate / options.threads;
	w->max_opening = options.max_opening == 0 ? 0 :
	    (options.max_opening + options.threads - 1) / options.threads;

	w->sessions = calloc((size_t)w->slots, sizeof(*w->sessions));
	w->free_slots = calloc((size_t)w->slots, sizeof(*w->free_slots));
	if (w->sessions == NULL || w->free_slots == NULL) {
		fprintf(stderr, "smtp-load: out of memory for %ld sessions\n",
		    w->slots);
		return -1;
	}
	for (long i = 0; i < w->slots; i++) {
		w->sessions[i].worker = w;
		w->free_slots[w->free_count++] = w->slots - 1 - i;
	}

	w->ctx = tls_client_context();
	if (w->ctx == NULL || uv_loop_init(&w->loop) != 0)
		return -1;
	uv_timer_init(&w->loop, &w->tick);
	w->tick.data = w;
	uv_async_init(&w->loop, &w->stop_async, on_stop_request);
	w->stop_async.data = w;
	return 0;
}

static void
worker_free(struct worker *w)
{
	for (long i = 0; i < w->slots; i++)
		wolfSSL_SESSION_free(w->sessions[i].saved);
	uv_loop_close(&w->loop);
	wolfSSL_CTX_free(w->ctx);
	free(w->sessions);
	free(w->free_slots);
}

/*
 * Raises the descriptor limit to its hard limit and checks that one socket
 * per session fits under it.
 */
static int
raise_descriptor_limit(void)
{
	long sessions = options.idle > 0 ? options.idle : options.concurrency;
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
		return 0;
	limit.rlim_cur = limit.rlim_max;
	setrlimit(RLIMIT_NOFILE, &limit);
	if (limit.rlim_max != RLIM_INFINITY &&
	    (rlim_t)(sessions + SPARE_DESCRIPTORS) > limit.rlim_max) {
		fprintf(stderr, "smtp-load: %ld sessions need %ld descriptors, but"
		    " the hard limit is %llu: raise it (ulimit -Hn as root) or"
		    " open fewer sessions\n", sessions,
		    sessions + SPARE_DESCRIPTORS,
		    (unsigned long long)limit.rlim_max);
		return -1;
	}
	return 0;
}

static void
stop_workers(struct worker *workers)
{
	for (int i = 0; i < options.threads; i++)
		uv_async_send(&workers[i].stop_async);
}

static void
merge_stats(const struct worker *workers, struct load_stats *total)
{
	memset(total, 0, sizeof(*total));
	for (int i = 0; i < options.threads; i++) {
		const struct load_stats *s = &workers[i].stats;

		total->connections_started += s->connections_started;
		total->connections_completed += s->connections_completed;
		total->handshakes += s->handshakes;
		total->resumed += s->resumed;
		total->messages += s->messages;
		total->idle_established += s->idle_established;
		for (int kind = 0; kind < ERROR_KINDS; kind++)
			total->errors[kind] += s->errors[kind];
		histogram_merge(&total->message_latency, &s->message_latency);
		histogram_merge(&total->setup_latency, &s->setup_latency);
		if (total->first_error[0] == '\0')
			memcpy(total->first_error, s->first_error,
			    sizeof(total->first_error));
		if (total->cipher[0] == '\0') {
			memcpy(total->cipher, s->cipher, sizeof(total->cipher));
			memcpy(total->group, s->group, sizeof(total->group));
		}
	}
}

/*
 * Writes the JSON status, then prints "ready N", once every idle session is
 * set up or failed.  The file comes first, so a script that waits for the
 * line finds the status complete.
 */
static void
announce_ready(long established, double elapsed)
{
	struct load_stats status;

	if (options.json_path != NULL) {
		memset(&status, 0, sizeof(status));
		status.idle_established = (uint64_t)established;
		report_json(options.json_path, &status, elapsed, "ready");
	}
	if (established < options.idle)
		fprintf(stderr, "smtp-load: %ld of %ld idle sessions failed\n",
		    options.idle - established, options.idle);
	printf("ready %ld\n", established);
	fflush(stdout);
}

/*
 * Waits in the main thread for SIGINT/SIGTERM, the end of --hold and the end
 * of the workers, whichever comes first.  The signals are blocked in every
 * thread, so sigtimedwait() here is the only place they arrive.
 */
static void
wait_for_workers(struct worker *workers, const sigset_t *signals,
    uint64_t start_ns)
{
	struct timespec wait = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
	uint64_t hold_end_ns = 0;
	bool stopped = false;

	while (atomic_load(&workers_done) < options.threads) {
		int signal_number = sigtimedwait(signals, NULL, &wait);

		if (signal_number > 0 && !stopped) {
			fprintf(stderr, "smtp-load: %s received, stopping\n",
			    strsignal(signal_number));
			stop_workers(workers);
			stopped = true;
		}
		if (options.idle > 0 && hold_end_ns == 0 &&
		    atomic_load(&workers_ready) == options.threads) {
			long established = atomic_load(&idle_established_total);

			announce_ready(established, seconds_since(start_ns));
			hold_end_ns = uv_hrtime() +
			    (uint64_t)(options.hold * 1e9);
			if (established == 0)
				hold_end_ns = uv_hrtime();
		}
		if (hold_end_ns != 0 && !stopped && uv_hrtime() >= hold_end_ns) {
			stop_workers(workers);
			stopped = true;
		}
	}
}

static bool
run_failed(const struct load_stats *stats)
{
	for (int kind = 0; kind < ERROR_KINDS; kind++)
		if (stats->errors[kind] > 0)
			return true;
	return options.idle > 0 && (long)stats->idle_established < options.idle;
}

int
main(int argc, char **argv)
{
	struct worker *workers;
	struct load_stats total;
	sigset_t signals;
	uint64_t start_ns, end_ns;
	double elapsed;
	int parsed, status;

	parsed = parse_options(argc, argv);
	if (parsed != 0)
		return parsed > 0 ? 0 : 2;
	if (raise_descriptor_limit() != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
		fprintf(stderr, "smtp-load: wolfSSL_Init failed\n");
		return 2;
	}

	workers = calloc((size_t)options.threads, sizeof(*workers));
	if (workers == NULL)
		return 2;
	for (int i = 0; i < options.threads; i++)
		if (worker_init(&workers[i], i) != 0)
			return 2;

	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	start_ns = uv_hrtime();
	for (int i = 0; i < options.threads; i++) {
		if (pthread_create(&workers[i].thread, NULL, worker_run,
		    &workers[i]) != 0) {
			fprintf(stderr, "smtp-load: pthread_create failed\n");
			return 2;
		}
	}

	wait_for_workers(workers, &signals, start_ns);
	end_ns = start_ns;
	for (int i = 0; i < options.threads; i++) {
		pthread_join(workers[i].thread, NULL);
		if (workers[i].finished_ns > end_ns)
			end_ns = workers[i].finished_ns;
	}
	elapsed = (double)(end_ns - start_ns) / 1e9;

	merge_stats(workers, &total);
	report_text(&total, elapsed);
	status = run_failed(&total) ? 1 : 0;
	if (options.json_path != NULL &&
	    report_json(options.json_path, &total, elapsed, "done") != 0)
		status = 2;

	for (int i = 0; i < options.threads; i++)
		worker_free(&workers[i]);
	free(workers);
	wolfSSL_Cleanup();
	return status;
}
