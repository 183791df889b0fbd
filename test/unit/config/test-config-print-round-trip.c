/*
 * config_print() writes every effective setting, defaults included, as a
 * file that config_load() accepts and that prints the same again.
 */
#include "test/unit/config/config_test.h"

/* Everything but the first line, which names the file that was read. */
static const char *
after_first_line(const char *text)
{
	const char *newline = strchr(text, '\n');

	return newline != NULL ? newline + 1 : text;
}

static char *
print_to_string(const struct config *cfg)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (out == NULL)
		abort();
	config_print(cfg, out);
	fclose(out);
	return text;
}

/* Loads template, prints it, loads the printed file and prints again. */
static char *
round_trip(const char *name, const char *template)
{
	struct config first;
	struct config second;
	unsigned count;
	char *path = config_test_write("first.ini", template);
	char *errors = config_test_load(&first, path, &count);
	char *printed = print_to_string(&first);
	char *printed_path;
	char *printed_again;

	CHECK_TEXT(errors, "", "%s: original loads", name);
	free(errors);

	printed_path = config_test_write("second.ini", printed);
	errors = config_test_load(&second, printed_path, &count);
	CHECK_TEXT(errors, "", "%s: printed file loads", name);
	CHECK(count == 0, "%s: printed file has 0 errors (got %u)", name,
	    count);

	printed_again = print_to_string(&second);
	CHECK_TEXT(after_first_line(printed_again), after_first_line(printed),
	    "%s: printed again the same", name);
	CHECK(second.listener_count == first.listener_count,
	    "%s: same listener count", name);
	for (size_t i = 0; i < first.listener_count &&
	    i < second.listener_count; i++) {
		CHECK(second.listeners[i].address_count ==
		    first.listeners[i].address_count,
		    "%s: listener %zu: same address count", name, i);
		for (size_t j = 0; j < first.listeners[i].address_count &&
		    j < second.listeners[i].address_count; j++)
			CHECK(second.listeners[i].addresses[j].ipv6_only ==
			    first.listeners[i].addresses[j].ipv6_only,
			    "%s: listener %zu address %zu: same ipv6_only",
			    name, i, j);
	}

	config_free(&first);
	config_free(&second);
	free(errors);
	free(printed_again);
	free(printed_path);
	free(path);
	return printed;
}

static void
test_minimal(void)
{
	char *printed = round_trip("minimal",
	    "[global]\n"
	    "hostname = mx.example.org\n"
	    CONFIG_TEST_TLS CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER);
	char *expected = config_test_expand(
	    "\n"
	    "[global]\n"
	    "hostname = mx.example.org\n"
	    "allow_root = no\n"
	    "handshake_timeout = 30s\n"
	    "command_timeout = 5m\n"
	    "idle_timeout = 10m\n"
	    "max_session_time = 1h\n"
	    "pretls_bare_lf = accept\n"
	    "drain_timeout = 1m\n"
	    "log = stderr\n"
	    "log_level = info\n"
	    "log_format = text\n"
	    "auth_failures = 5\n"
	    "auth_failure_window = 10m\n"
	    "auth_ban_time = 1h\n"
	    "max_sessions = 5000\n"
	    "max_sessions_per_client = 50\n"
	    "connection_rate_per_client = 120\n"
	    "max_handshakes_in_progress = 256\n"
	    "max_errors = 10\n"
	    "workers = 1\n"
	    "\n"
	    "[tls]\n"
	    "certificate = @DIR@/cert.pem\n"
	    "key = @DIR@/key.pem\n"
	    "strict_sni = no\n"
	    "expiry_warning = 14d\n"
	    "verify_client = off\n"
	    "profile = intermediate\n"
	    "min_version = TLS1.2\n"
	    "max_version = TLS1.3\n"
	    "; ciphers: the profile's, ordered by AES-NI (see the listener "
	    "policy)\n"
	    "; ciphersuites: the profile's, ordered by AES-NI (see the listener "
	    "policy)\n"
	    "groups = X25519:P-256:P-384\n"
	    "prefer_server_ciphers = yes\n"
	    "alpn = smtp\n"
	    "ticket_lifetime = 12h\n"
	    "watch_files = no\n"
	    "\n"
	    "[backend]\n"
	    "address = 127.0.0.1:10587\n"
	    "identity = proxy-v2\n"
	    "connect_timeout = 10s\n"
	    "reply_timeout = 10m\n"
	    "retry_interval = 30s\n"
	    "proxy_tlvs = no\n"
	    "trace_header = no\n"
	    "trace_auth_user = no\n"
	    "\n"
	    "[listener smtps]\n"
	    "mode = implicit\n"
	    "listen = 127.0.0.1:465\n"
	    "require_auth = yes\n"
	    "accept_proxy = no\n", NULL);

	CHECK_TEXT(after_first_line(printed), expected,
	    "minimal: defaults printed");
	free(expected);
	free(printed);
}

static void
test_everything_set(void)
{
	char *printed = round_trip("everything set",
	    "[global]\n"
	    "hostname = mx.example.org\n"
	    "user = root\n"
	    "group = root\n"
	    "chroot = @DIR@\n"
	    "allow_root = yes\n"
	    "handshake_timeout = 45\n"
	    "command_timeout = 90s\n"
	    "idle_timeout = 2h\n"
	    "max_session_time = 7200\n"
	    "pretls_bare_lf = reject\n"
	    "drain_timeout = 120s\n"
	    "log = syslog\n"
	    "log_level = debug\n"
	    "log_format = json\n"
	    "auth_failures = 0\n"
	    "auth_failure_window = 1800\n"
	    "auth_ban_time = 120m\n"
	    "max_sessions = 0100\n"
	    "max_sessions_per_client = 0\n"
	    "connection_rate_per_client = 30\n"
	    "max_handshakes_in_progress = 0\n"
	    "max_errors = 3\n"
	    "workers = auto\n"
	    "[tls]\n"
	    "certificate = @DIR@/cert.pem\n"
	    "key = @DIR@/key.pem\n"
	    "min_version = TLSv1.3\n"
	    "ciphers = ecdhe-rsa-aes256-gcm-sha384\n"
	    "ciphersuites = TLS13-CHACHA20-POLY1305-SHA256, "
	    "TLS13-AES256-GCM-SHA384\n"
	    "groups = secp384r1 x25519\n"
	    "ticket_lifetime = 5400\n"
	    "ticket_key_file = @DIR@/key.pem\n"
	    "watch_files = yes\n"
	    "[backend]\n"
	    "address = [2001:db8::25]:10025\n"
	    "address = unix:/run/backend.sock\n"
	    "identity = xclient\n"
	    "connect_timeout = 3s\n"
	    "reply_timeout = 300\n"
	    "retry_interval = 2m\n"
	    "discard_ehlo_keywords = chunking, STARTTLS 8bitmime\n"
	    "    SMTPUTF8, DSN, ENHANCEDSTATUSCODES, PIPELINING, SIZE, ETRN,\n"
	    "    VRFY, XCLIENT\n"
	    "trace_header = yes\n"
	    "trace_auth_user = yes\n"
	    "[listener submission]\n"
	    "mode = starttls\n"
	    "require_auth = no\n"
	    "accept_proxy = no\n"
	    "listen = 0.0.0.0:587 [::]:587 192.0.2.10:2587 192.0.2.11:2587\n"
	    "    192.0.2.12:2587 192.0.2.13:2587 192.0.2.14:2587\n"
	    "[listener smtps.v6]\n"
	    "mode = implicit\n"
	    "listen = [::]:465\n");
	char *expected = config_test_expand(
	    "\n"
	    "[global]\n"
	    "hostname = mx.example.org\n"
	    "user = root\n"
	    "group = root\n"
	    "chroot = @DIR@\n"
	    "allow_root = yes\n"
	    "handshake_timeout = 45s\n"
	    "command_timeout = 90s\n"
	    "idle_timeout = 2h\n"
	    "max_session_time = 2h\n"
	    "pretls_bare_lf = reject\n"
	    "drain_timeout = 2m\n"
	    "log = syslog\n"
	    "log_level = debug\n"
	    "log_format = json\n"
	    "auth_failures = 0\n"
	    "auth_failure_window = 30m\n"
	    "auth_ban_time = 2h\n"
	    "max_sessions = 100\n"
	    "max_sessions_per_client = 0\n"
	    "connection_rate_per_client = 30\n"
	    "max_handshakes_in_progress = 0\n"
	    "max_errors = 3\n"
	    "workers = auto\n"
	    "\n"
	    "[tls]\n"
	    "certificate = @DIR@/cert.pem\n"
	    "key = @DIR@/key.pem\n"
	    "strict_sni = no\n"
	    "expiry_warning = 14d\n"
	    "verify_client = off\n"
	    "profile = intermediate\n"
	    "min_version = TLS1.3\n"
	    "max_version = TLS1.3\n"
	    "ciphers = ECDHE-RSA-AES256-GCM-SHA384\n"
	    "ciphersuites = TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384\n"
	    "groups = P-384:X25519\n"
	    "prefer_server_ciphers = yes\n"
	    "alpn = smtp\n"
	    "ticket_lifetime = 90m\n"
	    "ticket_key_file = @DIR@/key.pem\n"
	    "watch_files = yes\n"
	    "\n"
	    "[backend]\n"
	    "address = [2001:db8::25]:10025\n"
	    "address = unix:/run/backend.sock\n"
	    "identity = xclient\n"
	    "connect_timeout = 3s\n"
	    "reply_timeout = 5m\n"
	    "retry_interval = 2m\n"
	    "proxy_tlvs = no\n"
	    "discard_ehlo_keywords = CHUNKING, 8BITMIME, SMTPUTF8, DSN, "
	    "ENHANCEDSTATUSCODES\n"
	    "    PIPELINING, SIZE, ETRN, VRFY\n"
	    "trace_header = yes\n"
	    "trace_auth_user = yes\n"
	    "\n"
	    "[listener submission]\n"
	    "mode = starttls\n"
	    "listen = 0.0.0.0:587, [::]:587, 192.0.2.10:2587, 192.0.2.11:2587\n"
	    "    192.0.2.12:2587, 192.0.2.13:2587, 192.0.2.14:2587\n"
	    "require_auth = no\n"
	    "accept_proxy = no\n"
	    "\n"
	    "[listener smtps.v6]\n"
	    "mode = implicit\n"
	    "listen = [::]:465\n"
	    "require_auth = yes\n"
	    "accept_proxy = no\n", NULL);

	CHECK_TEXT(after_first_line(printed), expected,
	    "everything set: values printed in canonical form");
	free(expected);
	free(printed);
}

/* proxy_tlvs = yes needs identity = proxy-v2, so "everything set", which
 * uses xclient, cannot show it. */
static void
test_proxy_tlvs(void)
{
	char *printed = round_trip("proxy_tlvs",
	    CONFIG_TEST_TLS
	    "[backend]\n"
	    "address = unix:/run/subtls/backend\n"
	    "proxy_tlvs = yes\n"
	    "identity = proxy-v2\n"
	    CONFIG_TEST_LISTENER);
	const char *backend = strstr(printed, "\n[backend]\n");

	CHECK(backend != NULL, "proxy_tlvs: [backend] printed");
	if (backend != NULL)
		CHECK_TEXT(backend,
		    "\n[backend]\n"
		    "address = unix:/run/subtls/backend\n"
		    "identity = proxy-v2\n"
		    "connect_timeout = 10s\n"
		    "reply_timeout = 10m\n"
		    "retry_interval = 30s\n"
		    "proxy_tlvs = yes\n"
		    "trace_header = no\n"
		    "trace_auth_user = no\n"
		    "\n"
		    "[listener smtps]\n"
		    "mode = implicit\n"
		    "listen = 127.0.0.1:465\n"
		    "require_auth = yes\n"
		    "accept_proxy = no\n",
		    "proxy_tlvs: [backend] and the listener printed");
	free(printed);
}

int
main(void)
{
	config_test_setup();

	test_minimal();
	test_everything_set();
	test_proxy_tlvs();

	config_test_teardown();
	return check_done();
}
