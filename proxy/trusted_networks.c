/*
 * Matching a client address against the networks of trusted_proxies.  Pure
 * code without libuv, so the unit tests link it alone.
 */
#include <netinet/in.h>
#include <string.h>

#include "proxy/trusted_networks.h"

/* Returns whether the first prefix_len bits of a and b are equal. */
static bool
prefix_equal(const unsigned char *a, const unsigned char *b,
    unsigned prefix_len)
{
	unsigned whole = prefix_len / 8, rest = prefix_len % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[whole] ^ b[whole]) & (0xFFu << (8 - rest)) & 0xFFu) == 0;
}

bool
trusted_networks_contain(const struct config_network *networks, size_t count,
    const struct sockaddr *addr)
{
	const unsigned char *bytes;
	int family;

	if (addr->sa_family == AF_INET) {
		family = AF_INET;
		bytes = (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)addr)->sin_addr;
	} else if (addr->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;

		family = AF_INET6;
		bytes = a6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			bytes += 12;
		}
	} else
		return false;

	for (size_t i = 0; i < count; i++) {
		if (networks[i].family == family && prefix_equal(bytes,
		    networks[i].address, networks[i].prefix_len))
			return true;
	}
	return false;
}
