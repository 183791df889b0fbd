/*
 * The key under which per-client limits count a client address.
 *
 * An IPv4 address is its own key, and an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) has the same key as a.b.c.d.  Any other IPv6 address
 * counts by its /64 prefix, because a host that has one address of a /64
 * can usually use any other, a new one for every connection.  Other address
 * families have no key.
 *
 * Pure code without libuv, shared by the authentication throttle and the
 * connection limits.
 */
#ifndef PROXY_CLIENT_KEY_H
#define PROXY_CLIENT_KEY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct client_key {
	uint64_t value;		/* IPv4 address, or the IPv6 /64 prefix */
	uint8_t family;		/* 4 or 6 */
};

/* Buffer size for client_key_format(): an IPv6 address, "/64" and the
 * terminating NUL. */
#define CLIENT_KEY_TEXT_MAX (INET6_ADDRSTRLEN + 3)

/* Sets *key to addr's key.  Returns false for a family without a key. */
bool client_key_from_sockaddr(const struct sockaddr *addr,
    struct client_key *key);

static inline bool
client_key_equal(struct client_key a, struct client_key b)
{
	return a.value == b.value && a.family == b.family;
}

/*
 * Hashes key with SipHash-2-4, keyed by seed.  Clients choose their
 * addresses, so a table indexed by an unkeyed hash would let them fill one
 * bucket's chain.
 */
uint64_t client_key_hash(const uint64_t seed[2], struct client_key key);

/*
 * Writes key as text for logs: "192.0.2.1" for IPv4, "2001:db8:1:2::/64"
 * for IPv6.  Returns the length without the NUL, or 0 when the text does
 * not fit in cap bytes.
 */
size_t client_key_format(struct client_key key, char *out, size_t cap);

#endif
