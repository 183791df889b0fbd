/*
 * Client keys: an IPv4 address or an IPv6 /64 prefix, hashed with a secret
 * seed and written as text for logs.
 */
#include <arpa/inet.h>
#include <string.h>

#include "proxy/client_key.h"

static inline uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND do {							\
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);	\
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);	\
} while (0)

/* SipHash-2-4 over the key's two 64-bit words and the length word. */
uint64_t
client_key_hash(const uint64_t seed[2], struct client_key key)
{
	uint64_t v0 = seed[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = seed[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = seed[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = seed[1] ^ 0x7465646279746573ULL;
	uint64_t words[3] = { key.value, key.family, (uint64_t)16 << 56 };

	for (int i = 0; i < 3; i++) {
		v3 ^= words[i];
		SIPROUND;
		SIPROUND;
		v0 ^= words[i];
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t
load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

bool
client_key_from_sockaddr(const struct sockaddr *addr, struct client_key *key)
{
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *sin;

		sin = (const struct sockaddr_in *)addr;
		key->value = ntohl(sin->sin_addr.s_addr);
		key->family = 4;
		return true;
	}
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6;
		const uint8_t *b;

		sin6 = (const struct sockaddr_in6 *)addr;
		b = sin6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			key->value = (uint64_t)b[12] << 24 |
			    (uint64_t)b[13] << 16 |
			    (uint64_t)b[14] << 8 | b[15];
			key->family = 4;
		} else {
			key->value = load_be64(b);
			key->family = 6;
		}
		return true;
	}
	return false;
}

size_t
client_key_format(struct client_key key, char *out, size_t cap)
{
	char text[CLIENT_KEY_TEXT_MAX];
	size_t len;

	if (key.family == 4) {
		struct in_addr a = { .s_addr = htonl((uint32_t)key.value) };

		if (inet_ntop(AF_INET, &a, text, sizeof(text)) == NULL)
			return 0;
	} else {
		struct in6_addr a;

		memset(&a, 0, sizeof(a));
		for (int i = 0; i < 8; i++)
			a.s6_addr[i] = (uint8_t)(key.value >> (56 - 8 * i));
		if (inet_ntop(AF_INET6, &a, text, sizeof(text)) == NULL)
			return 0;
		len = strlen(text);
		if (len + sizeof("/64") > sizeof(text))
			return 0;
		memcpy(text + len, "/64", sizeof("/64"));
	}

	len = strlen(text);
	if (len >= cap)
		return 0;
	memcpy(out, text, len + 1);
	return len;
}
