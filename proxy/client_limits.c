/*
 * Sessions and token buckets per client key in a fixed array of entries.  A
 * hash table with chaining finds an entry by key.  Entries without sessions
 * are on the idle list, least recently used first, which makes its head the
 * entry to drop when its bucket is full and to evict when the table is full,
 * both in O(1).  Entries with sessions are on no list.  Dropped entries go
 * to the free list, and entries never used lie past next_unused.  Worker
 * threads share one table: each exported function holds its lock.
 *
 * Tokens are counted in units of 1/60000 token, so that refilling rate
 * tokens per minute adds rate units per millisecond without rounding.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/random.h>

#include "proxy/client_limits.h"

#define NONE UINT32_MAX
#define MINUTE_MS 60000
#define TOKEN MINUTE_MS		/* units per token */

_Static_assert((CLIENT_LIMITS_ENTRIES & (CLIENT_LIMITS_ENTRIES - 1)) == 0,
    "the bucket mask needs a power of two");

struct entry {
	uint64_t key;			/* as struct client_key's value */
	uint64_t tokens;		/* in units; UINT64_MAX: full */
	uint64_t updated_ms;		/* tokens were refilled up to then */
	uint32_t sessions;
	uint32_t chain_next;		/* next entry in the same bucket */
	uint32_t prev, next;		/* neighbors on the idle or free list */
	uint8_t family;
};

/* The header states this size as the cost of an entry. */
_Static_assert(sizeof(struct entry) <= 48,
    "an entry grew past the size that the header states");

struct list {
	uint32_t head;			/* least recently used */
	uint32_t tail;
};

struct client_limits {
	pthread_mutex_t lock;		/* worker threads share the table */
	uint64_t seed[2];		/* hash key */
	size_t used;
	uint32_t next_unused;		/* entries from here were never used */
	struct list idle;
	struct list free;
	uint32_t buckets[CLIENT_LIMITS_ENTRIES];
	struct entry entries[CLIENT_LIMITS_ENTRIES];
};

static void
list_append(struct client_limits *t, struct list *l, uint32_t n)
{
	struct entry *e = &t->entries[n];

	e->prev = l->tail;
	e->next = NONE;
	if (l->tail == NONE)
		l->head = n;
	else
		t->entries[l->tail].next = n;
	l->tail = n;
}

static void
list_remove(struct client_limits *t, struct list *l, uint32_t n)
{
	struct entry *e = &t->entries[n];

	if (e->prev == NONE)
		l->head = e->next;
	else
		t->entries[e->prev].next = e->next;
	if (e->next == NONE)
		l->tail = e->prev;
	else
		t->entries[e->next].prev = e->prev;
}

static uint32_t
key_bucket(const struct client_limits *t, struct client_key k)
{
	return (uint32_t)(client_key_hash(t->seed, k) &
	    (CLIENT_LIMITS_ENTRIES - 1));
}

static uint32_t
entry_find(const struct client_limits *t, struct client_key k)
{
	uint32_t n = t->buckets[key_bucket(t, k)];

	while (n != NONE) {
		const struct entry *e = &t->entries[n];

		if (e->key == k.value && e->family == k.family)
			return n;
		n = e->chain_next;
	}
	return NONE;
}

static uint64_t
bucket_capacity(unsigned rate)
{
	return (uint64_t)rate * TOKEN;
}

/* Brings the tokens of e up to now_ms for rate tokens a minute. */
static void
bucket_refill(struct entry *e, uint64_t now_ms, unsigned rate)
{
	uint64_t capacity = bucket_capacity(rate);
	uint64_t elapsed = now_ms > e->updated_ms ? now_ms - e->updated_ms : 0;

	if (elapsed >= MINUTE_MS || e->tokens >= capacity)
		e->tokens = capacity;
	else
		e->tokens += elapsed * rate;
	if (e->tokens > capacity)
		e->tokens = capacity;
	if (now_ms > e->updated_ms)
		e->updated_ms = now_ms;
}

/* Returns whether the bucket of e would be full at now_ms, so that
 * dropping the entry loses nothing. */
static bool
bucket_full(const struct entry *e, uint64_t now_ms, unsigned rate)
{
	uint64_t elapsed = now_ms > e->updated_ms ? now_ms - e->updated_ms : 0;

	if (rate == 0 || elapsed >= MINUTE_MS)
		return true;
	return e->tokens >= bucket_capacity(rate) ||
	    e->tokens + elapsed * rate >= bucket_capacity(rate);
}

/* Removes an idle entry from its bucket and puts it on the free list. */
static void
entry_drop(struct client_limits *t, uint32_t n)
{
	struct entry *e = &t->entries[n];
	struct client_key k = { .value = e->key, .family = e->family };
	uint32_t *link = &t->buckets[key_bucket(t, k)];

	while (*link != n)
		link = &t->entries[*link].chain_next;
	*link = e->chain_next;

	list_remove(t, &t->idle, n);
	list_append(t, &t->free, n);
	t->used--;
}

/* Adds an idle entry for k with a full bucket, or returns NONE when every
 * entry has sessions. */
static uint32_t
entry_insert(struct client_limits *t, struct client_key k, uint64_t now_ms)
{
	uint32_t n, bucket;
	struct entry *e;

	if (t->free.head == NONE && t->next_unused == CLIENT_LIMITS_ENTRIES) {
		if (t->idle.head == NONE)
			return NONE;
		entry_drop(t, t->idle.head);
	}
	if (t->free.head != NONE) {
		n = t->free.head;
		list_remove(t, &t->free, n);
	} else
		n = t->next_unused++;

	e = &t->entries[n];
	bucket = key_bucket(t, k);
	e->key = k.value;
	e->family = k.family;
	e->tokens = UINT64_MAX;
	e->updated_ms = now_ms;
	e->sessions = 0;
	e->chain_next = t->buckets[bucket];
	t->buckets[bucket] = n;
	list_append(t, &t->idle, n);
	t->used++;
	return n;
}

struct client_limits *
client_limits_new(void)
{
	struct client_limits *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (getrandom(t->seed, sizeof(t->seed), 0) != sizeof(t->seed) ||
	    pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < CLIENT_LIMITS_ENTRIES; i++)
		t->buckets[i] = NONE;
	t->idle.head = t->idle.tail = NONE;
	t->free.head = t->free.tail = NONE;
	return t;
}

void
client_limits_free(struct client_limits *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static enum client_limits_result
client_limits_admit_locked(struct client_limits *t, struct client_key key,
    uint64_t now_ms, unsigned max_sessions, unsigned rate)
{
	struct entry *e;
	uint32_t n;

	if (rate > CLIENT_LIMITS_RATE_MAX)
		rate = CLIENT_LIMITS_RATE_MAX;
	n = t->idle.head;
	if (n != NONE && bucket_full(&t->entries[n], now_ms, rate))
		entry_drop(t, n);

	n = entry_find(t, key);
	if (n == NONE)
		n = entry_insert(t, key, now_ms);
	if (n == NONE)
		return CLIENT_TABLE_FULL;
	e = &t->entries[n];

	if (e->sessions == 0) {
		/* Used now: the newest end of the idle list. */
		list_remove(t, &t->idle, n);
		list_append(t, &t->idle, n);
	}
	if (rate > 0) {
		bucket_refill(e, now_ms, rate);
		if (e->tokens < TOKEN)
			return CLIENT_RATE_EXCEEDED;
		e->tokens -= TOKEN;
	} else {
		e->tokens = UINT64_MAX;
		e->updated_ms = now_ms;
	}
	if (max_sessions > 0 && e->sessions >= max_sessions)
		return CLIENT_TOO_MANY_SESSIONS;

	if (e->sessions++ == 0)
		list_remove(t, &t->idle, n);
	return CLIENT_ADMITTED;
}

static void
client_limits_release_locked(struct client_limits *t, struct client_key key)
{
	uint32_t n = entry_find(t, key);
	struct entry *e;

	if (n == NONE || t->entries[n].sessions == 0)
		return;
	e = &t->entries[n];
	if (--e->sessions > 0)
		return;
	/* Released now, so used most recently of the idle entries. */
	list_append(t, &t->idle, n);
}

static unsigned
client_limits_sessions_locked(const struct client_limits *t, struct client_key key)
{
	uint32_t n = entry_find(t, key);

	return n == NONE ? 0 : t->entries[n].sessions;
}

static size_t
client_limits_count_locked(const struct client_limits *t)
{
	return t->used;
}

enum client_limits_result
client_limits_admit(struct client_limits *t, struct client_key key,
    uint64_t now_ms, unsigned max_sessions, unsigned rate)
{
	enum client_limits_result result;

	pthread_mutex_lock(&t->lock);
	result = client_limits_admit_locked(t, key, now_ms, max_sessions,
	    rate);
	pthread_mutex_unlock(&t->lock);
	return result;
}

void
client_limits_release(struct client_limits *t, struct client_key key)
{
	pthread_mutex_lock(&t->lock);
	client_limits_release_locked(t, key);
	pthread_mutex_unlock(&t->lock);
}

unsigned
client_limits_sessions(struct client_limits *t, struct client_key key)
{
	unsigned result;

	pthread_mutex_lock(&t->lock);
	result = client_limits_sessions_locked(t, key);
	pthread_mutex_unlock(&t->lock);
	return result;
}

size_t
client_limits_count(struct client_limits *t)
{
	size_t result;

	pthread_mutex_lock(&t->lock);
	result = client_limits_count_locked(t);
	pthread_mutex_unlock(&t->lock);
	return result;
}
