/*
 * discard_ehlo_keywords takes EHLO keywords separated by commas or blanks,
 * over continuation lines too, and stores each once in upper case.
 * STARTTLS, XCLIENT and XFORWARD are accepted but not stored, because
 * subtls removes them from every EHLO reply anyway.  Without the key, and
 * with an empty one, the list is empty and not NULL.
 */
#include "test/unit/config/config_test.h"

struct keywords_case {
	const char *name;
	const char *lines;		/* in [backend], after address */
	const char *const expected[8];	/* NULL-terminated */
};

static const struct keywords_case cases[] = {
	{ "absent", "", { NULL } },
	{ "empty value", "discard_ehlo_keywords =\n", { NULL } },
	{ "one keyword", "discard_ehlo_keywords = VRFY\n", { "VRFY", NULL } },
	{ "lower and mixed case",
	  "discard_ehlo_keywords = chunking, SmtpUtf8\n",
	  { "CHUNKING", "SMTPUTF8", NULL } },
	{ "commas, blanks and tabs",
	  "discard_ehlo_keywords = SIZE,DSN  ETRN\t8BITMIME ,, X-EXPS\n",
	  { "SIZE", "DSN", "ETRN", "8BITMIME", "X-EXPS", NULL } },
	{ "continuation lines",
	  "discard_ehlo_keywords =\n"
	  "    PIPELINING, CHUNKING\n"
	  "    ; a comment between the lines\n"
	  "    ENHANCEDSTATUSCODES\n",
	  { "PIPELINING", "CHUNKING", "ENHANCEDSTATUSCODES", NULL } },
	{ "always removed keywords not stored",
	  "discard_ehlo_keywords = STARTTLS, VRFY, xclient, XFORWARD, ETRN\n",
	  { "VRFY", "ETRN", NULL } },
	{ "only always removed keywords",
	  "discard_ehlo_keywords = starttls xforward\n", { NULL } },
	{ "keyword of 64 characters",
	  "discard_ehlo_keywords = "
	  "X-12345678901234567890123456789012345678901234567890123456789012\n",
	  { "X-12345678901234567890123456789012345678901234567890123456789012",
	    NULL } },
};

static void
check_case(const struct keywords_case *c)
{
	struct config cfg;
	unsigned count;
	char *config = NULL;
	char *path;
	char *errors;
	size_t expected_count = 0;
	size_t stored_count = 0;

	if (asprintf(&config, CONFIG_TEST_TLS
	    "[backend]\n"
	    "address = 127.0.0.1:10587\n"
	    "%s" CONFIG_TEST_LISTENER, c->lines) < 0)
		abort();
	path = config_test_write("subtls.ini", config);
	errors = config_test_load(&cfg, path, &count);

	CHECK_TEXT(errors, "", "%s: no errors", c->name);
	CHECK(cfg.backend.discard_ehlo_keywords != NULL, "%s: list not NULL",
	    c->name);
	while (c->expected[expected_count] != NULL)
		expected_count++;
	while (cfg.backend.discard_ehlo_keywords != NULL &&
	    cfg.backend.discard_ehlo_keywords[stored_count] != NULL)
		stored_count++;
	CHECK(stored_count == expected_count, "%s: %zu keywords (got %zu)",
	    c->name, expected_count, stored_count);
	for (size_t i = 0; i < expected_count && i < stored_count; i++)
		CHECK_TEXT(cfg.backend.discard_ehlo_keywords[i],
		    c->expected[i], "%s: keyword %zu", c->name, i);

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
