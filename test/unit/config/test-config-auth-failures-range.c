/*
 * auth_failures takes a whole number from 0 to 100, where 0 turns the
 * throttling off, and nothing else: no sign, no unit, no blank inside.
 */
#include "test/unit/config/config_test.h"

struct range_case {
	const char *value;
	bool accepted;
	unsigned expected;	/* when accepted */
};

static const struct range_case cases[] = {
	{ "0", true, 0 },
	{ "1", true, 1 },
	{ "5", true, 5 },
	{ "100", true, 100 },
	{ "007", true, 7 },
	{ "101", false, 0 },
	{ "1000", false, 0 },
	{ "4294967301", false, 0 },
	{ "-1", false, 0 },
	{ "+5", false, 0 },
	{ "5x", false, 0 },
	{ "5 5", false, 0 },
	{ "0x10", false, 0 },
	{ "five", false, 0 },
};

static void
check_case(const struct range_case *c)
{
	struct config cfg;
	unsigned count;
	char *config = NULL;
	char *path;
	char *errors;

	if (asprintf(&config, "[global]\nauth_failures = %s\n"
	    CONFIG_TEST_TLS CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	    c->value) < 0)
		abort();
	path = config_test_write("subtls.ini", config);
	errors = config_test_load(&cfg, path, &count);

	if (c->accepted) {
		CHECK_TEXT(errors, "", "\"%s\": accepted", c->value);
		CHECK(cfg.global.auth_failures == c->expected,
		    "\"%s\": auth_failures %u (got %u)", c->value, c->expected,
		    cfg.global.auth_failures);
	} else {
		CHECK(count == 1, "\"%s\": rejected with 1 error (got %u)",
		    c->value, count);
		CHECK(strstr(errors, ":2: invalid auth_failures") != NULL,
		    "\"%s\": error at line 2 names auth_failures", c->value);
	}

	config_free(&cfg);
	free(errors);
	free(path);
	free(config);
}

int
main(void)
{
	config_test_setup();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);

	config_test_teardown();
	return check_done();
}
