/*
 * Authentication failures and bans per client address, in a fixed array of
 * entries.  A hash table with chaining finds an entry by key.  Each entry in
 * use is on one of two lists.  The idle list contains unbanned entries in
 * the order of their last failure, and the banned list contains banned
 * entries in the order their bans began.  The heads of the lists are
 * therefore the oldest entries, which are the ones to drop when stale and to
 * evict when the table is full, both in O(1).  Free entries form a third list.
 *
 * An entry's history is a ring of the times of its recent failures, stored
 * as 32-bit offsets from base_ms, oldest first.
 *
 * Worker threads share one table, so that a ban holds whichever worker
 * takes the client's next connection: each exported function holds its lock.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "proxy/auth_throttle.h"
#include "proxy/client_key.h"

/* Entry and bucket numbers are 16 bits wide, and NONE marks the end of a
 * chain or list. */
#define NONE UINT16_MAX
_Static_assert(AUTH_THROTTLE_ENTRIES < NONE, "entry numbers must fit 16 bits");
_Static_assert((AUTH_THROTTLE_ENTRIES & (AUTH_THROTTLE_ENTRIES - 1)) == 0,
    "the bucket mask needs a power of two");
_Static_assert(AUTH_THROTTLE_LIMIT_MAX - 1 <= UINT8_MAX,
    "history sizes must fit 8 bits");

enum list_id { LIST_FREE, LIST_IDLE, LIST_BANNED };

struct entry {
	uint64_t key;			/* as struct client_key's value */
	uint64_t base_ms;		/* origin of the history offsets */
	uint64_t last_failure_ms;
	uint64_t banned_until_ms;	/* on the banned list only */
	uint32_t *history;		/* ring of failure times - base_ms */
	uint16_t chain_next;		/* next entry in the same bucket */
	uint16_t prev, next;		/* neighbors on the entry's list */
	uint8_t family;
	uint8_t list;			/* enum list_id */
	uint8_t capacity;		/* history slots allocated */
	uint8_t first;			/* ring index of the oldest failure */
	uint8_t count;			/* failures in the history */
};

/* The header states this size as the cost of an entry. */
_Static_assert(sizeof(struct entry) <= 56,
    "an entry grew past the size that the header states");

struct list {
	uint16_t head;			/* oldest */
	uint16_t tail;			/* newest */
};

struct auth_throttle {
	pthread_mutex_t lock;		/* worker threads share the table */
	uint64_t seed[2];		/* hash key */
	size_t used;
	struct list lists[3];		/* by enum list_id */
	uint16_t buckets[AUTH_THROTTLE_ENTRIES];
	struct entry entries[AUTH_THROTTLE_ENTRIES];
};

static void
list_append(struct auth_throttle *t, enum list_id id, uint16_t n)
{
	struct list *l = &t->lists[id];
	struct entry *e = &t->entries[n];

	e->list = id;
	e->prev = l->tail;
	e->next = NONE;
	if (l->tail == NONE)
		l->head = n;
	else
		t->entries[l->tail].next = n;
	l->tail = n;
}

static void
list_remove(struct auth_throttle *t, uint16_t n)
{
	struct entry *e = &t->entries[n];
	struct list *l = &t->lists[e->list];

	if (e->prev == NONE)
		l->head = e->next;
	else
		t->entries[e->prev].next = e->next;
	if (e->next == NONE)
		l->tail = e->prev;
	else
		t->entries[e->next].prev = e->prev;
}

/* Moves an entry to the newest end of a list, which may be its own. */
static void
list_move(struct auth_throttle *t, enum list_id id, uint16_t n)
{
	list_remove(t, n);
	list_append(t, id, n);
}

static uint16_t
key_bucket(const struct auth_throttle *t, struct client_key k)
{
	return (uint16_t)(client_key_hash(t->seed, k) &
	    (AUTH_THROTTLE_ENTRIES - 1));
}

static uint16_t
entry_find(const struct auth_throttle *t, struct client_key k)
{
	uint16_t n = t->buckets[key_bucket(t, k)];

	while (n != NONE) {
		const struct entry *e = &t->entries[n];

		if (e->key == k.value && e->family == k.family)
			return n;
		n = e->chain_next;
	}
	return NONE;
}

/* Removes an entry from its bucket and list and puts it on the free list. */
static void
entry_drop(struct auth_throttle *t, uint16_t n)
{
	struct entry *e = &t->entries[n];
	struct client_key k = { .value = e->key, .family = e->family };
	uint16_t *link = &t->buckets[key_bucket(t, k)];

	while (*link != n)
		link = &t->entries[*link].chain_next;
	*link = e->chain_next;

	free(e->history);
	e->history = NULL;
	e->capacity = 0;
	e->first = 0;
	e->count = 0;
	e->banned_until_ms = 0;
	list_move(t, LIST_FREE, n);
	t->used--;
}

static bool
entry_stale(const struct entry *e, uint64_t now_ms, uint64_t window_ms)
{
	return now_ms >= e->last_failure_ms &&
	    now_ms - e->last_failure_ms >= window_ms;
}

static bool
entry_ban_expired(const struct entry *e, uint64_t now_ms)
{
	return e->banned_until_ms <= now_ms;
}

/*
 * Drops an expired ban and a stale idle entry from the heads of the lists.
 * One of each per call keeps the cost O(1), and eviction handles what
 * remains.  The banned list is in the order bans began, so after a reload
 * that shortened the ban time, an expired ban can wait behind a current one.
 */
static void
drop_oldest_unused(struct auth_throttle *t, uint64_t now_ms, uint64_t window_ms)
{
	uint16_t n;

	n = t->lists[LIST_BANNED].head;
	if (n != NONE && entry_ban_expired(&t->entries[n], now_ms))
		entry_drop(t, n);

	n = t->lists[LIST_IDLE].head;
	if (n != NONE && entry_stale(&t->entries[n], now_ms, window_ms))
		entry_drop(t, n);
}

/*
 * Returns the entry that a new key replaces in a full table.  The head of the
 * banned list is a current ban, because drop_oldest_unused() ran first with
 * the same now_ms.
 */
static uint16_t
entry_to_evict(const struct auth_throttle *t)
{
	if (t->lists[LIST_IDLE].head != NONE)
		return t->lists[LIST_IDLE].head;
	return t->lists[LIST_BANNED].head;
}

/* Adds an empty entry for k on the idle list, evicting one when full. */
static uint16_t
entry_insert(struct auth_throttle *t, struct client_key k, uint64_t now_ms)
{
	uint16_t n, bucket;
	struct entry *e;

	if (t->used == AUTH_THROTTLE_ENTRIES)
		entry_drop(t, entry_to_evict(t));

	n = t->lists[LIST_FREE].head;
	e = &t->entries[n];
	bucket = key_bucket(t, k);
	e->key = k.value;
	e->family = k.family;
	e->last_failure_ms = now_ms;
	e->chain_next = t->buckets[bucket];
	t->buckets[bucket] = n;
	list_move(t, LIST_IDLE, n);
	t->used++;
	return n;
}

static uint64_t
history_time(const struct entry *e, unsigned i)
{
	return e->base_ms + e->history[(e->first + i) % e->capacity];
}

/* Forgets failures that are outside the window at now_ms. */
static void
history_expire(struct entry *e, uint64_t now_ms, uint64_t window_ms)
{
	while (e->count > 0 && now_ms - history_time(e, 0) >= window_ms) {
		e->first = (uint8_t)((e->first + 1) % e->capacity);
		e->count--;
	}
}

/* Grows the history to hold capacity failures, keeping their order. */
static bool
history_reserve(struct entry *e, unsigned capacity)
{
	uint32_t *history;

	if (e->capacity >= capacity)
		return true;

	history = malloc(capacity * sizeof(*history));
	if (history == NULL)
		return false;
	for (unsigned i = 0; i < e->count; i++)
		history[i] = e->history[(e->first + i) % e->capacity];
	free(e->history);
	e->history = history;
	e->capacity = (uint8_t)capacity;
	e->first = 0;
	return true;
}

/*
 * Appends a failure at now_ms to a history with room for it.  The offsets are
 * rebased on the oldest failure when now_ms is too far from base_ms for 32
 * bits.  That failure is within a window of at most 2^32 - 1 ms, so the new
 * offsets fit.
 */
static void
history_append(struct entry *e, uint64_t now_ms)
{
	if (e->count == 0) {
		e->base_ms = now_ms;
		e->first = 0;
	} else if (now_ms - e->base_ms > UINT32_MAX) {
		/* The analyzer loses count > 0 across history_grow()'s copy
		 * loop: entry first holds the oldest failure. */
		/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign) */
		uint32_t shift = e->history[e->first];

		for (unsigned i = 0; i < e->count; i++)
			e->history[(e->first + i) % e->capacity] -= shift;
		e->base_ms += shift;
	}

	e->history[(e->first + e->count) % e->capacity] =
	    (uint32_t)(now_ms - e->base_ms);
	e->count++;
}

static void
entry_ban(struct auth_throttle *t, uint16_t n, uint64_t now_ms, uint64_t ban_ms)
{
	struct entry *e = &t->entries[n];

	free(e->history);
	e->history = NULL;
	e->capacity = 0;
	e->first = 0;
	e->count = 0;
	e->banned_until_ms = ban_ms > UINT64_MAX - now_ms ?
	    UINT64_MAX : now_ms + ban_ms;
	list_move(t, LIST_BANNED, n);
}

struct auth_throttle *
auth_throttle_new(void)
{
	struct auth_throttle *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (getrandom(t->seed, sizeof(t->seed), 0) != sizeof(t->seed) ||
	    pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return NULL;
	}

	for (unsigned i = 0; i < AUTH_THROTTLE_ENTRIES; i++)
		t->buckets[i] = NONE;
	t->lists[LIST_FREE].head = NONE;
	t->lists[LIST_FREE].tail = NONE;
	t->lists[LIST_IDLE] = t->lists[LIST_FREE];
	t->lists[LIST_BANNED] = t->lists[LIST_FREE];
	for (unsigned i = 0; i < AUTH_THROTTLE_ENTRIES; i++)
		list_append(t, LIST_FREE, (uint16_t)i);
	return t;
}

void
auth_throttle_free(struct auth_throttle *t)
{
	if (t == NULL)
		return;
	for (unsigned i = 0; i < AUTH_THROTTLE_ENTRIES; i++)
		free(t->entries[i].history);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static bool
auth_throttle_failure_locked(struct auth_throttle *t, const struct sockaddr *addr,
    uint64_t now_ms, unsigned limit, uint64_t window_ms, uint64_t ban_ms)
{
	struct client_key k;
	struct entry *e;
	uint16_t n;

	if (limit == 0 || !client_key_from_sockaddr(addr, &k))
		return false;
	if (limit > AUTH_THROTTLE_LIMIT_MAX)
		limit = AUTH_THROTTLE_LIMIT_MAX;
	if (window_ms > AUTH_THROTTLE_WINDOW_MAX_MS)
		window_ms = AUTH_THROTTLE_WINDOW_MAX_MS;
	drop_oldest_unused(t, now_ms, window_ms);

	n = entry_find(t, k);
	if (n == NONE)
		n = entry_insert(t, k, now_ms);
	e = &t->entries[n];
	if (e->list == LIST_BANNED) {
		if (!entry_ban_expired(e, now_ms))
			return false;
		list_move(t, LIST_IDLE, n);
	}

	/* uv_now() never goes back, but a caller's clock that did must not
	 * wrap the unsigned ages of the history. */
	if (now_ms < e->last_failure_ms)
		now_ms = e->last_failure_ms;
	history_expire(e, now_ms, window_ms);

	if (e->count + 1u >= limit) {
		e->last_failure_ms = now_ms;
		entry_ban(t, n, now_ms, ban_ms);
		return true;
	}

	if (!history_reserve(e, limit - 1)) {
		if (e->count == 0)
			entry_drop(t, n);
		return false;
	}
	history_append(e, now_ms);
	e->last_failure_ms = now_ms;
	list_move(t, LIST_IDLE, n);
	return false;
}

static uint64_t
auth_throttle_banned_locked(struct auth_throttle *t, const struct sockaddr *addr,
    uint64_t now_ms)
{
	struct client_key k;
	uint16_t n;

	if (!client_key_from_sockaddr(addr, &k))
		return 0;

	n = entry_find(t, k);
	if (n == NONE || t->entries[n].list != LIST_BANNED)
		return 0;
	if (entry_ban_expired(&t->entries[n], now_ms)) {
		entry_drop(t, n);
		return 0;
	}
	return t->entries[n].banned_until_ms - now_ms;
}

static size_t
auth_throttle_count_locked(const struct auth_throttle *t)
{
	return t->used;
}

size_t
auth_throttle_key_format(const struct sockaddr *addr, char *out, size_t cap)
{
	struct client_key k;

	if (!client_key_from_sockaddr(addr, &k))
		return 0;
	return client_key_format(k, out, cap);
}

static unsigned
auth_throttle_failures_locked(struct auth_throttle *t, const struct sockaddr *addr,
    uint64_t now_ms, uint64_t window_ms)
{
	struct client_key k;
	struct entry *e;
	uint16_t n;
	unsigned counted = 0;

	if (!client_key_from_sockaddr(addr, &k))
		return 0;
	n = entry_find(t, k);
	if (n == NONE)
		return 0;
	e = &t->entries[n];
	if (window_ms > AUTH_THROTTLE_WINDOW_MAX_MS)
		window_ms = AUTH_THROTTLE_WINDOW_MAX_MS;
	for (unsigned i = 0; i < e->count; i++)
		if (now_ms >= history_time(e, i) &&
		    now_ms - history_time(e, i) < window_ms)
			counted++;
	return counted;
}

bool
auth_throttle_failure(struct auth_throttle *t, const struct sockaddr *addr,
    uint64_t now_ms, unsigned limit, uint64_t window_ms, uint64_t ban_ms)
{
	bool result;

	pthread_mutex_lock(&t->lock);
	result = auth_throttle_failure_locked(t, addr, now_ms, limit,
	    window_ms, ban_ms);
	pthread_mutex_unlock(&t->lock);
	return result;
}

uint64_t
auth_throttle_banned(struct auth_throttle *t,
    const struct sockaddr *addr, uint64_t now_ms)
{
	uint64_t result;

	pthread_mutex_lock(&t->lock);
	result = auth_throttle_banned_locked(t, addr, now_ms);
	pthread_mutex_unlock(&t->lock);
	return result;
}

size_t
auth_throttle_count(struct auth_throttle *t)
{
	size_t result;

	pthread_mutex_lock(&t->lock);
	result = auth_throttle_count_locked(t);
	pthread_mutex_unlock(&t->lock);
	return result;
}

unsigned
auth_throttle_failures(struct auth_throttle *t, const struct sockaddr *addr,
    uint64_t now_ms, uint64_t window_ms)
{
	unsigned result;

	pthread_mutex_lock(&t->lock);
	result = auth_throttle_failures_locked(t, addr, now_ms, window_ms);
	pthread_mutex_unlock(&t->lock);
	return result;
}
