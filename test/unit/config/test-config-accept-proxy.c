/*
 * accept_proxy and trusted_proxies of a listener: the values loaded, the
 * networks parsed, the errors when one is set without the other or a
 * network is invalid, and the warning for a /0 network.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "test/unit/config/config_test.h"

#define LISTENER_HEAD "[listener lb]\nmode = implicit\nlisten = 127.0.0.1:465\n"
#define WARNING_EVERY_IPV4 "@FILE@:11: warning: trusted_proxies entry " \
	"\"0.0.0.0/0\" matches every IPv4 address, so any client can send a " \
	"PROXY header with any client address and so evade limits and bans " \
	"(list only the addresses of the load balancers)\n"

static void
check_valid(void)
{
	struct config cfg;
	unsigned count;
	char *path = config_test_write("valid.ini",
	    CONFIG_TEST_TLS CONFIG_TEST_BACKEND LISTENER_HEAD
	    "accept_proxy = v2\n"
	    "trusted_proxies = 10.0.0.0/8, 192.0.2.1\n"
	    "  2001:db8::/32 ::ffff:198.51.100.0/120 0.0.0.0/0\n"
	    "[listener plain]\nmode = starttls\nlisten = 127.0.0.1:587\n");
	char *errors = config_test_load(&cfg, path, &count);
	char *want = config_test_expand(WARNING_EVERY_IPV4, path);
	const struct config_network *n;

	CHECK_TEXT(errors, want, "a listener with accept_proxy loads, with a "
	    "warning for 0.0.0.0/0");
	CHECK(count == 0, "the warning is not an error (got %u errors)",
	    count);
	if (cfg.listener_count != 2) {
		CHECK(false, "two listeners (got %zu)", cfg.listener_count);
		goto out;
	}
	CHECK(cfg.listeners[0].accept_proxy == CONFIG_ACCEPT_PROXY_V2,
	    "accept_proxy = v2 is loaded");
	CHECK(cfg.listeners[1].accept_proxy == CONFIG_ACCEPT_PROXY_NO,
	    "accept_proxy defaults to no");
	CHECK(cfg.listeners[0].trusted_proxy_count == 5,
	    "five networks from two lines (got %zu)",
	    cfg.listeners[0].trusted_proxy_count);
	if (cfg.listeners[0].trusted_proxy_count != 5)
		goto out;
	n = cfg.listeners[0].trusted_proxies;

	CHECK(n[0].family == AF_INET, "10.0.0.0/8 is IPv4");
	CHECK(n[0].prefix_len == 8, "10.0.0.0/8 has prefix length 8");
	CHECK(n[0].address[0] == 10, "10.0.0.0/8 starts with 10");
	CHECK(n[1].prefix_len == 32, "a single IPv4 address is a /32");
	CHECK(n[2].family == AF_INET6, "2001:db8::/32 is IPv6");
	CHECK(n[2].prefix_len == 32, "2001:db8::/32 has prefix length 32");
	CHECK(n[3].family == AF_INET, "an IPv4-mapped network is stored "
	    "as IPv4");
	CHECK(n[3].prefix_len == 24, "::ffff:198.51.100.0/120 becomes a /24 "
	    "(got %u)", n[3].prefix_len);
	CHECK(n[3].address[0] == 198, "the mapped network keeps its IPv4 "
	    "address (first byte)");
	CHECK(n[3].address[2] == 100, "the mapped network keeps its IPv4 "
	    "address (third byte)");
	CHECK(n[4].prefix_len == 0, "0.0.0.0/0 has prefix length 0");
	CHECK(strcmp(n[0].text, "10.0.0.0/8") == 0, "the text is kept as "
	    "written");
out:
	config_free(&cfg);
	free(want);
	free(errors);
	free(path);
}

static void
check_ipv6_wildcard_warning(void)
{
	struct config cfg;
	unsigned count;
	char *path = config_test_write("every-ipv6.ini",
	    CONFIG_TEST_TLS CONFIG_TEST_BACKEND LISTENER_HEAD
	    "accept_proxy = v2\n"
	    "trusted_proxies = ::/0\n");
	char *errors = config_test_load(&cfg, path, &count);
	char *want = config_test_expand("@FILE@:10: warning: trusted_proxies "
	    "entry \"::/0\" matches every IPv6 address, so any client can "
	    "send a PROXY header with any client address and so evade limits "
	    "and bans (list only the addresses of the load balancers)\n",
	    path);

	CHECK_TEXT(errors, want, "::/0 gets a warning");
	CHECK(count == 0, "::/0 loads without errors (got %u)", count);

	config_free(&cfg);
	free(want);
	free(errors);
	free(path);
}

struct bad_case {
	const char *lines;		/* after the listener's head */
	const char *error;		/* the expected error output */
};

static const struct bad_case bad_cases[] = {
	{ "accept_proxy = any\n",
	  "@FILE@:9: accept_proxy = any needs trusted_proxies in [listener "
	  "lb] (allowed: the addresses or networks of the load balancers, "
	  "such as trusted_proxies = 10.0.0.0/8)\n" },
	{ "trusted_proxies = 10.0.0.0/8\n",
	  "@FILE@:9: trusted_proxies without accept_proxy in [listener lb] "
	  "(allowed: accept_proxy = v1, v2 or any as well, or no "
	  "trusted_proxies)\n" },
	{ "accept_proxy = v3\n",
	  "@FILE@:9: invalid accept_proxy \"v3\" (allowed: no, v1, "
	  "v2, any)\n" },
	{ "accept_proxy = v1\ntrusted_proxies = 10.0.0.1/8\n",
	  "@FILE@:10: invalid trusted_proxies entry \"10.0.0.1/8\": bits are "
	  "set after the prefix length: write the network address, such as "
	  "10.0.0.0/8 (allowed: IPv4 or IPv6 addresses or networks such as "
	  "10.0.0.0/8 or 2001:db8::/32, separated by commas or blanks)\n" },
	{ "accept_proxy = v3\ntrusted_proxies = 10.0.0.0/8\n",
	  "@FILE@:9: invalid accept_proxy \"v3\" (allowed: no, v1, "
	  "v2, any)\n" },
	{ "accept_proxy = v1\ntrusted_proxies = 2001:db8::1/32\n",
	  "@FILE@:10: invalid trusted_proxies entry \"2001:db8::1/32\": bits "
	  "are set after the prefix length: write the network address, such "
	  "as 2001:db8::/32 (allowed: IPv4 or IPv6 addresses or networks such "
	  "as 10.0.0.0/8 or 2001:db8::/32, separated by commas or blanks)\n" },
	{ "accept_proxy = v1\ntrusted_proxies = 10.0.0.0/33\n",
	  "@FILE@:10: invalid trusted_proxies entry \"10.0.0.0/33\": the "
	  "prefix length is not a number from 0 to 32 (allowed: IPv4 or IPv6 "
	  "addresses or networks such as 10.0.0.0/8 or 2001:db8::/32, "
	  "separated by commas or blanks)\n" },
	{ "accept_proxy = v1\ntrusted_proxies = 2001:db8::/129\n",
	  "@FILE@:10: invalid trusted_proxies entry \"2001:db8::/129\": the "
	  "prefix length is not a number from 0 to 128 (allowed: IPv4 or IPv6 "
	  "addresses or networks such as 10.0.0.0/8 or 2001:db8::/32, "
	  "separated by commas or blanks)\n" },
	{ "accept_proxy = v1\ntrusted_proxies = lb.example.org\n",
	  "@FILE@:10: invalid trusted_proxies entry \"lb.example.org\": not an "
	  "IPv4 or IPv6 address (allowed: IPv4 or IPv6 addresses or networks "
	  "such as 10.0.0.0/8 or 2001:db8::/32, separated by commas or "
	  "blanks)\n" },
	{ "accept_proxy = v1\ntrusted_proxies = 10.0.0.0/08\n",
	  "@FILE@:10: invalid trusted_proxies entry \"10.0.0.0/08\": the "
	  "prefix length is not a number from 0 to 32 (allowed: IPv4 or IPv6 "
	  "addresses or networks such as 10.0.0.0/8 or 2001:db8::/32, "
	  "separated by commas or blanks)\n" },
	{ "accept_proxy = v1\ntrusted_proxies = ,\n",
	  "@FILE@:10: empty trusted_proxies list (allowed: IPv4 or IPv6 "
	  "addresses or networks such as 10.0.0.0/8 or 2001:db8::/32, "
	  "separated by commas or blanks)\n" },
};

int
main(void)
{
	config_test_setup();
	check_valid();
	check_ipv6_wildcard_warning();

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct config cfg;
		unsigned count;
		char *text, *path, *errors, *want;

		if (asprintf(&text, "%s%s%s%s", CONFIG_TEST_TLS,
		    CONFIG_TEST_BACKEND, LISTENER_HEAD, bad_cases[i].lines) < 0)
			abort();
		path = config_test_write("bad.ini", text);
		errors = config_test_load(&cfg, path, &count);
		want = config_test_expand(bad_cases[i].error, path);
		CHECK_TEXT(errors, want, "case %zu reports its error", i);
		CHECK(count == 1, "case %zu: one error (got %u)", i, count);
		config_free(&cfg);
		free(errors);
		free(want);
		free(path);
		free(text);
	}

	config_test_teardown();
	return check_done();
}
