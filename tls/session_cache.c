/*
 * A server-side session cache for TLS 1.2 clients that do not take session
 * tickets.
 *
 * The wolfSSL built for subtls keeps only a few sessions in its own cache
 * (--enable-smallcache), because tickets carry resumption for most clients.
 * Its external cache callbacks let subtls keep more: a table of
 * CACHE_SLOTS entries indexed by the first bytes of the session ID, which
 * the server picks at random.  A new session replaces whatever held its slot,
 * so the table never grows.  TLS 1.3 sessions are not stored, because TLS 1.3
 * resumes only by ticket (RFC 8446 section 2.2).
 *
 * Like the ticket keys, the table belongs to the process and outlives
 * reloads.  Worker threads share it under table_lock.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls/internal.h"
#include "tls/session_cache.h"

/* 16384 slots of 88 bytes take 1.4 MiB.  Each stored session adds wolfSSL's
 * session object, sizeof(WOLFSSL_SESSION) = 512 bytes in the build for
 * subtls. */
#define CACHE_SLOTS 16384
#define SESSION_ID_MAX 32

struct cache_slot {
	WOLFSSL_SESSION *session;	/* one reference, or NULL */
	uint64_t expires_ms;		/* monotonic */
	unsigned id_length;
	unsigned char id[SESSION_ID_MAX];
	/* The policy the session was made under (tls_tickets_policy_digest):
	 * another listener's or an older policy's session does not resume. */
	unsigned char policy_digest[TLS_POLICY_DIGEST_SIZE];
};

static struct cache_slot *slots;
static uint64_t lifetime_ms = 12 * 60 * 60 * 1000;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct cache_slot *
slot_for(const unsigned char *id, unsigned length)
{
	uint32_t index = 0;

	memcpy(&index, id, length < sizeof(index) ? length : sizeof(index));
	return &slots[index % CACHE_SLOTS];
}

static void
slot_clear(struct cache_slot *slot)
{
	if (slot->session != NULL)
		wolfSSL_SESSION_free(slot->session);
	memset(slot, 0, sizeof(*slot));
}

/* wolfSSL's new-session callback.  Returning 1 keeps the reference that
 * wolfSSL took for the callback; 0 makes wolfSSL drop it. */
static int
store_session(WOLFSSL *ssl, WOLFSSL_SESSION *session)
{
	const unsigned char *digest = tls_tickets_policy_digest(ssl);
	const unsigned char *id;
	unsigned length = 0;
	struct cache_slot *slot;

	if (wolfSSL_version(ssl) != TLS1_2_VERSION || digest == NULL)
		return 0;
	id = wolfSSL_SESSION_get_id(session, &length);
	if (id == NULL || length == 0 || length > SESSION_ID_MAX)
		return 0;
	pthread_mutex_lock(&table_lock);
	if (slots == NULL && (slots = calloc(CACHE_SLOTS,
	    sizeof(*slots))) == NULL) {
		pthread_mutex_unlock(&table_lock);
		return 0;
	}

	slot = slot_for(id, length);
	slot_clear(slot);
	slot->session = session;
	slot->expires_ms = monotonic_ms() + lifetime_ms;
	slot->id_length = length;
	memcpy(slot->id, id, length);
	memcpy(slot->policy_digest, digest, TLS_POLICY_DIGEST_SIZE);
	pthread_mutex_unlock(&table_lock);
	return 1;
}

/*
 * Returns the cached session for id under the current policy, with a
 * reference taken for the caller, or NULL.  Runs under table_lock.
 */
static WOLFSSL_SESSION *
find_session_locked(const unsigned char *digest, const unsigned char *id,
    unsigned length)
{
	struct cache_slot *slot;

	if (slots == NULL)
		return NULL;
	slot = slot_for(id, length);
	if (slot->session == NULL || slot->id_length != length ||
	    memcmp(slot->id, id, length) != 0 ||
	    memcmp(slot->policy_digest, digest, TLS_POLICY_DIGEST_SIZE) != 0)
		return NULL;
	if (monotonic_ms() >= slot->expires_ms) {
		slot_clear(slot);
		return NULL;
	}
	if (wolfSSL_SESSION_up_ref(slot->session) != WOLFSSL_SUCCESS)
		return NULL;
	return slot->session;
}

/*
 * wolfSSL's lookup callback.  With *copy = 0, wolfSSL 5.5.4 copies the
 * session and then drops one reference (src/ssl.c, GetSessionFromCache).
 * That is the reference taken under the lock, so another thread that
 * replaces the slot meanwhile cannot free the session under wolfSSL.
 */
static WOLFSSL_SESSION *
find_session(WOLFSSL *ssl, const unsigned char *id, int length, int *copy)
{
	const unsigned char *digest = tls_tickets_policy_digest(ssl);
	WOLFSSL_SESSION *session;

	*copy = 0;
	if (length <= 0 || length > SESSION_ID_MAX || digest == NULL)
		return NULL;
	pthread_mutex_lock(&table_lock);
	session = find_session_locked(digest, id, (unsigned)length);
	pthread_mutex_unlock(&table_lock);
	return session;
}

void
tls_session_cache_attach(WOLFSSL_CTX *ctx, const struct config_tls *policy)
{
	pthread_mutex_lock(&table_lock);
	lifetime_ms = policy->ticket_lifetime_ms;
	pthread_mutex_unlock(&table_lock);

	/* wolfSSL's own few-entry cache would only shadow this one. */
	wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_SERVER |
	    WOLFSSL_SESS_CACHE_NO_INTERNAL);
	wolfSSL_CTX_sess_set_new_cb(ctx, store_session);
	wolfSSL_CTX_sess_set_get_cb(ctx, find_session);
}

void
tls_session_cache_cleanup(void)
{
	pthread_mutex_lock(&table_lock);
	if (slots != NULL) {
		for (size_t i = 0; i < CACHE_SLOTS; i++)
			slot_clear(&slots[i]);
		free(slots);
		slots = NULL;
	}
	pthread_mutex_unlock(&table_lock);
}
