/*
 * The limits on new sessions and on TLS handshakes in progress.  The counts
 * live in struct server_shared, which every worker shares, the per-client
 * counts in proxy/client_limits.c.  The queue of held STARTTLS sessions
 * belongs to each worker; a worker that frees a handshake slot wakes the
 * others that wait for one (proxy/worker.c).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/admission.h"
#include "proxy/client_key.h"
#include "proxy/client_limits.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "proxy/worker.h"
#include "smtp/dialogue.h"
#include "smtp/reply.h"

_Static_assert(CONFIG_MAX_SESSIONS_MAX < CLIENT_LIMITS_ENTRIES,
    "every admitted session's client needs an entry in the client table");

/* The interval of the warning lines of one limit. */
#define WARNING_INTERVAL_MS 1000

static const char *const limit_names[LIMIT_COUNT] = {
	[LIMIT_MAX_SESSIONS] = "max_sessions",
	[LIMIT_MAX_SESSIONS_PER_CLIENT] = "max_sessions_per_client",
	[LIMIT_CONNECTION_RATE] = "connection_rate_per_client",
	[LIMIT_MAX_HANDSHAKES] = "max_handshakes_in_progress",
	[LIMIT_MAX_HANDSHAKES_HELD] = "max_handshakes_in_progress",
	[LIMIT_MAX_ERRORS] = "max_errors",
	[LIMIT_OPEN_FILES] = "open_files",
	[LIMIT_PROXY_HEADER] = "accept_proxy",
};

/* The close reason of a session refused by a limit. */
static const char *const refusal_reasons[LIMIT_COUNT] = {
	[LIMIT_MAX_SESSIONS] = "too_many_sessions",
	[LIMIT_MAX_SESSIONS_PER_CLIENT] = "too_many_sessions_per_client",
	[LIMIT_CONNECTION_RATE] = "connection_rate",
};

/* Guards the limit_warnings of struct server_shared, which every worker
 * writes. */
static pthread_mutex_t warnings_lock = PTHREAD_MUTEX_INITIALIZER;

bool
admission_warning_due(struct server *srv, enum limit_id limit,
    unsigned *suppressed)
{
	struct limit_warning *w = &srv->shared->limit_warnings[limit];
	uint64_t now = uv_now(&srv->loop);
	bool due;

	pthread_mutex_lock(&warnings_lock);
	/* Another worker's loop may have read its clock a little later. */
	due = !w->written || (now >= w->last_ms &&
	    now - w->last_ms >= WARNING_INTERVAL_MS);
	if (due) {
		*suppressed = w->suppressed;
		w->suppressed = 0;
		w->last_ms = now;
		w->written = true;
	} else
		w->suppressed++;
	pthread_mutex_unlock(&warnings_lock);
	return due;
}

static void
refuse(struct session *s, enum limit_id limit, unsigned value,
    const struct client_key *key)
{
	struct server *srv = s->server;
	char key_text[CLIENT_KEY_TEXT_MAX] = "none";
	char reply[SMTP_DIALOGUE_REPLY_MAX], *copy;
	unsigned suppressed;
	size_t n;

	if (key != NULL)
		client_key_format(*key, key_text, sizeof(key_text));
	metrics_limit_refusal(s->listener, limit_names[limit]);
	if (admission_warning_due(srv, limit, &suppressed))
		session_log(s, CONFIG_LOG_WARNING, "limit reached listener=%s "
		    "limit=%s value=%u key=%s action=refused suppressed=%u",
		    s->listener->config->name, limit_names[limit], value,
		    key_text, suppressed);

	if (s->listener->config->mode == CONFIG_MODE_STARTTLS) {
		n = smtp_reply_too_many_connections(reply, sizeof(reply),
		    srv->config->global.hostname);
		copy = n > 0 ? strdup(reply) : NULL;
		if (copy != NULL)
			session_write_client(s, copy, n);
	}
	if (s->state != SESSION_CLOSING)
		session_close(s, refusal_reasons[limit], NULL);
}

bool
admission_admit_client(struct session *s)
{
	struct server *srv = s->server;
	const struct config_global *g = &srv->config->global;
	struct client_key key;

	if (client_key_from_sockaddr((struct sockaddr *)&s->client_addr,
	    &key)) {
		switch (client_limits_admit(srv->client_limits, key,
		    uv_now(&srv->loop), g->max_sessions_per_client,
		    g->connection_rate_per_client)) {
		case CLIENT_ADMITTED:
			s->client_counted = true;
			break;
		case CLIENT_RATE_EXCEEDED:
			refuse(s, LIMIT_CONNECTION_RATE,
			    g->connection_rate_per_client, &key);
			return false;
		case CLIENT_TOO_MANY_SESSIONS:
			refuse(s, LIMIT_MAX_SESSIONS_PER_CLIENT,
			    g->max_sessions_per_client, &key);
			return false;
		case CLIENT_TABLE_FULL:
			/* Cannot happen below CONFIG_MAX_SESSIONS_MAX
			 * sessions; refused like a full server. */
			refuse(s, LIMIT_MAX_SESSIONS, g->max_sessions, &key);
			return false;
		}
	}
	return true;
}

bool
admission_admit_connection(struct session *s)
{
	struct server *srv = s->server;
	const struct config_global *g = &srv->config->global;
	struct client_key key;
	bool keyed;

	/* Counted first and taken back when over, so that two workers
	 * cannot both take the last place. */
	if (atomic_fetch_add(&srv->shared->sessions_admitted, 1) >=
	    g->max_sessions) {
		atomic_fetch_sub(&srv->shared->sessions_admitted, 1);
		keyed = client_key_from_sockaddr(
		    (struct sockaddr *)&s->client_addr, &key);
		refuse(s, LIMIT_MAX_SESSIONS, g->max_sessions,
		    keyed ? &key : NULL);
		return false;
	}
	s->admitted = true;
	return true;
}

bool
admission_admit(struct session *s)
{
	return admission_admit_client(s) && admission_admit_connection(s);
}

void
admission_release(struct session *s)
{
	struct server *srv = s->server;
	struct client_key key;

	if (s->client_counted && client_key_from_sockaddr(
	    (struct sockaddr *)&s->client_addr, &key))
		client_limits_release(srv->client_limits, key);
	s->client_counted = false;
	if (s->admitted)
		atomic_fetch_sub(&srv->shared->sessions_admitted, 1);
	s->admitted = false;
}

bool
admission_handshake_slot_free(const struct server *srv)
{
	unsigned max = srv->config->global.max_handshakes_in_progress;

	return max == 0 || atomic_load(&srv->shared->handshakes) < max;
}

/*
 * NOTE: a slot is taken at accept (implicit TLS) or at STARTTLS, not at the
 * first handshake byte, so connections that send nothing hold slots until
 * handshake_timeout and delay new clients, though within the per-client
 * limits.  With several workers the check of a free slot and this count
 * are two steps, so up to workers - 1 handshakes beyond the limit can start.
 */
void
admission_handshake_started(struct server *srv)
{
	atomic_fetch_add(&srv->shared->handshakes, 1);
}

void
admission_handshakes_retry(struct server *srv)
{
	while (srv->held_first != NULL && admission_handshake_slot_free(srv)) {
		struct session *s = srv->held_first;

		admission_unhold(s);
		relay_release_starttls(s);
	}
	if (admission_handshake_slot_free(srv))
		listeners_resume(srv, true, false);
}

void
admission_handshake_ended(struct server *srv)
{
	atomic_fetch_sub(&srv->shared->handshakes, 1);
	admission_handshakes_retry(srv);
	workers_handshake_slot_freed(srv);
}

void
admission_wait_for_handshake(struct server *srv)
{
	atomic_store(&srv->waits_for_handshake, true);
	/* Another worker may have freed a slot before the flag was set, and
	 * then no session was woken, so check again. */
	if (admission_handshake_slot_free(srv))
		workers_wake_for_handshake(srv);
}

bool
admission_starttls_must_wait(const struct server *srv)
{
	return srv->held_first != NULL || !admission_handshake_slot_free(srv);
}

void
admission_hold_starttls(struct session *s)
{
	struct server *srv = s->server;
	unsigned suppressed;

	s->held_next = NULL;
	s->held_prev = srv->held_last;
	if (srv->held_last != NULL)
		srv->held_last->held_next = s;
	else
		srv->held_first = s;
	srv->held_last = s;
	s->held = true;
	admission_wait_for_handshake(srv);

	if (admission_warning_due(srv, LIMIT_MAX_HANDSHAKES_HELD, &suppressed))
		session_log(s, CONFIG_LOG_WARNING, "limit reached listener=%s "
		    "limit=max_handshakes_in_progress value=%u "
		    "action=starttls_held suppressed=%u",
		    s->listener->config->name,
		    srv->config->global.max_handshakes_in_progress,
		    suppressed);
}

void
admission_unhold(struct session *s)
{
	struct server *srv = s->server;

	if (!s->held)
		return;
	if (s->held_prev != NULL)
		s->held_prev->held_next = s->held_next;
	else
		srv->held_first = s->held_next;
	if (s->held_next != NULL)
		s->held_next->held_prev = s->held_prev;
	else
		srv->held_last = s->held_prev;
	s->held_prev = s->held_next = NULL;
	s->held = false;
}

void
admission_session_freed(struct server *srv)
{
	if (srv->spare_fd < 0)
		srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (srv->spare_fd >= 0)
		listeners_resume(srv, false, true);
}
