/*
 * Open sessions and connection rate per client key, for the
 * max_sessions_per_client and connection_rate_per_client settings.
 *
 * Keys are those of proxy/client_key.h: an IPv4 address or an IPv6 /64.
 * The table never reads a clock: every call takes now_ms, which must not
 * decrease from one call to the next (uv_now() does not).  It uses no libuv,
 * so unit tests cover every rule below.
 *
 * The connection rate is a token bucket per key that contains at most rate
 * tokens and refills at rate tokens per minute, so a client may open rate
 * connections at once and then one every 60 / rate seconds.  Each connection
 * takes one token.
 *
 * Memory: a fixed array of CLIENT_LIMITS_ENTRIES entries of 48 bytes and a
 * 4-byte bucket each, 3.3 MB of address space.  Entries are handed out in
 * order and reused, so only the pages of entries that were ever used become
 * resident.  An entry with open sessions is never dropped.  An entry without
 * sessions is dropped once its bucket is full again.  When the table is
 * full, a new key replaces the entry without sessions that was used least
 * recently, and that key's bucket starts full if it returns.  Only a client
 * that spreads its connections over more keys than the table holds can
 * therefore exceed its rate.
 */
#ifndef PROXY_CLIENT_LIMITS_H
#define PROXY_CLIENT_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/client_key.h"

struct client_limits;

/* Maximum number of keys tracked at once.  The config keeps max_sessions
 * below it, so that a key with open sessions always finds an entry. */
#define CLIENT_LIMITS_ENTRIES 65536

/* Maximum rate in connections per minute that the token arithmetic
 * supports.  A larger rate counts as this one. */
#define CLIENT_LIMITS_RATE_MAX 1000000

enum client_limits_result {
	CLIENT_ADMITTED,		/* counted: call client_limits_release() */
	CLIENT_TOO_MANY_SESSIONS,	/* max_sessions open already */
	CLIENT_RATE_EXCEEDED,		/* no token left */
	CLIENT_TABLE_FULL,		/* every entry has open sessions */
};

/*
 * Allocates an empty table with a random hash seed.  Returns NULL when
 * memory or the seed from getrandom() is not available.
 */
struct client_limits *client_limits_new(void);

/* Frees the table.  NULL is allowed. */
void client_limits_free(struct client_limits *t);

/*
 * Decides whether key may open one more session at now_ms, and counts the
 * session when it may.
 *
 * rate is in connections per minute, and 0 turns the rate limit off.  The
 * rate is checked first: a connection without a token is refused and takes
 * nothing, and any other connection takes a token, even one that the
 * session limit then refuses.  max_sessions 0 turns the session limit off.
 * Both may change between calls (config reload): the tokens of a key are
 * capped at the new rate.
 *
 * Every session admitted is counted, also with both limits off, so that
 * client_limits_release() matches it whatever the settings are by then.
 * CLIENT_TABLE_FULL cannot happen while fewer than CLIENT_LIMITS_ENTRIES
 * sessions are counted.
 */
enum client_limits_result client_limits_admit(struct client_limits *t,
    struct client_key key, uint64_t now_ms, unsigned max_sessions,
    unsigned rate);

/* Counts the end of a session that client_limits_admit() admitted for key. */
void client_limits_release(struct client_limits *t, struct client_key key);

/* Returns the sessions counted for key. */
unsigned client_limits_sessions(struct client_limits *t,
    struct client_key key);

/* Returns the number of keys in the table. */
size_t client_limits_count(struct client_limits *t);

#endif
