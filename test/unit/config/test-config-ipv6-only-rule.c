/*
 * An IPv6 wildcard listen address ([::]:port) is IPv6-only exactly when the
 * config also lists that port for IPv4, in any listener.  Otherwise it is
 * dual-stack and takes IPv4 connections too.
 */
#include "test/unit/config/config_test.h"

struct rule_case {
	const char *name;
	const char *listeners;
	size_t listener;	/* where the address to check is */
	size_t address;
	bool ipv6_only;
};

static const struct rule_case cases[] = {
	{ "wildcard alone is dual-stack",
	  "[listener smtps]\nmode = implicit\nlisten = [::]:465\n",
	  0, 0, false },
	{ "wildcard beside IPv4 wildcard is IPv6-only",
	  "[listener smtps]\nmode = implicit\nlisten = 0.0.0.0:465 [::]:465\n",
	  0, 1, true },
	{ "wildcard before IPv4 wildcard is IPv6-only",
	  "[listener smtps]\nmode = implicit\nlisten = [::]:465, 0.0.0.0:465\n",
	  0, 0, true },
	{ "IPv4 address in another listener makes it IPv6-only",
	  "[listener v6]\nmode = implicit\nlisten = [::]:465\n"
	  "[listener v4]\nmode = implicit\nlisten = 192.0.2.1:465\n",
	  0, 0, true },
	{ "IPv4 on another port keeps dual-stack",
	  "[listener smtps]\nmode = implicit\nlisten = [::]:465\n"
	  "[listener submission]\nmode = starttls\nlisten = 0.0.0.0:587\n",
	  0, 0, false },
	{ "IPv6 address other than the wildcard is never IPv6-only",
	  "[listener smtps]\nmode = implicit\nlisten = 0.0.0.0:465 [::1]:465\n",
	  0, 1, false },
	{ "IPv4 address itself is never IPv6-only",
	  "[listener smtps]\nmode = implicit\nlisten = 0.0.0.0:465 [::]:465\n",
	  0, 0, false },
};

static void
test_rule(const struct rule_case *c)
{
	struct config cfg;
	unsigned count;
	char *template = NULL;
	char *path;
	char *errors;

	if (asprintf(&template, "%s%s%s", CONFIG_TEST_TLS, CONFIG_TEST_BACKEND,
	    c->listeners) < 0)
		abort();
	path = config_test_write("subtls.ini", template);
	errors = config_test_load(&cfg, path, &count);

	CHECK_TEXT(errors, "", "%s: no errors", c->name);
	if (c->listener < cfg.listener_count &&
	    c->address < cfg.listeners[c->listener].address_count) {
		const struct config_listen_address *address =
		    &cfg.listeners[c->listener].addresses[c->address];

		CHECK(address->ipv6_only == c->ipv6_only,
		    "%s: %s has ipv6_only %d", c->name, address->text,
		    c->ipv6_only);
	} else {
		CHECK(false, "%s: address %zu of listener %zu exists", c->name,
		    c->address, c->listener);
	}

	config_free(&cfg);
	free(errors);
	free(path);
	free(template);
}

int
main(void)
{
	config_test_setup();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_rule(&cases[i]);

	config_test_teardown();
	return check_done();
}
