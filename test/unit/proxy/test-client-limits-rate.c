/*
 * The connection rate per client key: a bucket of rate tokens that refills
 * at rate tokens a minute, one token per connection, counted per key.
 */
#include "test/unit/proxy/client_limits_test.h"

/* Admits and releases at once, as for short sessions; returns admitted. */
static unsigned
connect_many(struct client_limits *t, const char *text, unsigned count,
    uint64_t now_ms, unsigned rate)
{
	unsigned admitted = 0;

	for (unsigned i = 0; i < count; i++) {
		if (client_limits_admit(t, key_of(text), now_ms, 0, rate) !=
		    CLIENT_ADMITTED)
			continue;
		admitted++;
		client_limits_release(t, key_of(text));
	}
	return admitted;
}

static void
test_burst_then_refill(void)
{
	struct client_limits *t = new_limits();
	uint64_t start = 1000000;

	CHECK(connect_many(t, "192.0.2.1", 60, start, 60) == 60,
	    "a burst of 60 connections is admitted at rate 60");
	CHECK(client_limits_admit(t, key_of("192.0.2.1"), start, 0, 60) ==
	    CLIENT_RATE_EXCEEDED, "the 61st is refused");
	CHECK(connect_many(t, "192.0.2.1", 5, start + 999, 60) == 0,
	    "999 ms later no token is back");
	CHECK(connect_many(t, "192.0.2.1", 5, start + 1000, 60) == 1,
	    "1 s later one token is back");
	CHECK(connect_many(t, "192.0.2.1", 5, start + 3500, 60) == 2,
	    "2.5 s after that two more");
	CHECK(connect_many(t, "192.0.2.2", 60, start, 60) == 60,
	    "another address has its own bucket");
	CHECK(connect_many(t, "192.0.2.1", 100, start + 3500 + 60000, 60) ==
	    60, "after a minute the bucket is full again, not fuller");
	client_limits_free(t);
}

static void
test_refused_session_takes_token(void)
{
	struct client_limits *t = new_limits();

	CHECK(client_limits_admit(t, key_of("192.0.2.5"), 0, 1, 3) ==
	    CLIENT_ADMITTED, "the first session is admitted");
	CHECK(client_limits_admit(t, key_of("192.0.2.5"), 0, 1, 3) ==
	    CLIENT_TOO_MANY_SESSIONS, "the second is over max_sessions");
	CHECK(client_limits_admit(t, key_of("192.0.2.5"), 0, 1, 3) ==
	    CLIENT_TOO_MANY_SESSIONS, "the third too");
	CHECK(client_limits_admit(t, key_of("192.0.2.5"), 0, 1, 3) ==
	    CLIENT_RATE_EXCEEDED,
	    "the fourth finds no token: refused connections took them");
	client_limits_free(t);
}

static void
test_rate_lowered_by_reload(void)
{
	struct client_limits *t = new_limits();

	CHECK(connect_many(t, "192.0.2.9", 10, 0, 100) == 10,
	    "10 connections at rate 100");
	CHECK(connect_many(t, "192.0.2.9", 10, 0, 5) == 5,
	    "after the rate drops to 5, the bucket holds 5");
	CHECK(connect_many(t, "192.0.2.9", 1000, 0, 0) == 1000,
	    "rate 0 admits everything");
	client_limits_free(t);
}

/* More keys than the table holds: idle keys are evicted, keys with open
 * sessions are kept, and a table whose entries all have sessions refuses
 * a new key. */
static void
test_table_full(void)
{
	struct client_limits *t = new_limits();
	struct client_key held = key_of("10.255.255.255");
	unsigned admitted = 0;

	client_limits_admit(t, held, 0, 5, 60);
	for (uint32_t i = 0; i < CLIENT_LIMITS_ENTRIES + 100; i++) {
		struct client_key k = { .value = 0x0a000000u + i, .family = 4 };

		if (client_limits_admit(t, k, 0, 5, 60) == CLIENT_ADMITTED) {
			admitted++;
			client_limits_release(t, k);
		}
	}
	CHECK(admitted == CLIENT_LIMITS_ENTRIES + 100,
	    "every new key is admitted while idle keys can be evicted");
	CHECK(client_limits_count(t) <= CLIENT_LIMITS_ENTRIES,
	    "the table stays within its entries (%zu)",
	    client_limits_count(t));
	CHECK(client_limits_sessions(t, held) == 1,
	    "a key with an open session is never evicted");

	for (uint32_t i = 0; i < CLIENT_LIMITS_ENTRIES; i++) {
		struct client_key k = { .value = 0x0b000000u + i, .family = 4 };

		client_limits_admit(t, k, 0, 5, 0);
	}
	CHECK(client_limits_admit(t, key_of("192.0.2.200"), 0, 5, 0) ==
	    CLIENT_TABLE_FULL,
	    "when every entry has sessions, a new key is refused");
	client_limits_free(t);
}

int
main(void)
{
	test_burst_then_refill();
	test_refused_session_takes_token();
	test_rate_lowered_by_reload();
	test_table_full();
	return check_done();
}
