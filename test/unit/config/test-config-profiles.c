/*
 * profile sets the starting point of the [tls] policy, explicit keys
 * override it, a listener's tls_profile replaces it for that listener, and
 * what only profile legacy allows is an error under the other profiles.
 */
#include "test/unit/config/config_test.h"

#define TLS_WITH(lines) \
	"[tls]\ncertificate = @DIR@/cert.pem\nkey = @DIR@/key.pem\n" lines
#define REST CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER

#define LEGACY_CIPHERS CONFIG_DEFAULT_CIPHERS ":" \
	"ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:" \
	"ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:" \
	"ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:" \
	"ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA"

struct profile_case {
	const char *name;
	const char *tls_lines;
	const char *profile;
	const char *min_version;
	const char *max_version;
	const char *ciphers;
	const char *groups;
};

static const struct profile_case profile_cases[] = {
	{ "default", "", "intermediate", "TLS1.2", "TLS1.3",
	  CONFIG_DEFAULT_CIPHERS, CONFIG_DEFAULT_GROUPS },
	{ "modern", "profile = modern\n", "modern", "TLS1.3", "TLS1.3", "",
	  CONFIG_DEFAULT_GROUPS },
	{ "intermediate", "profile = intermediate\n", "intermediate",
	  "TLS1.2", "TLS1.3", CONFIG_DEFAULT_CIPHERS, CONFIG_DEFAULT_GROUPS },
	{ "legacy", "profile = legacy\n", "legacy", "TLS1.0", "TLS1.3",
	  LEGACY_CIPHERS, CONFIG_DEFAULT_GROUPS },
	{ "legacy with a TLS 1.1 floor",
	  "profile = legacy\nmin_version = TLS1.1\n", "legacy", "TLS1.1",
	  "TLS1.3", LEGACY_CIPHERS, CONFIG_DEFAULT_GROUPS },
	{ "intermediate capped at TLS 1.2",
	  "max_version = TLS1.2\ngroups = P-256\n", "intermediate", "TLS1.2",
	  "TLS1.2", CONFIG_DEFAULT_CIPHERS, "P-256" },
	{ "modern opened down to TLS 1.2",
	  "profile = modern\nmin_version = TLS1.2\n"
	  "ciphers = ECDHE-RSA-AES256-GCM-SHA384\n", "modern", "TLS1.2",
	  "TLS1.3", "ECDHE-RSA-AES256-GCM-SHA384", CONFIG_DEFAULT_GROUPS },
};

static void
test_profile_contents(const struct profile_case *c)
{
	char *template = NULL;
	char *path;
	struct config cfg;
	unsigned count;
	char *errors;

	if (asprintf(&template, TLS_WITH("%s") REST, c->tls_lines) < 0)
		abort();
	path = config_test_write("subtls.ini", template);
	errors = config_test_load(&cfg, path, &count);
	CHECK_TEXT(errors, "", "%s: no errors", c->name);

	const struct config_policy *policy = &cfg.tls.policy;
	CHECK_TEXT(config_profile_name(policy->profile), c->profile,
	    "%s: profile", c->name);
	CHECK_TEXT(config_tls_version_name(policy->min_version),
	    c->min_version, "%s: min_version", c->name);
	CHECK_TEXT(config_tls_version_name(policy->max_version),
	    c->max_version, "%s: max_version", c->name);
	CHECK_TEXT(policy->ciphers, c->ciphers, "%s: ciphers", c->name);
	CHECK_TEXT(policy->ciphersuites, CONFIG_DEFAULT_CIPHERSUITES,
	    "%s: ciphersuites", c->name);
	CHECK_TEXT(policy->groups, c->groups, "%s: groups", c->name);
	CHECK_TEXT(policy->alpn, "smtp", "%s: alpn", c->name);
	CHECK(policy->prefer_server_ciphers == 1,
	    "%s: the server's suite order", c->name);
	CHECK(config_policy_equal(&cfg.listeners[0].policy, policy),
	    "%s: the listener inherits the [tls] policy", c->name);

	config_free(&cfg);
	free(errors);
	free(path);
	free(template);
}

static void
test_listener_profile(void)
{
	char *path = config_test_write("subtls.ini",
	    TLS_WITH("groups = P-256\nalpn = smtp, esmtp\n"
	    "prefer_server_ciphers = no\n")
	    CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER
	    "[listener printers]\n"
	    "mode = starttls\n"
	    "listen = 127.0.0.1:2587\n"
	    "tls_profile = legacy\n");
	struct config cfg;
	unsigned count;
	char *errors = config_test_load(&cfg, path, &count);
	const struct config_policy *legacy = &cfg.listeners[1].policy;

	CHECK_TEXT(errors, "", "listener profile: no errors");
	CHECK_TEXT(config_profile_name(cfg.listeners[0].policy.profile),
	    "intermediate", "listener profile: smtps keeps [tls]");
	CHECK_TEXT(cfg.listeners[0].policy.groups, "P-256",
	    "listener profile: smtps keeps the [tls] groups");
	CHECK_TEXT(config_profile_name(legacy->profile), "legacy",
	    "listener profile: printers is legacy");
	CHECK_TEXT(config_tls_version_name(legacy->min_version), "TLS1.0",
	    "listener profile: printers from TLS1.0");
	CHECK_TEXT(legacy->ciphers, LEGACY_CIPHERS,
	    "listener profile: printers has the legacy ciphers");
	CHECK_TEXT(legacy->groups, CONFIG_DEFAULT_GROUPS,
	    "listener profile: printers has the profile's groups");
	CHECK_TEXT(legacy->alpn, "smtp:esmtp",
	    "listener profile: printers keeps the [tls] alpn");
	CHECK(legacy->prefer_server_ciphers == 0,
	    "listener profile: printers keeps prefer_server_ciphers");
	CHECK(legacy->profile_at.line == 15,
	    "listener profile: positions point at tls_profile (line %u)",
	    legacy->profile_at.line);
	CHECK(!config_policy_equal(&cfg.listeners[0].policy, legacy),
	    "listener profile: the two policies differ");

	config_free(&cfg);
	free(errors);
	free(path);
}

static void
test_errors(void)
{
	config_test_expect_errors("TLS 1.0 without profile legacy",
	    TLS_WITH("min_version = TLS1.0\n") REST,
	    "@FILE@:4: min_version TLS1.0 needs profile = legacy (allowed: "
	    "TLS1.2, TLS1.3; or set profile = legacy)\n");
	config_test_expect_errors("CBC cipher without profile legacy",
	    TLS_WITH("profile = intermediate\n"
	    "ciphers = ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA\n")
	    REST,
	    "@FILE@:5: cipher \"ECDHE-RSA-AES128-SHA\" needs profile = legacy "
	    "(allowed: the AEAD ciphers, or set profile = legacy)\n");
	config_test_expect_errors("CBC cipher with profile legacy",
	    TLS_WITH("profile = legacy\nciphers = ECDHE-RSA-AES128-SHA\n")
	    REST, "");
	config_test_expect_errors("max_version below min_version",
	    TLS_WITH("min_version = TLS1.3\nmax_version = TLS1.2\n") REST,
	    "@FILE@:5: max_version TLS1.2 is below min_version TLS1.3 "
	    "(allowed: max_version at least min_version)\n");
	config_test_expect_errors("unknown profile",
	    TLS_WITH("profile = old\n") REST,
	    "@FILE@:4: invalid profile \"old\" (allowed: modern, "
	    "intermediate, legacy)\n");
	config_test_expect_errors("unknown listener profile",
	    TLS_WITH("") REST "tls_profile = weak\n",
	    "@FILE@:9: invalid tls_profile \"weak\" (allowed: modern, "
	    "intermediate, legacy)\n");
	config_test_expect_errors("prefer_server_ciphers takes yes or no",
	    TLS_WITH("prefer_server_ciphers = true\n") REST,
	    "@FILE@:4: invalid prefer_server_ciphers \"true\" (allowed: yes, "
	    "no)\n");
	config_test_expect_errors("empty alpn list",
	    TLS_WITH("alpn = ,\n") REST,
	    "@FILE@:4: empty alpn list (allowed: one or more of ALPN "
	    "protocol ids of 1 to 255 printable characters, such as smtp)\n");
}

int
main(void)
{
	config_test_setup();
	for (size_t i = 0; i < sizeof(profile_cases) / sizeof(profile_cases[0]);
	    i++)
		test_profile_contents(&profile_cases[i]);
	test_listener_profile();
	test_errors();
	config_test_teardown();
	return check_done();
}
