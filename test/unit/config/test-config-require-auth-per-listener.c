/*
 * require_auth is a setting of each listener: yes unless that listener's
 * section sets no, whatever the other listeners set.
 */
#include "test/unit/config/config_test.h"

int
main(void)
{
	struct config cfg;
	unsigned count;
	char *path;
	char *errors;

	config_test_setup();

	path = config_test_write("subtls.ini",
	    CONFIG_TEST_TLS CONFIG_TEST_BACKEND
	    "[listener smtps]\n"
	    "mode = implicit\n"
	    "listen = 127.0.0.1:465\n"
	    "[listener by-certificate]\n"
	    "mode = implicit\n"
	    "listen = 127.0.0.1:1465\n"
	    "require_auth = no\n"
	    "[listener submission]\n"
	    "mode = starttls\n"
	    "listen = 127.0.0.1:587\n"
	    "require_auth = yes\n");
	errors = config_test_load(&cfg, path, &count);

	CHECK_TEXT(errors, "", "three listeners load");
	CHECK(cfg.listener_count == 3, "three listeners (got %zu)",
	    cfg.listener_count);
	if (cfg.listener_count == 3) {
		CHECK(cfg.listeners[0].require_auth,
		    "smtps: yes when not set");
		CHECK(!cfg.listeners[1].require_auth,
		    "by-certificate: no as set");
		CHECK(cfg.listeners[2].require_auth,
		    "submission: yes as set, after a listener with no");
	}

	config_free(&cfg);
	free(errors);
	free(path);

	config_test_teardown();
	return check_done();
}
