/*
 * Helpers for the connection limit tests: client keys from address text.
 */
#ifndef TEST_UNIT_PROXY_CLIENT_LIMITS_TEST_H
#define TEST_UNIT_PROXY_CLIENT_LIMITS_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/client_key.h"
#include "proxy/client_limits.h"
#include "test/unit/check.h"

/* Returns the key of an IPv4 or IPv6 address.  Aborts on text that is
 * neither, because that is a bug in the test. */
static inline struct client_key
key_of(const char *text)
{
	struct sockaddr_storage storage;
	struct sockaddr_in *sin = (struct sockaddr_in *)&storage;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&storage;
	struct client_key key;

	memset(&storage, 0, sizeof(storage));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		abort();
	if (!client_key_from_sockaddr((struct sockaddr *)&storage, &key))
		abort();
	return key;
}

static inline struct client_limits *
new_limits(void)
{
	struct client_limits *t = client_limits_new();

	if (t == NULL)
		abort();
	return t;
}

/* Admits count sessions of text at now_ms and returns how many were
 * admitted. */
static inline unsigned
admit_many(struct client_limits *t, const char *text, unsigned count,
    uint64_t now_ms, unsigned max_sessions, unsigned rate)
{
	unsigned admitted = 0;

	for (unsigned i = 0; i < count; i++)
		admitted += client_limits_admit(t, key_of(text), now_ms,
		    max_sessions, rate) == CLIENT_ADMITTED;
	return admitted;
}

#endif
