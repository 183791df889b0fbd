/*
 * Which addresses share a throttle key: one IPv4 address, the IPv4 address
 * inside an IPv4-mapped IPv6 address, one IPv6 /64.  Also the key as text
 * for logs, and addresses without a key.
 */
#include <stdint.h>
#include <sys/un.h>

#include "test/unit/proxy/auth_throttle_test.h"

static void
test_ipv6_same_prefix_shares_key(void)
{
	struct auth_throttle *t = new_table();
	const char *same_64[] = {
		"2001:db8:1:2::1", "2001:db8:1:2::2",
		"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2:abcd::9",
	};
	unsigned bans = 0;

	for (unsigned i = 0; i < 4; i++)
		bans += record_failures(t, same_64[i], 1, 0);
	CHECK(bans == 0, "4 failures in one /64 do not ban");
	CHECK(record_failures(t, "2001:db8:1:2:1:2:3:4", 1, 0) == 1,
	    "the 5th failure in the /64 bans");
	CHECK(get_ban_left(t, "2001:db8:1:2::77", 0) == BAN_MS,
	    "another address of the /64 is banned");
	CHECK(get_ban_left(t, "2001:db8:1:3::1", 0) == 0,
	    "the next /64 is not banned");
	CHECK(get_ban_left(t, "2001:db8:1:1:ffff:ffff:ffff:ffff", 0) == 0,
	    "the previous /64 is not banned");
	auth_throttle_free(t);
}

static void
test_ipv6_different_prefixes_separate(void)
{
	struct auth_throttle *t = new_table();

	CHECK(record_failures(t, "2001:db8:1:2::1", LIMIT - 1, 0) == 0,
	    "%u failures in 2001:db8:1:2::/64", LIMIT - 1);
	CHECK(record_failures(t, "2001:db8:1:3::1", LIMIT - 1, 0) == 0,
	    "%u failures in 2001:db8:1:3::/64 do not add up with the other /64",
	    LIMIT - 1);
	CHECK(get_ban_left(t, "2001:db8:1:2::1", 0) == 0,
	    "first /64 not banned");
	CHECK(get_ban_left(t, "2001:db8:1:3::1", 0) == 0,
	    "second /64 not banned");
	CHECK(auth_throttle_count(t) == 2, "two entries");
	auth_throttle_free(t);
}

static void
test_mapped_ipv4_equals_ipv4(void)
{
	struct auth_throttle *t = new_table();

	CHECK(record_failures(t, "::ffff:192.0.2.7", LIMIT - 1, 0) == 0,
	    "%u failures from ::ffff:192.0.2.7", LIMIT - 1);
	CHECK(record_failures(t, "192.0.2.7", 1, 0) == 1,
	    "one more from 192.0.2.7 bans");
	CHECK(get_ban_left(t, "::ffff:192.0.2.7", 0) == BAN_MS,
	    "the mapped address is banned");
	CHECK(get_ban_left(t, "::ffff:192.0.2.8", 0) == 0,
	    "the next mapped address is not banned");
	CHECK(auth_throttle_count(t) == 1, "one entry");
	auth_throttle_free(t);
}

/* 192.0.2.7 is 0xc0000207, and so is the /64 prefix of 0:0:c000:207::. */
static void
test_ipv4_and_ipv6_same_bits_separate(void)
{
	struct auth_throttle *t = new_table();

	CHECK(record_failures(t, "192.0.2.7", LIMIT, 0) == 1,
	    "192.0.2.7 banned");
	CHECK(get_ban_left(t, "0:0:c000:207::1", 0) == 0,
	    "the IPv6 /64 with the same 64-bit value is not banned");
	auth_throttle_free(t);
}

static void
test_unix_socket_has_no_key(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const struct sockaddr *a = (const struct sockaddr *)&sun;
	char text[AUTH_THROTTLE_KEY_TEXT_MAX];
	unsigned bans = 0;

	for (unsigned i = 0; i < 10; i++)
		bans += auth_throttle_failure(t, a, 0, 1, WINDOW_MS, BAN_MS);
	CHECK(bans == 0, "failures from a Unix socket ban nothing");
	CHECK(auth_throttle_banned(t, a, 0) == 0,
	    "a Unix socket is not banned");
	CHECK(auth_throttle_count(t) == 0,
	    "nothing recorded for a Unix socket");
	CHECK(auth_throttle_key_format(a, text, sizeof(text)) == 0,
	    "a Unix socket has no key text");
	auth_throttle_free(t);
}

static void
check_key_text(const char *address, const char *want)
{
	struct sockaddr_storage s;
	char text[AUTH_THROTTLE_KEY_TEXT_MAX];
	size_t len = auth_throttle_key_format(parse_address(address, &s), text,
	    sizeof(text));

	CHECK_BYTES(text, len, want, strlen(want), "key text of %s", address);
}

static void
test_key_text(void)
{
	struct sockaddr_storage s;
	char text[AUTH_THROTTLE_KEY_TEXT_MAX];
	const struct sockaddr *a;

	check_key_text("192.0.2.1", "192.0.2.1");
	check_key_text("255.255.255.255", "255.255.255.255");
	check_key_text("::ffff:192.0.2.1", "192.0.2.1");
	check_key_text("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64");
	check_key_text("2001:db8::1", "2001:db8::/64");
	check_key_text("::1", "::/64");
	check_key_text("fe80::1ff:fe23:4567:890a", "fe80::/64");
	check_key_text("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "ffff:ffff:ffff:ffff::/64");

	a = parse_address("2001:db8:1:2::1", &s);
	CHECK(auth_throttle_key_format(a, text, strlen("2001:db8:1:2::/64") + 1)
	    == strlen("2001:db8:1:2::/64"), "key text fits its exact size");
	CHECK(auth_throttle_key_format(a, text, strlen("2001:db8:1:2::/64"))
	    == 0, "key text without room for the NUL returns 0");
}

int
main(void)
{
	test_ipv6_same_prefix_shares_key();
	test_ipv6_different_prefixes_separate();
	test_mapped_ipv4_equals_ipv4();
	test_ipv4_and_ipv6_same_bits_separate();
	test_unix_socket_has_no_key();
	test_key_text();
	return check_done();
}
