/*
 * The counters of /metrics (see metrics.h) and their rendering.
 *
 * A labelled counter is a small array searched with strcmp().  Its labels
 * come from fixed sets: close reasons, limit names, the TLS versions and
 * cipher names of the linked wolfSSL, and configured backend addresses.
 * So each array stays short, and the search costs less than the log line
 * written for the same event.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "proxy/backend_pool.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/metrics_text.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "tls/context.h"
#include "tls/engine.h"

#define LABELS_MAX 3

/* One labelled value, such as closes{reason="client_closed"}. */
struct series {
	char *labels[LABELS_MAX];	/* NULL past the last label */
	uint64_t value;
};

struct family {
	struct series *items;
	size_t count;
};

struct listener_counters {
	uint64_t sessions;
	uint64_t sessions_closed;
	struct family closes;			/* reason */
	struct family handshakes;		/* version, cipher, resumed */
	struct family handshake_failures;	/* reason */
	uint64_t starttls_injections;
	struct family limit_refusals;		/* limit */
	uint64_t ban_refusals;
	uint64_t auth_successes;
	uint64_t auth_failures;
	uint64_t messages_accepted;
	uint64_t bytes_client_to_backend;
	uint64_t bytes_backend_to_client;
};

/* Upper bounds of the backend connect latency buckets, in seconds. */
static const double latency_bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10,
};
#define LATENCY_BUCKETS (sizeof(latency_bounds) / sizeof(latency_bounds[0]))

struct backend_counters {
	char *address;
	uint64_t connect_failures;
	uint64_t latency_buckets[LATENCY_BUCKETS];	/* not cumulative */
	uint64_t latency_count;
	double latency_sum;				/* seconds */
};

struct metrics {
	pthread_mutex_t lock;		/* held by each exported function */
	struct listener_counters *listeners;
	size_t listener_count;
	struct backend_counters *backends;
	size_t backend_count;
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	double start_time;		/* unix seconds */
	char *version;
	bool out_of_memory_logged;
};

static void
report_out_of_memory(struct metrics *m)
{
	if (m->out_of_memory_logged)
		return;
	m->out_of_memory_logged = true;
	log_warning("out of memory: a metrics series could not be added, so "
	    "/metrics undercounts from now on");
}

static bool
series_matches(const struct series *item, const char *const *labels)
{
	for (size_t i = 0; i < LABELS_MAX; i++) {
		if (labels[i] == NULL || item->labels[i] == NULL) {
			if (labels[i] != item->labels[i])
				return false;
			break;
		}
		if (strcmp(labels[i], item->labels[i]) != 0)
			return false;
	}
	return true;
}

/* Adds 1 to the series of family with labels (up to LABELS_MAX, the rest
 * NULL), and creates the series when it is new. */
static void
family_count(struct metrics *m, struct family *family, const char *a,
    const char *b, const char *c)
{
	const char *labels[LABELS_MAX] = { a, b, c };
	struct series *grown, *item;

	for (size_t i = 0; i < family->count; i++) {
		if (series_matches(&family->items[i], labels)) {
			family->items[i].value++;
			return;
		}
	}

	grown = realloc(family->items, (family->count + 1) * sizeof(*grown));
	if (grown == NULL) {
		report_out_of_memory(m);
		return;
	}
	family->items = grown;
	item = &grown[family->count];
	memset(item, 0, sizeof(*item));
	for (size_t i = 0; i < LABELS_MAX && labels[i] != NULL; i++) {
		item->labels[i] = strdup(labels[i]);
		if (item->labels[i] == NULL) {
			for (size_t j = 0; j < i; j++)
				free(item->labels[j]);
			report_out_of_memory(m);
			return;
		}
	}
	item->value = 1;
	family->count++;
}

static void
family_free(struct family *family)
{
	for (size_t i = 0; i < family->count; i++)
		for (size_t j = 0; j < LABELS_MAX; j++)
			free(family->items[i].labels[j]);
	free(family->items);
}

struct metrics *
metrics_new(size_t listener_count, const char *version)
{
	struct metrics *m = calloc(1, sizeof(*m));
	struct timespec now;

	if (m == NULL)
		return NULL;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	m->listeners = calloc(listener_count, sizeof(*m->listeners));
	m->version = strdup(version);
	if ((m->listeners == NULL && listener_count > 0) || m->version == NULL) {
		metrics_free(m);
		return NULL;
	}
	m->listener_count = listener_count;
	clock_gettime(CLOCK_REALTIME, &now);
	m->start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; m->listeners != NULL && i < m->listener_count;
	    i++) {
		struct listener_counters *l = &m->listeners[i];

		family_free(&l->closes);
		family_free(&l->handshakes);
		family_free(&l->handshake_failures);
		family_free(&l->limit_refusals);
	}
	for (size_t i = 0; i < m->backend_count; i++)
		free(m->backends[i].address);
	free(m->backends);
	free(m->listeners);
	free(m->version);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Returns the counters of listener, or NULL when there are no metrics. */
static struct listener_counters *
counters_of(const struct listener *listener)
{
	struct metrics *m = listener->server->metrics;
	size_t index = (size_t)(listener - listener->server->listeners);

	if (m == NULL || index >= m->listener_count)
		return NULL;
	return &m->listeners[index];
}

static void
metrics_session_opened_locked(const struct session *s)
{
	struct listener_counters *l = counters_of(s->listener);

	if (l != NULL)
		l->sessions++;
}

static void
metrics_session_closed_locked(const struct session *s, const char *reason)
{
	struct metrics *m = s->server->metrics;
	struct listener_counters *l = counters_of(s->listener);

	if (l == NULL)
		return;
	l->sessions_closed++;
	family_count(m, &l->closes, reason, NULL, NULL);
	/* A client that sent nothing or plaintext never began a handshake,
	 * so its session counts only under its close reason. */
	if (s->tls_handshake_begun && !s->tls_established)
		family_count(m, &l->handshake_failures, reason, NULL, NULL);
	l->bytes_client_to_backend += s->bytes_in;
	l->bytes_backend_to_client += s->bytes_out;
}

static void
metrics_handshake_completed_locked(const struct session *s)
{
	struct listener_counters *l = counters_of(s->listener);

	if (l != NULL)
		family_count(s->server->metrics, &l->handshakes,
		    tls_engine_version(s->tls), tls_engine_cipher(s->tls),
		    tls_engine_resumed(s->tls) ? "yes" : "no");
}

static void
metrics_starttls_injection_locked(const struct session *s)
{
	struct listener_counters *l = counters_of(s->listener);

	if (l != NULL)
		l->starttls_injections++;
}

static void
metrics_limit_refusal_locked(const struct listener *listener, const char *limit)
{
	struct listener_counters *l = counters_of(listener);

	if (l != NULL)
		family_count(listener->server->metrics, &l->limit_refusals,
		    limit, NULL, NULL);
}

static void
metrics_ban_refusal_locked(const struct session *s)
{
	struct listener_counters *l = counters_of(s->listener);

	if (l != NULL)
		l->ban_refusals++;
}

static void
metrics_auth_locked(const struct session *s, bool succeeded)
{
	struct listener_counters *l = counters_of(s->listener);

	if (l == NULL)
		return;
	if (succeeded)
		l->auth_successes++;
	else
		l->auth_failures++;
}

static void
metrics_message_accepted_locked(const struct session *s)
{
	struct listener_counters *l = counters_of(s->listener);

	if (l != NULL)
		l->messages_accepted++;
}

/* Returns the counters of backend address, added when new, or NULL. */
static struct backend_counters *
backend_counters(struct metrics *m, const char *address)
{
	struct backend_counters *grown;

	for (size_t i = 0; i < m->backend_count; i++)
		if (strcmp(m->backends[i].address, address) == 0)
			return &m->backends[i];

	grown = realloc(m->backends, (m->backend_count + 1) * sizeof(*grown));
	if (grown == NULL) {
		report_out_of_memory(m);
		return NULL;
	}
	m->backends = grown;
	memset(&grown[m->backend_count], 0, sizeof(grown[0]));
	grown[m->backend_count].address = strdup(address);
	if (grown[m->backend_count].address == NULL) {
		report_out_of_memory(m);
		return NULL;
	}
	return &grown[m->backend_count++];
}

static void
metrics_backend_connected_locked(struct server *srv, const char *backend,
    uint64_t nanoseconds)
{
	struct backend_counters *b;
	double seconds = (double)nanoseconds / 1e9;
	size_t bucket = 0;

	if (srv->metrics == NULL ||
	    (b = backend_counters(srv->metrics, backend)) == NULL)
		return;
	while (bucket < LATENCY_BUCKETS && seconds > latency_bounds[bucket])
		bucket++;
	/* Past the last bound, the sample counts only in le="+Inf", which is
	 * latency_count. */
	if (bucket < LATENCY_BUCKETS)
		b->latency_buckets[bucket]++;
	b->latency_count++;
	b->latency_sum += seconds;
}

static void
metrics_backend_connect_failed_locked(struct server *srv, const char *backend)
{
	struct backend_counters *b;

	if (srv->metrics == NULL ||
	    (b = backend_counters(srv->metrics, backend)) == NULL)
		return;
	b->connect_failures++;
}

static void
metrics_reload_locked(struct server *srv, bool succeeded)
{
	if (srv->metrics == NULL)
		return;
	if (succeeded)
		srv->metrics->reloads_ok++;
	else
		srv->metrics->reloads_failed++;
}

/* A plain counter or gauge of each listener, at offset in its counters. */
static void
render_listener_values(struct metrics_text *text, const struct server *srv,
    const char *name, const char *type, const char *help, size_t offset)
{
	const struct metrics *m = srv->metrics;

	metrics_text_family(text, name, type, help);
	for (size_t i = 0; i < m->listener_count; i++) {
		struct metrics_label labels[] = {
			{ "listener", srv->listeners[i].config->name },
			{ NULL, NULL },
		};
		const uint64_t *value = (const uint64_t *)
		    ((const char *)&m->listeners[i] + offset);

		metrics_text_sample(text, name, labels, *value);
	}
}

/* A labelled counter of each listener: names[] are the label names after
 * "listener", NULL-terminated. */
static void
render_listener_family(struct metrics_text *text, const struct server *srv,
    const char *name, const char *help, size_t offset,
    const char *const *names)
{
	const struct metrics *m = srv->metrics;

	metrics_text_family(text, name, "counter", help);
	for (size_t i = 0; i < m->listener_count; i++) {
		const struct family *family = (const struct family *)
		    ((const char *)&m->listeners[i] + offset);

		for (size_t j = 0; j < family->count; j++) {
			struct metrics_label labels[LABELS_MAX + 2] = {
				{ "listener", srv->listeners[i].config->name },
			};
			size_t k;

			for (k = 0; names[k] != NULL; k++) {
				labels[k + 1].name = names[k];
				labels[k + 1].value = family->items[j].labels[k];
			}
			labels[k + 1].name = NULL;
			metrics_text_sample(text, name, labels,
			    family->items[j].value);
		}
	}
}

static void
render_sessions(struct metrics_text *text, const struct server *srv)
{
	const struct metrics *m = srv->metrics;
	static const char *const reason[] = { "reason", NULL };
	static const char *const handshake[] = {
		"version", "cipher", "resumed", NULL,
	};
	static const char *const limit[] = { "limit", NULL };

	metrics_text_family(text, "subtls_sessions_open", "gauge",
	    "Sessions accepted and not yet closed.");
	for (size_t i = 0; i < m->listener_count; i++) {
		struct metrics_label labels[] = {
			{ "listener", srv->listeners[i].config->name },
			{ NULL, NULL },
		};

		metrics_text_sample(text, "subtls_sessions_open", labels,
		    m->listeners[i].sessions - m->listeners[i].sessions_closed);
	}
	render_listener_values(text, srv, "subtls_sessions_total", "counter",
	    "Sessions accepted; each writes one close line.",
	    offsetof(struct listener_counters, sessions));
	render_listener_family(text, srv, "subtls_session_closes_total",
	    "Sessions closed, by the reason of their close line.",
	    offsetof(struct listener_counters, closes), reason);
	render_listener_family(text, srv, "subtls_tls_handshakes_total",
	    "TLS handshakes completed, by protocol version, cipher and "
	    "session resumption.",
	    offsetof(struct listener_counters, handshakes), handshake);
	render_listener_family(text, srv, "subtls_tls_handshake_failures_total",
	    "Sessions whose client began a TLS handshake that did not "
	    "complete, by close reason.",
	    offsetof(struct listener_counters, handshake_failures), reason);
	render_listener_values(text, srv, "subtls_starttls_injections_total",
	    "counter", "Sessions closed for plaintext sent after or pipelined "
	    "behind STARTTLS (CVE-2011-0411 class).",
	    offsetof(struct listener_counters, starttls_injections));
	render_listener_family(text, srv, "subtls_limit_refusals_total",
	    "Connections refused or closed by a limit, by limit name.",
	    offsetof(struct listener_counters, limit_refusals), limit);
	render_listener_values(text, srv, "subtls_ban_refusals_total",
	    "counter", "Sessions refused because the client is banned after "
	    "too many AUTH failures.",
	    offsetof(struct listener_counters, ban_refusals));
	render_listener_values(text, srv, "subtls_auth_successes_total",
	    "counter", "AUTH commands that the backend accepted.",
	    offsetof(struct listener_counters, auth_successes));
	render_listener_values(text, srv, "subtls_auth_failures_total",
	    "counter", "AUTH commands that the backend rejected.",
	    offsetof(struct listener_counters, auth_failures));
	render_listener_values(text, srv, "subtls_messages_accepted_total",
	    "counter", "Messages the backend accepted after DATA or BDAT LAST.",
	    offsetof(struct listener_counters, messages_accepted));
}

static void
render_bytes(struct metrics_text *text, const struct server *srv)
{
	const struct metrics *m = srv->metrics;
	const char *name = "subtls_plaintext_bytes_total";

	metrics_text_family(text, name, "counter", "Plaintext bytes relayed "
	    "by closed sessions, by direction.");
	for (size_t i = 0; i < m->listener_count; i++) {
		struct metrics_label labels[] = {
			{ "listener", srv->listeners[i].config->name },
			{ "direction", "client_to_backend" },
			{ NULL, NULL },
		};

		metrics_text_sample(text, name, labels,
		    m->listeners[i].bytes_client_to_backend);
		labels[1].value = "backend_to_client";
		metrics_text_sample(text, name, labels,
		    m->listeners[i].bytes_backend_to_client);
	}
}

static void
render_backend_latency(struct metrics_text *text, const struct metrics *m)
{
	const char *name = "subtls_backend_connect_duration_seconds";
	char bound[32], full[96];

	metrics_text_family(text, name, "histogram", "Time from the start of "
	    "a backend connect to its success.");
	for (size_t i = 0; i < m->backend_count; i++) {
		const struct backend_counters *b = &m->backends[i];
		struct metrics_label labels[] = {
			{ "backend", b->address },
			{ "le", bound },
			{ NULL, NULL },
		};
		uint64_t cumulative = 0;

		snprintf(full, sizeof(full), "%s_bucket", name);
		for (size_t j = 0; j < LATENCY_BUCKETS; j++) {
			cumulative += b->latency_buckets[j];
			snprintf(bound, sizeof(bound), "%g", latency_bounds[j]);
			metrics_text_sample(text, full, labels, cumulative);
		}
		snprintf(bound, sizeof(bound), "+Inf");
		metrics_text_sample(text, full, labels, b->latency_count);
		labels[1].name = NULL;
		snprintf(full, sizeof(full), "%s_sum", name);
		metrics_text_sample_double(text, full, labels, b->latency_sum);
		snprintf(full, sizeof(full), "%s_count", name);
		metrics_text_sample(text, full, labels, b->latency_count);
	}
}

static void
render_backends(struct metrics_text *text, const struct server *srv)
{
	const struct metrics *m = srv->metrics;
	const struct config_backend_address *address;
	bool up;

	metrics_text_family(text, "subtls_backend_up", "gauge", "1 while the "
	    "backend address is up, 0 while it is marked down and probed.");
	for (size_t i = 0; srv->backends != NULL &&
	    (address = backend_pool_address(srv->backends, i, &up)) != NULL;
	    i++) {
		struct metrics_label labels[] = {
			{ "backend", address->text },
			{ NULL, NULL },
		};

		metrics_text_sample(text, "subtls_backend_up", labels, up);
	}

	metrics_text_family(text, "subtls_backend_connect_failures_total",
	    "counter", "Backend connects of client sessions that failed, by "
	    "backend address. Probes of a down address are not counted.");
	for (size_t i = 0; i < m->backend_count; i++) {
		struct metrics_label labels[] = {
			{ "backend", m->backends[i].address },
			{ NULL, NULL },
		};

		metrics_text_sample(text,
		    "subtls_backend_connect_failures_total", labels,
		    m->backends[i].connect_failures);
	}
	render_backend_latency(text, m);
}

static void
render_certificates(struct metrics_text *text, const struct server *srv)
{
	const char *name = "subtls_certificate_expiry_timestamp_seconds";
	struct tls_certificate_info info;

	metrics_text_family(text, name, "gauge", "The notAfter time of each "
	    "loaded certificate, in unix seconds.");
	for (size_t i = 0; i < srv->listener_count; i++) {
		const struct listener *l = &srv->listeners[i];

		for (size_t j = 0; l->tls != NULL &&
		    tls_context_certificate(l->tls, j, &info); j++) {
			struct metrics_label labels[] = {
				{ "listener", l->config->name },
				{ "certificate", info.path },
				{ "subject", info.subject },
				{ NULL, NULL },
			};

			if (info.has_expiry)
				metrics_text_sample(text, name, labels,
				    (uint64_t)info.not_after);
		}
	}
}

static void
render_process(struct metrics_text *text, const struct server *srv)
{
	const struct metrics *m = srv->metrics;
	struct metrics_label ok[] = {
		{ "result", "ok" }, { NULL, NULL },
	};
	struct metrics_label failed[] = {
		{ "result", "failed" }, { NULL, NULL },
	};
	struct metrics_label build[] = {
		{ "version", m->version },
		{ "wolfssl", tls_library_version() },
		{ NULL, NULL },
	};

	metrics_text_family(text, "subtls_reloads_total", "counter",
	    "Configuration reloads (SIGHUP or watch_files), by result.");
	metrics_text_sample(text, "subtls_reloads_total", ok, m->reloads_ok);
	metrics_text_sample(text, "subtls_reloads_total", failed,
	    m->reloads_failed);
	metrics_text_family(text, "subtls_draining", "gauge",
	    "1 after SIGTERM or SIGINT while open sessions finish, else 0.");
	metrics_text_sample(text, "subtls_draining", NULL, srv->draining);
	metrics_text_family(text, "process_start_time_seconds", "gauge",
	    "Start time of the process since the unix epoch, in seconds.");
	metrics_text_sample_double(text, "process_start_time_seconds", NULL,
	    m->start_time);
	metrics_text_family(text, "subtls_build_info", "gauge",
	    "Always 1; the labels name the versions of subtls and wolfSSL.");
	metrics_text_sample(text, "subtls_build_info", build, 1);
}

static void
metrics_render_locked(struct server *srv, struct metrics_text *text)
{
	if (srv->metrics == NULL) {
		text->failed = true;
		return;
	}
	render_sessions(text, srv);
	render_bytes(text, srv);
	render_backends(text, srv);
	render_certificates(text, srv);
	render_process(text, srv);
}

/*
 * The exported functions below hold the lock of the metrics while they
 * count or render, because every worker thread counts into one set.
 */

void
metrics_session_opened(const struct session *s)
{
	struct metrics *m = s->server->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_session_opened_locked(s);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_session_closed(const struct session *s, const char *reason)
{
	struct metrics *m = s->server->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_session_closed_locked(s, reason);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_handshake_completed(const struct session *s)
{
	struct metrics *m = s->server->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_handshake_completed_locked(s);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_starttls_injection(const struct session *s)
{
	struct metrics *m = s->server->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_starttls_injection_locked(s);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_limit_refusal(const struct listener *listener, const char *limit)
{
	struct metrics *m = listener->server->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_limit_refusal_locked(listener, limit);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_ban_refusal(const struct session *s)
{
	struct metrics *m = s->server->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_ban_refusal_locked(s);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_auth(const struct session *s, bool succeeded)
{
	struct metrics *m = s->server->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_auth_locked(s, succeeded);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_message_accepted(const struct session *s)
{
	struct metrics *m = s->server->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_message_accepted_locked(s);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_backend_connected(struct server *srv, const char *backend,
    uint64_t nanoseconds)
{
	struct metrics *m = srv->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_backend_connected_locked(srv, backend, nanoseconds);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_backend_connect_failed(struct server *srv, const char *backend)
{
	struct metrics *m = srv->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_backend_connect_failed_locked(srv, backend);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_reload(struct server *srv, bool succeeded)
{
	struct metrics *m = srv->metrics;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	metrics_reload_locked(srv, succeeded);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_render(struct server *srv, struct metrics_text *text)
{
	struct metrics *m = srv->metrics;

	if (m == NULL) {
		text->failed = true;
		return;
	}
	pthread_mutex_lock(&m->lock);
	metrics_render_locked(srv, text);
	pthread_mutex_unlock(&m->lock);
}
