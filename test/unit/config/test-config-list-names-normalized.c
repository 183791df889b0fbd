/*
 * ciphers, ciphersuites and groups accept ':', ',' and blanks between names,
 * names in any case and the usual aliases, and are stored with canonical
 * names joined by ':', in the order given.
 */
#include "test/unit/config/config_test.h"

struct list_case {
	const char *name;
	const char *line;	/* in [tls] */
	const char *ciphers;
	const char *ciphersuites;
	const char *groups;
};

static const struct list_case cases[] = {
	{ "mixed separators",
	  "ciphers = ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384, "
	  "ECDHE-ECDSA-AES128-GCM-SHA256 \t ECDHE-ECDSA-AES256-GCM-SHA384",
	  "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
	  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
	  CONFIG_DEFAULT_CIPHERSUITES, CONFIG_DEFAULT_GROUPS },
	{ "cipher names in lower case",
	  "ciphers = ecdhe-ecdsa-chacha20-poly1305",
	  "ECDHE-ECDSA-CHACHA20-POLY1305",
	  CONFIG_DEFAULT_CIPHERSUITES, CONFIG_DEFAULT_GROUPS },
	{ "wolfSSL suite names",
	  "ciphersuites = TLS13-AES256-GCM-SHA384 TLS13-AES128-GCM-SHA256 "
	  "tls13-chacha20-poly1305-sha256",
	  CONFIG_DEFAULT_CIPHERS,
	  "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:"
	  "TLS_CHACHA20_POLY1305_SHA256",
	  CONFIG_DEFAULT_GROUPS },
	{ "curve aliases",
	  "groups = x25519, secp384r1, secp521r1, x448, prime256v1",
	  CONFIG_DEFAULT_CIPHERS, CONFIG_DEFAULT_CIPHERSUITES,
	  "X25519:P-384:P-521:X448:P-256" },
	{ "secp256r1",
	  "groups = secp256r1,",
	  CONFIG_DEFAULT_CIPHERS, CONFIG_DEFAULT_CIPHERSUITES, "P-256" },
};

static void
test_list(const struct list_case *c)
{
	struct config cfg;
	unsigned count;
	char *template = NULL;
	char *path;
	char *errors;

	if (asprintf(&template, CONFIG_TEST_TLS "%s\n" CONFIG_TEST_BACKEND
	    CONFIG_TEST_LISTENER, c->line) < 0)
		abort();
	path = config_test_write("subtls.ini", template);
	errors = config_test_load(&cfg, path, &count);

	CHECK_TEXT(errors, "", "%s: no errors", c->name);
	CHECK_TEXT(cfg.tls.policy.ciphers != NULL ? cfg.tls.policy.ciphers : "(null)",
	    c->ciphers, "%s: ciphers", c->name);
	CHECK_TEXT(cfg.tls.policy.ciphersuites != NULL ? cfg.tls.policy.ciphersuites :
	    "(null)", c->ciphersuites, "%s: ciphersuites", c->name);
	CHECK_TEXT(cfg.tls.policy.groups != NULL ? cfg.tls.policy.groups : "(null)",
	    c->groups, "%s: groups", c->name);

	config_free(&cfg);
	free(errors);
	free(path);
	free(template);
}

/* Every name of a default list is one that the config accepts. */
static void
test_defaults_use_known_names(const char *list,
    const char *const *names, const char *what)
{
	char *copy = strdup(list);
	char *cursor = copy;
	char *name;

	while ((name = strsep(&cursor, ":")) != NULL) {
		bool known = false;

		for (size_t i = 0; names[i] != NULL; i++)
			known = known || strcmp(names[i], name) == 0;
		CHECK(known, "default %s %s is in the accepted names", what,
		    name);
	}
	free(copy);
}

int
main(void)
{
	config_test_setup();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_list(&cases[i]);

	test_defaults_use_known_names(CONFIG_DEFAULT_CIPHERS,
	    config_tls12_cipher_names, "cipher");
	test_defaults_use_known_names(CONFIG_DEFAULT_CIPHERSUITES,
	    config_tls13_suite_names, "suite");
	test_defaults_use_known_names(CONFIG_DEFAULT_GROUPS,
	    config_group_names, "group");

	config_test_teardown();
	return check_done();
}
