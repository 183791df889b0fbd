/*
 * [backend] address may repeat: each line adds one address, kept in the
 * order written, because sessions try them in that order.  The same address
 * twice is an error at the second line.
 */
#include "test/unit/config/config_test.h"

static void
test_addresses_kept_in_order(void)
{
	struct config cfg;
	unsigned count;
	char *path = config_test_write("subtls.ini", CONFIG_TEST_TLS
	    "[backend]\n"
	    "address = 127.0.0.1:10587\n"
	    "address = unix:/run/backend.sock\n"
	    "address = [::1]:10587\n"
	    "retry_interval = 5s\n"
	    CONFIG_TEST_LISTENER);
	char *errors = config_test_load(&cfg, path, &count);

	CHECK_TEXT(errors, "", "three addresses accepted");
	CHECK(cfg.backend.address_count == 3, "three addresses (got %zu)",
	    cfg.backend.address_count);
	if (cfg.backend.address_count == 3) {
		CHECK_TEXT(cfg.backend.addresses[0].text, "127.0.0.1:10587",
		    "first address");
		CHECK(!cfg.backend.addresses[0].is_unix, "first is TCP");
		CHECK_TEXT(cfg.backend.addresses[1].unix_path,
		    "/run/backend.sock", "second is the unix socket");
		CHECK(cfg.backend.addresses[2].tcp.ss_family == AF_INET6,
		    "third is IPv6");
	}
	CHECK(cfg.backend.retry_interval_ms == 5000, "retry_interval 5 s");

	config_free(&cfg);
	free(errors);
	free(path);
}

static void
test_duplicate_address_rejected(void)
{
	struct config cfg;
	unsigned count;
	char *path = config_test_write("subtls.ini", CONFIG_TEST_TLS
	    "[backend]\n"
	    "address = 127.0.0.1:10587\n"
	    "address = 127.0.0.1:10587\n"
	    CONFIG_TEST_LISTENER);
	char *errors = config_test_load(&cfg, path, &count);

	CHECK(count == 1, "one error (got %u)", count);
	CHECK(strstr(errors, ":6: duplicate backend address") != NULL,
	    "the error names line 6: %s", errors);

	config_free(&cfg);
	free(errors);
	free(path);
}

int
main(void)
{
	config_test_setup();

	test_addresses_kept_in_order();
	test_duplicate_address_rejected();

	config_test_teardown();
	return check_done();
}
