/*
 * A config without a required section or key is rejected: the error names
 * the section's header line, or no line when the section itself is absent.
 */
#include "test/unit/config/config_test.h"

struct error_case {
	const char *name;
	const char *config;
	const char *errors;
};

static const struct error_case cases[] = {
	{ "no listener",
	  CONFIG_TEST_TLS CONFIG_TEST_BACKEND,
	  "@FILE@: no listener (allowed: one or more [listener NAME] sections "
	  "with mode and listen)\n" },
	{ "listener without mode",
	  CONFIG_TEST_TLS CONFIG_TEST_BACKEND
	  "[listener submission]\n"
	  "listen = 0.0.0.0:587\n",
	  "@FILE@:6: missing mode in [listener submission] (allowed: "
	  "implicit, starttls)\n" },
	{ "listener without listen",
	  CONFIG_TEST_TLS CONFIG_TEST_BACKEND
	  "[listener submission]\n"
	  "mode = starttls\n",
	  "@FILE@:6: missing listen in [listener submission] (allowed: "
	  "a.b.c.d:port or [IPv6]:port (numeric, port 1 to 65535), separated "
	  "by commas or blanks)\n" },
	{ "no tls section",
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@: missing section [tls] (allowed: a [tls] section with "
	  "certificate and key)\n" },
	{ "tls without certificate and key",
	  "[tls]\n"
	  "min_version = TLS1.3\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:1: missing certificate in [tls] (allowed: the path of a "
	  "readable PEM file)\n" },
	{ "no backend section",
	  CONFIG_TEST_TLS CONFIG_TEST_LISTENER,
	  "@FILE@: missing section [backend] (allowed: a [backend] section "
	  "with address)\n" },
	{ "backend without address",
	  CONFIG_TEST_TLS
	  "[backend]\n"
	  "identity = none\n"
	  CONFIG_TEST_LISTENER,
	  "@FILE@:4: missing address in [backend] (allowed: "
	  "unix:/absolute/path, a.b.c.d:port or [IPv6]:port (numeric, port 1 "
	  "to 65535))\n" },
	{ "empty file",
	  "",
	  "@FILE@: missing section [tls] (allowed: a [tls] section with "
	  "certificate and key)\n"
	  "@FILE@: missing section [backend] (allowed: a [backend] section "
	  "with address)\n"
	  "@FILE@: no listener (allowed: one or more [listener NAME] sections "
	  "with mode and listen)\n" },
};

int
main(void)
{
	config_test_setup();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		config_test_expect_errors(cases[i].name, cases[i].config,
		    cases[i].errors);

	config_test_teardown();
	return check_done();
}
