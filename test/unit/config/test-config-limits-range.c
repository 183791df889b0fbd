/*
 * The connection limits of [global] take whole numbers within their ranges
 * and nothing else, default to the values that README.md explains, and an
 * error names the line, the key and what is allowed.
 */
#include "test/unit/config/config_test.h"

struct range_case {
	const char *key;
	const char *value;
	bool accepted;
	unsigned expected;	/* when accepted */
};

static const struct range_case cases[] = {
	{ "max_sessions", "1", true, 1 },
	{ "max_sessions", "60000", true, 60000 },
	{ "max_sessions", "0", false, 0 },
	{ "max_sessions", "60001", false, 0 },
	{ "max_sessions_per_client", "0", true, 0 },
	{ "max_sessions_per_client", "20", true, 20 },
	{ "max_sessions_per_client", "60001", false, 0 },
	{ "connection_rate_per_client", "0", true, 0 },
	{ "connection_rate_per_client", "1000000", true, 1000000 },
	{ "connection_rate_per_client", "1000001", false, 0 },
	{ "connection_rate_per_client", "60/m", false, 0 },
	{ "max_handshakes_in_progress", "0", true, 0 },
	{ "max_handshakes_in_progress", "3", true, 3 },
	{ "max_handshakes_in_progress", "-1", false, 0 },
	{ "max_errors", "1", true, 1 },
	{ "max_errors", "1000", true, 1000 },
	{ "max_errors", "0", false, 0 },
	{ "max_errors", "1001", false, 0 },
	{ "max_errors", "4294967306", false, 0 },
	{ "max_errors", "1e3", false, 0 },
	{ "workers", "1", true, 1 },
	{ "workers", "64", true, 64 },
	{ "workers", "auto", true, CONFIG_WORKERS_AUTO },
	{ "workers", "0", false, 0 },
	{ "workers", "65", false, 0 },
	{ "workers", "Auto", false, 0 },
	{ "workers", "-1", false, 0 },
};

static unsigned
field_value(const struct config *cfg, const char *key)
{
	const struct config_global *g = &cfg->global;

	if (strcmp(key, "max_sessions") == 0)
		return g->max_sessions;
	if (strcmp(key, "max_sessions_per_client") == 0)
		return g->max_sessions_per_client;
	if (strcmp(key, "connection_rate_per_client") == 0)
		return g->connection_rate_per_client;
	if (strcmp(key, "max_handshakes_in_progress") == 0)
		return g->max_handshakes_in_progress;
	if (strcmp(key, "workers") == 0)
		return g->workers;
	return g->max_errors;
}

static void
check_case(const struct range_case *c)
{
	struct config cfg;
	unsigned count;
	char *config = NULL, *expected = NULL;
	char *path, *errors;

	if (asprintf(&config, "[global]\n%s = %s\n"
	    CONFIG_TEST_TLS CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	    c->key, c->value) < 0 ||
	    asprintf(&expected, ":2: invalid %s \"%s\" (allowed: ", c->key,
	    c->value) < 0)
		abort();
	path = config_test_write("subtls.ini", config);
	errors = config_test_load(&cfg, path, &count);

	if (c->accepted) {
		CHECK_TEXT(errors, "", "%s = %s: accepted", c->key, c->value);
		CHECK(field_value(&cfg, c->key) == c->expected,
		    "%s = %s: value %u (got %u)", c->key, c->value,
		    c->expected, field_value(&cfg, c->key));
	} else {
		CHECK(count == 1, "%s = \"%s\": rejected with 1 error (got %u)",
		    c->key, c->value, count);
		CHECK(strstr(errors, expected) != NULL,
		    "%s = \"%s\": the error names line 2, the key and the "
		    "allowed values (got: %s)", c->key, c->value, errors);
	}

	config_free(&cfg);
	free(errors);
	free(path);
	free(expected);
	free(config);
}

static void
check_defaults(void)
{
	struct config cfg;
	unsigned count;
	char *path, *errors;

	path = config_test_write("subtls.ini", "[global]\n"
	    CONFIG_TEST_TLS CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER);
	errors = config_test_load(&cfg, path, &count);
	CHECK_TEXT(errors, "", "a file without the limits loads");
	CHECK(cfg.global.max_sessions == 5000, "max_sessions default 5000");
	CHECK(cfg.global.max_sessions_per_client == 50,
	    "max_sessions_per_client default 50");
	CHECK(cfg.global.connection_rate_per_client == 120,
	    "connection_rate_per_client default 120");
	CHECK(cfg.global.max_handshakes_in_progress == 256,
	    "max_handshakes_in_progress default 256");
	CHECK(cfg.global.max_errors == 10, "max_errors default 10");
	CHECK(cfg.global.workers == 1, "workers default 1");
	config_free(&cfg);
	free(errors);
	free(path);
}

int
main(void)
{
	config_test_setup();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	check_defaults();

	config_test_teardown();
	return check_done();
}
