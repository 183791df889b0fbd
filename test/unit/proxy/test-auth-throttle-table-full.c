/*
 * A full throttle table: new keys replace the entry with the oldest failure,
 * banned entries last, and the number of entries never passes
 * AUTH_THROTTLE_ENTRIES.
 */
#include <stdint.h>
#include <stdio.h>

#include "test/unit/proxy/auth_throttle_test.h"

/* The n-th address of 10.0.0.0/8, as text. */
static const char *
format_address_number(unsigned n)
{
	static char text[16];

	snprintf(text, sizeof(text), "10.%u.%u.%u", (n >> 16) & 0xff,
	    (n >> 8) & 0xff, n & 0xff);
	return text;
}

/* Records one failure for each of count addresses from first, at now_ms
 * plus the address's number, so that earlier addresses are older.  Returns
 * the largest entry count seen. */
static size_t
record_address_failures(struct auth_throttle *t, unsigned first,
    unsigned count, uint64_t now_ms)
{
	size_t max = 0;

	for (unsigned n = first; n < first + count; n++) {
		record_failures(t, format_address_number(n), 1, now_ms + n);
		if (auth_throttle_count(t) > max)
			max = auth_throttle_count(t);
	}
	return max;
}

static void
test_full_table_stays_bounded(void)
{
	struct auth_throttle *t = new_table();
	size_t max;

	max = record_address_failures(t, 0, 4 * AUTH_THROTTLE_ENTRIES, 0);
	CHECK(max == AUTH_THROTTLE_ENTRIES,
	    "%u addresses: at most %u entries (saw %zu)",
	    4 * AUTH_THROTTLE_ENTRIES, AUTH_THROTTLE_ENTRIES, max);
	CHECK(auth_throttle_count(t) == AUTH_THROTTLE_ENTRIES,
	    "the table stays full");
	auth_throttle_free(t);
}

static void
test_full_table_evicts_oldest_failure(void)
{
	struct auth_throttle *t = new_table();
	uint64_t end = 2 * AUTH_THROTTLE_ENTRIES;

	CHECK(record_failures(t, "192.0.2.1", LIMIT - 1, 0) == 0,
	    "%u failures of 192.0.2.1 first", LIMIT - 1);
	record_address_failures(t, 1, AUTH_THROTTLE_ENTRIES, 0);
	CHECK(record_failures(t, "192.0.2.1", 1, end) == 0,
	    "the oldest entry was replaced: its next failure is its first");

	CHECK(record_failures(t, "192.0.2.2", LIMIT - 1, end) == 0,
	    "%u failures of a new address in the full table", LIMIT - 1);
	CHECK(record_failures(t, "192.0.2.2", 1, end) == 1,
	    "the full table still bans at the limit");
	auth_throttle_free(t);
}

static void
test_full_table_keeps_bans(void)
{
	struct auth_throttle *t = new_table();
	uint64_t end = 4 * AUTH_THROTTLE_ENTRIES;

	CHECK(record_failures(t, "192.0.2.1", LIMIT, 0) == 1,
	    "192.0.2.1 banned");
	record_address_failures(t, 1, 2 * AUTH_THROTTLE_ENTRIES, 1);
	CHECK(auth_throttle_count(t) == AUTH_THROTTLE_ENTRIES, "table full");
	CHECK(get_ban_left(t, "192.0.2.1", end) == BAN_MS - end,
	    "unbanned addresses do not evict a ban");
	auth_throttle_free(t);
}

/* With every entry banned, a new ban replaces the one that began first. */
static void
test_all_banned_evicts_oldest_ban(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;
	const struct sockaddr *a;
	uint64_t end = AUTH_THROTTLE_ENTRIES + 1;
	bool banned;

	for (unsigned n = 0; n < AUTH_THROTTLE_ENTRIES; n++) {
		a = parse_address(format_address_number(n), &s);
		auth_throttle_failure(t, a, n, 1, WINDOW_MS, BAN_MS);
	}
	CHECK(auth_throttle_count(t) == AUTH_THROTTLE_ENTRIES,
	    "%u bans fill the table", AUTH_THROTTLE_ENTRIES);

	a = parse_address("192.0.2.1", &s);
	banned = auth_throttle_failure(t, a, end, 1, WINDOW_MS, BAN_MS);
	CHECK(banned, "a new address is banned in a table full of bans");
	CHECK(get_ban_left(t, "192.0.2.1", end) == BAN_MS,
	    "its ban is in the table");
	CHECK(get_ban_left(t, format_address_number(0), end) == 0,
	    "the ban that began first was replaced");
	CHECK(get_ban_left(t, format_address_number(1), end) > 0,
	    "the second ban is still there");
	CHECK(auth_throttle_count(t) == AUTH_THROTTLE_ENTRIES,
	    "the table did not grow");
	auth_throttle_free(t);
}

/* An expired ban goes before the oldest unbanned entry. */
static void
test_full_table_drops_expired_ban_first(void)
{
	struct auth_throttle *t = new_table();
	struct sockaddr_storage s;
	const struct sockaddr *a = parse_address("192.0.2.1", &s);
	uint64_t short_ban_ms = 2 * AUTH_THROTTLE_ENTRIES; /* after the fill */
	uint64_t later = short_ban_ms;

	auth_throttle_failure(t, a, 0, 1, WINDOW_MS, short_ban_ms);
	record_address_failures(t, 1, AUTH_THROTTLE_ENTRIES - 1, 0);
	CHECK(auth_throttle_count(t) == AUTH_THROTTLE_ENTRIES,
	    "one short ban and %u other addresses fill the table",
	    AUTH_THROTTLE_ENTRIES - 1);

	record_failures(t, "192.0.2.2", 1, later);
	CHECK(record_failures(t, format_address_number(1), LIMIT - 1, later)
	    == 1, "the oldest unbanned address kept its failure");
	CHECK(auth_throttle_count(t) == AUTH_THROTTLE_ENTRIES, "table full");
	auth_throttle_free(t);
}

/* Entries whose failures left the window go, one a call, as new ones come. */
static void
test_stale_entries_dropped(void)
{
	struct auth_throttle *t = new_table();
	uint64_t later = 100 + WINDOW_MS;

	record_address_failures(t, 0, 100, 0);
	CHECK(auth_throttle_count(t) == 100, "100 entries");
	record_address_failures(t, 1000, 100, later);
	CHECK(auth_throttle_count(t) == 100,
	    "100 new entries a window later replace the 100 stale ones");
	auth_throttle_free(t);
}

int
main(void)
{
	test_full_table_stays_bounded();
	test_full_table_evicts_oldest_failure();
	test_full_table_keeps_bans();
	test_all_banned_evicts_oldest_ban();
	test_full_table_drops_expired_ban_first();
	test_stale_entries_dropped();
	return check_done();
}
