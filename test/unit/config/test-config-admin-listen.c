/*
 * [admin] listen takes one numeric address and port that no listener
 * uses; without the section there is no admin listener, and a section
 * without listen is an error.  Errors name the
 * line and the allowed form.
 */
#include "test/unit/config/config_test.h"

#define BASE CONFIG_TEST_TLS CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER
#define ADMIN_ALLOWED "(allowed: one address, a.b.c.d:port or [IPv6]:port " \
	"(numeric, port 1 to 65535))"

struct error_case {
	const char *name;
	const char *config;
	const char *errors;
};

static const struct error_case error_cases[] = {
	{ "host name instead of an address",
	  BASE "[admin]\nlisten = localhost:9465\n",
	  "@FILE@:10: invalid admin listen address \"localhost:9465\": "
	  "not a numeric IPv4 address (host names are not looked up) "
	  ADMIN_ALLOWED "\n" },
	{ "two addresses",
	  BASE "[admin]\nlisten = 127.0.0.1:9465, 127.0.0.1:9466\n",
	  "@FILE@:10: invalid admin listen address \"127.0.0.1:9465, "
	  "127.0.0.1:9466\": more than one address " ADMIN_ALLOWED "\n" },
	{ "address of a listener",
	  BASE "[admin]\nlisten = 127.0.0.1:465\n",
	  "@FILE@:10: admin listen address 127.0.0.1:465 overlaps "
	  "127.0.0.1:465 of [listener smtps] at line 8 (allowed: an address "
	  "and port no listener uses)\n" },
	{ "wildcard on a listener's port",
	  "[admin]\nlisten = 0.0.0.0:465\n" BASE,
	  "@FILE@:2: admin listen address 0.0.0.0:465 overlaps "
	  "127.0.0.1:465 of [listener smtps] at line 10 (allowed: an address "
	  "and port no listener uses)\n" },
	{ "IPv4 on the port of a dual-stack listener",
	  BASE "[listener dual]\nmode = starttls\nlisten = [::]:587\n"
	  "[admin]\nlisten = 127.0.0.1:587\n",
	  "@FILE@:13: admin listen address 127.0.0.1:587 overlaps [::]:587 of "
	  "[listener dual] at line 11, because [::] is dual-stack and also "
	  "takes IPv4 on that port (allowed: an address and port no listener "
	  "uses)\n" },
	{ "IPv4 wildcard on the port of a dual-stack listener",
	  BASE "[listener dual]\nmode = starttls\nlisten = [::]:587\n"
	  "[admin]\nlisten = 0.0.0.0:587\n",
	  "@FILE@:13: admin listen address 0.0.0.0:587 overlaps [::]:587 of "
	  "[listener dual] at line 11, because [::] is dual-stack and also "
	  "takes IPv4 on that port (allowed: an address and port no listener "
	  "uses)\n" },
	{ "admin on [::] and a listener on IPv4",
	  BASE "[admin]\nlisten = [::]:465\n",
	  "@FILE@:10: admin listen address [::]:465 overlaps 127.0.0.1:465 of "
	  "[listener smtps] at line 8, because [::] is dual-stack and also "
	  "takes IPv4 on that port (allowed: an address and port no listener "
	  "uses)\n" },
	{ "section without listen",
	  BASE "[admin]\n",
	  "@FILE@:9: missing listen in [admin] (allowed: one address, "
	  "a.b.c.d:port or [IPv6]:port (numeric, port 1 to 65535))\n" },
	{ "unknown key",
	  BASE "[admin]\nport = 9465\n",
	  "@FILE@:10: unknown key \"port\" in [admin] (allowed: listen)\n"
	  "@FILE@:9: missing listen in [admin] (allowed: one address, "
	  "a.b.c.d:port or [IPv6]:port (numeric, port 1 to 65535))\n" },
	{ "section twice",
	  BASE "[admin]\nlisten = 127.0.0.1:9465\n[admin]\n",
	  "@FILE@:11: duplicate section [admin] (first at line 9; merge the "
	  "two)\n" },
};

static void
test_valid_address(void)
{
	struct config cfg;
	char *path = config_test_write("subtls.ini",
	    BASE "[admin]\nlisten = [::1]:9465\n");
	unsigned count;
	char *errors = config_test_load(&cfg, path, &count);
	char *printed = NULL;
	size_t printed_size = 0;
	FILE *out;

	CHECK(count == 0, "valid admin address loads (errors: %s)", errors);
	CHECK(cfg.admin.listen.text != NULL &&
	    strcmp(cfg.admin.listen.text, "[::1]:9465") == 0,
	    "admin listen text kept as written");
	CHECK(cfg.admin.listen.addr.ss_family == AF_INET6,
	    "admin listen is an IPv6 address");
	CHECK(cfg.admin.listen.at.line == 10, "admin listen line is 10 (got %u)",
	    cfg.admin.listen.at.line);

	out = open_memstream(&printed, &printed_size);
	config_print(&cfg, out);
	fclose(out);
	CHECK(strstr(printed, "\n[admin]\nlisten = [::1]:9465\n") != NULL,
	    "subtls -t prints the [admin] section");

	free(printed);
	config_free(&cfg);
	free(errors);
	free(path);
}

/* A listener's [::] is IPv6-only when a listener lists its port for IPv4
 * too, so an IPv4 admin address on that port does not clash with it. */
static void
test_ipv6_only_listener_port(void)
{
	struct config cfg;
	char *path = config_test_write("subtls.ini",
	    BASE "[listener both]\nmode = starttls\n"
	    "listen = 127.0.0.1:587, [::]:587\n"
	    "[admin]\nlisten = 127.0.0.2:587\n");
	unsigned count;
	char *errors = config_test_load(&cfg, path, &count);

	CHECK(count == 0, "admin beside an IPv6-only [::] loads (errors: %s)",
	    errors);

	config_free(&cfg);
	free(errors);
	free(path);
}

static void
test_absent_section(void)
{
	struct config cfg;
	char *path = config_test_write("subtls.ini", BASE);
	unsigned count;
	char *errors = config_test_load(&cfg, path, &count);
	char *printed = NULL;
	size_t printed_size = 0;
	FILE *out;

	CHECK(count == 0, "config without [admin] loads (errors: %s)", errors);
	CHECK(cfg.admin.listen.text == NULL, "no admin listener without [admin]");
	out = open_memstream(&printed, &printed_size);
	config_print(&cfg, out);
	fclose(out);
	CHECK(strstr(printed, "[admin]") == NULL,
	    "subtls -t prints no [admin] section");

	free(printed);
	config_free(&cfg);
	free(errors);
	free(path);
}

int
main(void)
{
	config_test_setup();
	test_valid_address();
	test_absent_section();
	test_ipv6_only_listener_port();
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]);
	    i++) {
		config_test_expect_errors(error_cases[i].name,
		    error_cases[i].config, error_cases[i].errors);
	}
	config_test_teardown();
	return check_done();
}
