/*
 * A bounded in-memory table of SASL authentication failures and bans per
 * client address, for the auth_failures, auth_failure_window and
 * auth_ban_time settings.
 *
 * The table never reads a clock: every call takes now_ms, which must not
 * decrease from one call to the next (uv_now() does not).  It uses no libuv,
 * so unit tests cover every rule below.
 *
 * Key: an IPv4 address or an IPv6 /64 (proxy/client_key.h).  Other address
 * families have no key, so the table ignores their failures and never bans
 * them.
 *
 * Memory: at most AUTH_THROTTLE_ENTRIES entries.  An entry costs 56 bytes,
 * plus a history of limit - 1 failure times of 4 bytes each while it is not
 * banned (one malloc block, so the allocator adds its own overhead).  The
 * hash buckets cost 2 bytes per entry.  The worst case, every entry with a
 * history for limit 100, is 8192 * (56 + 396 + 2) bytes, about 3.7 MB before
 * allocator overhead.  For the default limit of 5 it is about 0.6 MB.  With
 * glibc's malloc on x86-64, mallinfo2() measured 3.9 MB and 0.74 MB.  When
 * the table is full, a new key replaces an old entry (see
 * auth_throttle_failure()), so many addresses can evict entries but never
 * grow memory.
 */
#ifndef PROXY_AUTH_THROTTLE_H
#define PROXY_AUTH_THROTTLE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/client_key.h"

struct auth_throttle;

/* Maximum number of keys that the table tracks at once. */
#define AUTH_THROTTLE_ENTRIES 8192

/* Maximum limit that auth_throttle_failure() honors.  A larger limit counts
 * as this one, so the config must reject larger values. */
#define AUTH_THROTTLE_LIMIT_MAX 100

/* Maximum window in ms, about 49.7 days, because failure times are stored as
 * 32-bit offsets.  A larger window counts as this one. */
#define AUTH_THROTTLE_WINDOW_MAX_MS UINT32_MAX

/* Buffer size for auth_throttle_key_format(): an IPv6 address, "/64" and
 * the terminating NUL. */
#define AUTH_THROTTLE_KEY_TEXT_MAX CLIENT_KEY_TEXT_MAX

/*
 * Allocates an empty table, with a random seed for its hash so that clients
 * cannot choose addresses that all land in one bucket.  Returns NULL when
 * memory or the seed from getrandom() is not available.
 */
struct auth_throttle *auth_throttle_new(void);

/* Frees the table and all its entries.  NULL is allowed. */
void auth_throttle_free(struct auth_throttle *t);

/*
 * Records one authentication failure of addr at now_ms.
 *
 * The failures counted are this one and the earlier ones at times t with
 * now_ms - t < window_ms.  When they number limit or more, the key is banned
 * until now_ms + ban_ms, its failure history is cleared, and the function
 * returns true, once per ban, so that the caller logs the ban.  Otherwise it
 * returns false.
 *
 * limit 0 turns throttling off, and nothing is recorded.  limit 1 bans at the
 * first failure.  While a key is banned its failures are not recorded and do
 * not extend the ban.  ban_ms 0 returns true but bans for no time at all.
 *
 * limit, window_ms and ban_ms may change between calls (config reload).  The
 * history already recorded is counted against the new values: a smaller
 * limit can ban at the next failure, and a larger limit grows the entry's
 * history when it records the next failure.  When that growth, or the
 * history of a new key, cannot be allocated, the failure is not recorded and
 * the function returns false.  Throttling thus fails open for that key
 * rather than banning it early.
 *
 * Each call first drops the oldest expired ban and the entry with the oldest
 * last failure if that failure has left the window.  When the table is still
 * full, a new key replaces the unbanned entry whose last failure is oldest,
 * else the banned entry whose ban began first.  Only a client with more than
 * AUTH_THROTTLE_ENTRIES banned keys can therefore end a ban early.
 */
bool auth_throttle_failure(struct auth_throttle *t, const struct sockaddr *addr,
    uint64_t now_ms, unsigned limit, uint64_t window_ms, uint64_t ban_ms);

/*
 * Returns the ms of ban left for addr at now_ms, or 0 when it is not banned.
 * A ban of addr that has expired is dropped from the table.
 */
uint64_t auth_throttle_banned(struct auth_throttle *t,
    const struct sockaddr *addr, uint64_t now_ms);

/*
 * Returns the failures recorded for addr that are less than window_ms old at
 * now_ms.  A banned key has none: its history was cleared by the ban.
 */
unsigned auth_throttle_failures(struct auth_throttle *t,
    const struct sockaddr *addr, uint64_t now_ms, uint64_t window_ms);

/* Returns the number of entries in the table, banned or not. */
size_t auth_throttle_count(struct auth_throttle *t);

/*
 * Writes addr's key as text for logs: "192.0.2.1" for IPv4 and IPv4-mapped
 * IPv6, "2001:db8:1:2::/64" for IPv6.  Returns the length without the NUL, or
 * 0 when addr has no key or the text does not fit in cap bytes.
 */
size_t auth_throttle_key_format(const struct sockaddr *addr, char *out,
    size_t cap);

#endif
