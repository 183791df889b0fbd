/*
 * Helpers for the authentication throttle tests: socket addresses from text,
 * and the default settings (5 failures in 10 minutes ban for an hour).
 */
#ifndef TEST_UNIT_PROXY_AUTH_THROTTLE_TEST_H
#define TEST_UNIT_PROXY_AUTH_THROTTLE_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/auth_throttle.h"
#include "test/unit/check.h"

#define LIMIT 5
#define WINDOW_MS (10 * 60 * 1000ULL)
#define BAN_MS (60 * 60 * 1000ULL)

/* Parses an IPv4 or IPv6 address into a socket address, port 587.  Aborts
 * on text that is neither, because that is a bug in the test. */
static inline const struct sockaddr *
parse_address(const char *text, struct sockaddr_storage *storage)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)storage;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)storage;

	memset(storage, 0, sizeof(*storage));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(587);
	} else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(587);
	} else {
		abort();
	}
	return (const struct sockaddr *)storage;
}

/* Records count failures of text at now_ms with the default settings.
 * Returns how many of them returned true. */
static inline unsigned
record_failures(struct auth_throttle *t, const char *text, unsigned count,
    uint64_t now_ms)
{
	struct sockaddr_storage s;
	const struct sockaddr *a = parse_address(text, &s);
	unsigned bans = 0;

	for (unsigned i = 0; i < count; i++)
		bans += auth_throttle_failure(t, a, now_ms, LIMIT, WINDOW_MS,
		    BAN_MS);
	return bans;
}

static inline uint64_t
get_ban_left(struct auth_throttle *t, const char *text, uint64_t now_ms)
{
	struct sockaddr_storage s;

	return auth_throttle_banned(t, parse_address(text, &s), now_ms);
}

static inline struct auth_throttle *
new_table(void)
{
	struct auth_throttle *t = auth_throttle_new();

	if (t == NULL)
		abort();
	return t;
}

#endif
