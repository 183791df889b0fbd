/*
 * Open sessions per client key: the limit refuses the session after the
 * last allowed one, a release makes room again, IPv6 counts by /64 and
 * IPv4-mapped IPv6 as IPv4, and 0 turns the limit off.
 */
#include "test/unit/proxy/client_limits_test.h"

static void
test_limit_and_release(void)
{
	struct client_limits *t = new_limits();

	CHECK(admit_many(t, "192.0.2.1", 20, 0, 20, 0) == 20,
	    "20 sessions of one address are admitted");
	CHECK(client_limits_admit(t, key_of("192.0.2.1"), 0, 20, 0) ==
	    CLIENT_TOO_MANY_SESSIONS, "the 21st is refused");
	CHECK(client_limits_sessions(t, key_of("192.0.2.1")) == 20,
	    "a refused session is not counted");
	CHECK(client_limits_admit(t, key_of("192.0.2.2"), 0, 20, 0) ==
	    CLIENT_ADMITTED, "another address is admitted");

	client_limits_release(t, key_of("192.0.2.1"));
	CHECK(client_limits_sessions(t, key_of("192.0.2.1")) == 19,
	    "a release counts one session less");
	CHECK(client_limits_admit(t, key_of("192.0.2.1"), 0, 20, 0) ==
	    CLIENT_ADMITTED, "after a release one more is admitted");
	client_limits_free(t);
}

static void
test_ipv6_counts_by_64(void)
{
	struct client_limits *t = new_limits();
	const char *same_64[] = {
		"2001:db8:1:2::1", "2001:db8:1:2::2",
		"2001:db8:1:2:ffff:ffff:ffff:ffff",
	};
	unsigned admitted = 0;

	for (unsigned i = 0; i < 3; i++)
		admitted += admit_many(t, same_64[i], 1, 0, 3, 0);
	CHECK(admitted == 3, "3 addresses of one /64 are admitted");
	CHECK(client_limits_admit(t, key_of("2001:db8:1:2:abcd::9"), 0, 3,
	    0) == CLIENT_TOO_MANY_SESSIONS,
	    "a 4th address of the same /64 is refused");
	CHECK(client_limits_admit(t, key_of("2001:db8:1:3::1"), 0, 3, 0) ==
	    CLIENT_ADMITTED, "the next /64 is admitted");
	CHECK(client_limits_sessions(t, key_of("2001:db8:1:2::77")) == 3,
	    "the /64 counts 3 sessions");
	CHECK(client_limits_count(t) == 2, "two keys");
	client_limits_free(t);
}

static void
test_mapped_ipv4_is_ipv4(void)
{
	struct client_limits *t = new_limits();

	CHECK(admit_many(t, "::ffff:192.0.2.7", 2, 0, 3, 0) == 2,
	    "2 sessions from ::ffff:192.0.2.7");
	CHECK(admit_many(t, "192.0.2.7", 2, 0, 3, 0) == 1,
	    "192.0.2.7 shares the count: only a 3rd is admitted");
	CHECK(client_limits_count(t) == 1, "one key");
	client_limits_free(t);
}

static void
test_zero_is_off(void)
{
	struct client_limits *t = new_limits();

	CHECK(admit_many(t, "198.51.100.1", 1000, 0, 0, 0) == 1000,
	    "max_sessions 0 admits 1000 sessions");
	CHECK(client_limits_sessions(t, key_of("198.51.100.1")) == 1000,
	    "and counts them all, for a later limit");
	CHECK(client_limits_admit(t, key_of("198.51.100.1"), 0, 1000, 0) ==
	    CLIENT_TOO_MANY_SESSIONS,
	    "a limit set later (reload) counts the sessions already open");
	client_limits_free(t);
}

static void
test_key_text(void)
{
	char text[CLIENT_KEY_TEXT_MAX];

	CHECK(client_key_format(key_of("2001:db8:1:2:3:4:5:6"), text,
	    sizeof(text)) > 0 && strcmp(text, "2001:db8:1:2::/64") == 0,
	    "IPv6 key text is the /64 (got %s)", text);
	CHECK(client_key_format(key_of("::ffff:203.0.113.9"), text,
	    sizeof(text)) > 0 && strcmp(text, "203.0.113.9") == 0,
	    "IPv4-mapped key text is the IPv4 address (got %s)", text);
	CHECK(client_key_format(key_of("::1"), text, sizeof(text)) > 0 &&
	    strcmp(text, "::/64") == 0, "::1 is in ::/64 (got %s)", text);
}

int
main(void)
{
	test_limit_and_release();
	test_ipv6_counts_by_64();
	test_mapped_ipv4_is_ipv4();
	test_zero_is_off();
	test_key_text();
	return check_done();
}
