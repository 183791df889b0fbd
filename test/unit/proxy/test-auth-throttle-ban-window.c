/*
 * The authentication throttle bans a key at the limit-th failure within the
 * window, for the ban time, once, and forgets failures outside the window.
 */
#include <stdint.h>

#include "test/unit/proxy/auth_throttle_test.h"

static void
test_limit_within_window_bans(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;
	const struct sockaddr *a = parse_address("192.0.2.1", &s);

	for (unsigned i = 0; i < LIMIT - 1; i++) {
		CHECK(!auth_throttle_failure(t, a, i * 1000, LIMIT, WINDOW_MS,
		    BAN_MS), "failure %u of %u does not ban", i + 1, LIMIT);
		CHECK(get_ban_left(t, "192.0.2.1", i * 1000) == 0,
		    "no ban after failure %u", i + 1);
	}
	CHECK(auth_throttle_failure(t, a, WINDOW_MS - 1, LIMIT, WINDOW_MS,
	    BAN_MS), "failure %u, 1 ms inside the window, bans", LIMIT);
	CHECK(get_ban_left(t, "192.0.2.1", WINDOW_MS - 1) == BAN_MS,
	    "the ban lasts the ban time");
	CHECK(get_ban_left(t, "192.0.2.2", WINDOW_MS - 1) == 0,
	    "another address is not banned");
	auth_throttle_free(t);
}

static void
test_limit_spread_over_window_no_ban(void)
{
	struct auth_throttle *t = new_table();
	uint64_t now = 1000;

	/* The first failure is exactly one window before the other four, so it
	 * no longer counts when they arrive. */
	CHECK(record_failures(t, "192.0.2.1", 1, now) == 0, "first failure");
	CHECK(record_failures(t, "192.0.2.1", LIMIT - 1, now + WINDOW_MS) == 0,
	    "%u failures in the window and one a window earlier do not ban",
	    LIMIT - 1);
	CHECK(get_ban_left(t, "192.0.2.1", now + WINDOW_MS) == 0, "not banned");

	CHECK(record_failures(t, "192.0.2.1", 1, now + WINDOW_MS + 1) == 1,
	    "one more failure in the window bans");
	auth_throttle_free(t);
}

static void
test_ban_expires(void)
{
	struct auth_throttle *t = new_table();
	uint64_t start = 5000;

	CHECK(record_failures(t, "192.0.2.1", LIMIT, start) == 1,
	    "%u failures ban once", LIMIT);
	CHECK(get_ban_left(t, "192.0.2.1", start + 1000) == BAN_MS - 1000,
	    "the ban left shrinks by the time passed");
	CHECK(get_ban_left(t, "192.0.2.1", start + BAN_MS / 2) == BAN_MS / 2,
	    "half the ban is left halfway");
	CHECK(get_ban_left(t, "192.0.2.1", start + BAN_MS - 1) == 1,
	    "1 ms of ban left just before it ends");
	CHECK(get_ban_left(t, "192.0.2.1", start + BAN_MS) == 0,
	    "the ban ends after the ban time");
	CHECK(auth_throttle_count(t) == 0, "the expired ban is dropped");
	auth_throttle_free(t);
}

static void
test_failures_while_banned_ignored(void)
{
	struct auth_throttle *t = new_table();
	uint64_t start = 0;

	CHECK(record_failures(t, "192.0.2.1", LIMIT, start) == 1, "banned");
	CHECK(record_failures(t, "192.0.2.1", 3 * LIMIT, start + 60000) == 0,
	    "failures during the ban report no new ban");
	CHECK(get_ban_left(t, "192.0.2.1", start + 60000) == BAN_MS - 60000,
	    "failures during the ban do not extend it");
	auth_throttle_free(t);
}

/*
 * The ban is shorter than the window here, so the failures that led to the
 * ban would still be in the window when it ends.  An earlier, longer ban of
 * another address keeps the expired ban in the table until its next failure.
 */
static void
test_history_cleared_at_ban(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;
	const struct sockaddr *a = parse_address("192.0.2.1", &s);
	uint64_t ban_ms = WINDOW_MS / 10;
	uint64_t after = ban_ms + 1;
	unsigned bans = 0;

	CHECK(record_failures(t, "192.0.2.9", LIMIT, 0) == 1,
	    "192.0.2.9 banned for %llu ms", (unsigned long long)BAN_MS);
	for (unsigned i = 0; i < LIMIT; i++)
		bans += auth_throttle_failure(t, a, 0, LIMIT, WINDOW_MS,
		    ban_ms);
	CHECK(bans == 1, "banned");

	for (unsigned i = 0; i < LIMIT - 1; i++)
		bans += auth_throttle_failure(t, a, after, LIMIT, WINDOW_MS,
		    ban_ms);
	CHECK(bans == 1, "after the ban, %u failures do not ban again",
	    LIMIT - 1);
	CHECK(get_ban_left(t, "192.0.2.1", after) == 0, "not banned again yet");
	CHECK(auth_throttle_failure(t, a, after, LIMIT, WINDOW_MS, ban_ms),
	    "the %u-th failure after the ban bans again", LIMIT);
	CHECK(get_ban_left(t, "192.0.2.1", after) == ban_ms, "a full new ban");
	auth_throttle_free(t);
}

static void
test_limit_zero_never_bans(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;
	const struct sockaddr *a = parse_address("192.0.2.1", &s);
	unsigned bans = 0;

	for (unsigned i = 0; i < 1000; i++)
		bans += auth_throttle_failure(t, a, i, 0, WINDOW_MS, BAN_MS);
	CHECK(bans == 0, "limit 0: 1000 failures ban nothing");
	CHECK(get_ban_left(t, "192.0.2.1", 1000) == 0, "limit 0: not banned");
	CHECK(auth_throttle_count(t) == 0, "limit 0: nothing recorded");
	auth_throttle_free(t);
}

static void
test_limit_one_bans_first_failure(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;

	const struct sockaddr *a = parse_address("192.0.2.1", &s);

	CHECK(auth_throttle_failure(t, a, 0, 1, WINDOW_MS, BAN_MS),
	    "limit 1: the first failure bans");
	CHECK(get_ban_left(t, "192.0.2.1", 0) == BAN_MS, "limit 1: banned");
	auth_throttle_free(t);
}

/* A reload changes the limit between failures of one key. */
static void
test_limit_change_counts_history(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;
	const struct sockaddr *a = parse_address("192.0.2.1", &s);
	const struct sockaddr *b;
	struct sockaddr_storage s2;
	bool banned;

	auth_throttle_failure(t, a, 0, 3, WINDOW_MS, BAN_MS);
	auth_throttle_failure(t, a, 1, 3, WINDOW_MS, BAN_MS);
	banned = auth_throttle_failure(t, a, 2, 5, WINDOW_MS, BAN_MS);
	CHECK(!banned, "limit raised from 3 to 5: failure 3 does not ban");
	banned = auth_throttle_failure(t, a, 3, 5, WINDOW_MS, BAN_MS);
	CHECK(!banned, "limit raised from 3 to 5: failure 4 does not ban");
	banned = auth_throttle_failure(t, a, 4, 5, WINDOW_MS, BAN_MS);
	CHECK(banned, "limit raised from 3 to 5: failure 5 bans");

	b = parse_address("192.0.2.2", &s2);
	for (unsigned i = 0; i < 3; i++)
		auth_throttle_failure(t, b, i, 10, WINDOW_MS, BAN_MS);
	banned = auth_throttle_failure(t, b, 3, 2, WINDOW_MS, BAN_MS);
	CHECK(banned,
	    "limit lowered from 10 to 2 after 3 failures: the next one bans");
	auth_throttle_free(t);
}

/* A raised limit keeps the times of the failures recorded before it. */
static void
test_limit_raise_keeps_times(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;
	const struct sockaddr *a = parse_address("192.0.2.1", &s);
	bool banned;

	auth_throttle_failure(t, a, 0, 3, WINDOW_MS, BAN_MS);
	auth_throttle_failure(t, a, 1, 3, WINDOW_MS, BAN_MS);
	auth_throttle_failure(t, a, 2, 5, WINDOW_MS, BAN_MS);
	auth_throttle_failure(t, a, 3, 5, WINDOW_MS, BAN_MS);
	banned = auth_throttle_failure(t, a, WINDOW_MS + 1, 5, WINDOW_MS,
	    BAN_MS);
	CHECK(!banned, "failures at 0 and 1 ms left the window: no ban");
	auth_throttle_failure(t, a, WINDOW_MS + 1, 5, WINDOW_MS, BAN_MS);
	banned = auth_throttle_failure(t, a, WINDOW_MS + 1, 5, WINDOW_MS,
	    BAN_MS);
	CHECK(banned,
	    "failures at 2 and 3 ms and three more in the window ban");
	auth_throttle_free(t);
}

/*
 * A limit raised after the history's ring wrapped around: with limit 3 the
 * ring has two slots, and failure 3 takes the slot of failure 1, which left
 * the window.  After the raise, failure 2 is still the oldest.
 */
static void
test_limit_raise_after_wrap(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;
	const struct sockaddr *a = parse_address("192.0.2.1", &s);
	uint64_t later = WINDOW_MS + 10;	/* failure 2 left the window */
	bool banned;

	auth_throttle_failure(t, a, 0, 3, WINDOW_MS, BAN_MS);
	auth_throttle_failure(t, a, 10, 3, WINDOW_MS, BAN_MS);
	banned = auth_throttle_failure(t, a, WINDOW_MS, 3, WINDOW_MS, BAN_MS);
	CHECK(!banned, "limit 3: failure 1 left the window, no ban");
	banned = auth_throttle_failure(t, a, WINDOW_MS + 5, 5, WINDOW_MS,
	    BAN_MS);
	CHECK(!banned, "limit raised to 5: 3 failures in the window");

	banned = auth_throttle_failure(t, a, later, 5, WINDOW_MS, BAN_MS);
	CHECK(!banned, "failure 2 left the window: 3 failures in it");
	banned = auth_throttle_failure(t, a, later, 5, WINDOW_MS, BAN_MS);
	CHECK(!banned, "4 failures in the window");
	banned = auth_throttle_failure(t, a, later, 5, WINDOW_MS, BAN_MS);
	CHECK(banned, "5 failures in the window ban");
	auth_throttle_free(t);
}

/*
 * Failure times are 32-bit offsets from a base time.  With the longest
 * window, failure 3 is more than 2^32 ms after the base, and failures 4 and 5
 * ban only if failure 3 kept its true time.
 */
static void
test_long_window_offsets(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;
	const struct sockaddr *a = parse_address("192.0.2.1", &s);
	uint64_t window = AUTH_THROTTLE_WINDOW_MAX_MS;
	uint64_t f1 = 1ULL << 40;
	uint64_t f2 = f1 + window - 9;
	uint64_t f3 = f1 + window + 6;
	uint64_t f4 = f2 + window;	/* f2 left the window, f3 did not */
	bool banned;

	banned = auth_throttle_failure(t, a, f1, 3, window, BAN_MS);
	CHECK(!banned, "failure 1 of 3 does not ban");
	banned = auth_throttle_failure(t, a, f2, 3, window, BAN_MS);
	CHECK(!banned, "failure 2 of 3 does not ban");
	banned = auth_throttle_failure(t, a, f3, 3, window, BAN_MS);
	CHECK(!banned, "failure 3 does not ban: failure 1 left the window");
	banned = auth_throttle_failure(t, a, f4, 3, window, BAN_MS);
	CHECK(!banned, "failure 4 does not ban: failure 2 left the window");
	banned = auth_throttle_failure(t, a, f4, 3, window, BAN_MS);
	CHECK(banned, "failure 5 bans: failures 3, 4 and 5 are in the window");
	auth_throttle_free(t);
}

static void
test_failures_counted_in_window(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;
	const struct sockaddr *a = parse_address("192.0.2.1", &s);

	CHECK(auth_throttle_failures(t, a, 0, WINDOW_MS) == 0,
	    "no failures for an unknown address");
	record_failures(t, "192.0.2.1", 1, 1000);
	record_failures(t, "192.0.2.1", 1, 2000);
	CHECK(auth_throttle_failures(t, a, 2000, WINDOW_MS) == 2,
	    "two failures in the window");
	CHECK(auth_throttle_failures(t, a, 1000 + WINDOW_MS, WINDOW_MS) == 1,
	    "the first failure left the window");
	record_failures(t, "192.0.2.1", LIMIT - 2, 3000);
	CHECK(auth_throttle_failures(t, a, 3000, WINDOW_MS) == 0,
	    "a ban clears the count");
	auth_throttle_free(t);
}

int
main(void)
{
	test_failures_counted_in_window();
	test_limit_within_window_bans();
	test_limit_spread_over_window_no_ban();
	test_ban_expires();
	test_failures_while_banned_ignored();
	test_history_cleared_at_ban();
	test_limit_zero_never_bans();
	test_limit_one_bans_first_failure();
	test_limit_change_counts_history();
	test_limit_raise_keeps_times();
	test_limit_raise_after_wrap();
	test_long_window_offsets();
	return check_done();
}
