/*
 * The documented example config loads without errors into the expected
 * values, and a minimal config gets the documented defaults.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include "test/unit/config/config_test.h"

/* The example of the file format, with the certificate and key in the test
 * directory and root as the user, which exists on every test machine. */
static const char example[] =
	"[global]\n"
	"hostname = mail.example.com      ; in the 220 greeting of STARTTLS "
	"listeners (default: gethostname)\n"
	"user = root                      ; optional: drop to this user after "
	"binding\n"
	"group = root                     ; optional: and this group (default: "
	"the user's)\n"
	"handshake_timeout = 30s\n"
	"command_timeout = 5m             ; pre-TLS, waiting for a client "
	"command\n"
	"idle_timeout = 10m               ; after TLS, no bytes either way\n"
	"drain_timeout = 60s              ; on SIGTERM\n"
	"log = stderr                     ; stderr | syslog\n"
	"log_level = info                 ; error | warning | info | debug\n"
	"auth_failures = 10               ; failed AUTH before a ban; 0: off\n"
	"auth_failure_window = 15m\n"
	"auth_ban_time = 2h\n"
	"\n"
	"[tls]                            ; one policy for every listener\n"
	"certificate = @DIR@/cert.pem\n"
	"key = @DIR@/key.pem\n"
	"min_version = TLS1.2             ; TLS1.2 | TLS1.3\n"
	"groups = X25519:P-256:P-384\n"
	"\n"
	"[backend]\n"
	"address = unix:/var/spool/postfix/public/subtls    ; or "
	"127.0.0.1:10587, [::1]:10587\n"
	"identity = proxy-v2              ; proxy-v2 | proxy-v1 | xclient | "
	"none\n"
	"connect_timeout = 10s\n"
	"proxy_tlvs = yes                 ; TLS facts as PROXY v2 TLVs\n"
	"discard_ehlo_keywords = VRFY, etrn\n"
	"trace_header = yes               ; a Received: line with the TLS "
	"facts\n"
	"trace_auth_user = no\n"
	"\n"
	"[listener smtps]\n"
	"mode = implicit\n"
	"listen = 0.0.0.0:465, [::]:465\n"
	"\n"
	"[listener submission]\n"
	"mode = starttls\n"
	"listen = 0.0.0.0:587, [::]:587\n"
	"require_auth = yes               ; MAIL only after AUTH\n";

static const char *
or_empty(const char *text)
{
	return text != NULL ? text : "";
}

static void
check_listen_address(const struct config_listen_address *address,
    const char *text, int family, uint16_t port, bool ipv6_only,
    unsigned line)
{
	const struct sockaddr_in *sin =
	    (const struct sockaddr_in *)&address->addr;
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&address->addr;

	CHECK_TEXT(or_empty(address->text), text, "%s: text", text);
	CHECK(address->addr.ss_family == family, "%s: family", text);
	if (family == AF_INET) {
		CHECK(ntohs(sin->sin_port) == port, "%s: port", text);
		CHECK(address->addr_len == sizeof(*sin), "%s: length", text);
		CHECK(sin->sin_addr.s_addr == htonl(INADDR_ANY),
		    "%s: wildcard", text);
	} else {
		CHECK(ntohs(sin6->sin6_port) == port, "%s: port", text);
		CHECK(address->addr_len == sizeof(*sin6), "%s: length", text);
		CHECK(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr),
		    "%s: wildcard", text);
	}
	CHECK(address->ipv6_only == ipv6_only, "%s: ipv6_only is %d", text,
	    ipv6_only);
	CHECK(address->at.line == line, "%s: at line %u", text, line);
}

static void
check_example_global(const struct config *cfg)
{
	const struct config_global *global = &cfg->global;

	CHECK_TEXT(or_empty(global->hostname), "mail.example.com", "hostname");
	CHECK_TEXT(or_empty(global->user), "root", "user");
	CHECK_TEXT(or_empty(global->group), "root", "group");
	CHECK(global->handshake_timeout_ms == 30000, "handshake_timeout 30 s");
	CHECK(global->command_timeout_ms == 300000, "command_timeout 5 min");
	CHECK(global->idle_timeout_ms == 600000, "idle_timeout 10 min");
	CHECK(global->drain_timeout_ms == 60000, "drain_timeout 60 s");
	CHECK(global->log == CONFIG_LOG_STDERR, "log stderr");
	CHECK(global->log_level == CONFIG_LOG_INFO, "log_level info");
	CHECK(global->auth_failures == 10, "auth_failures 10");
	CHECK(global->auth_failure_window_ms == 15 * 60 * 1000,
	    "auth_failure_window 15 min");
	CHECK(global->auth_ban_time_ms == 2 * 3600 * 1000,
	    "auth_ban_time 2 h");
}

static void
check_example_tls(const struct config *cfg)
{
	const struct config_tls *tls = &cfg->tls;
	char *certificate = config_test_expand("@DIR@/cert.pem", NULL);
	char *key = config_test_expand("@DIR@/key.pem", NULL);

	const struct config_certificate *pair = tls->certificates.items;

	CHECK(tls->certificates.count == 1, "one certificate");
	if (tls->certificates.count != 1)
		return;
	CHECK_TEXT(or_empty(pair->certificate), certificate, "certificate");
	CHECK(pair->certificate_at.file == cfg->path,
	    "certificate position names the file");
	CHECK(pair->certificate_at.line == 16, "certificate at line 16");
	CHECK_TEXT(or_empty(pair->key), key, "key");
	CHECK(pair->key_at.line == 17, "key at line 17");
	CHECK(pair->ocsp_response == NULL, "no ocsp_response");
	CHECK(!tls->strict_sni, "strict_sni off by default");
	CHECK(tls->expiry_warning_ms == 14ULL * 24 * 3600 * 1000,
	    "expiry_warning 14 days by default");
	CHECK(tls->verify_client == CONFIG_VERIFY_CLIENT_OFF,
	    "verify_client off by default");
	CHECK(tls->policy.min_version == CONFIG_TLS1_2, "min_version TLS 1.2");
	CHECK(tls->policy.min_version_at.line == 18, "min_version at line 18");
	CHECK_TEXT(or_empty(tls->policy.ciphers), CONFIG_DEFAULT_CIPHERS,
	    "ciphers default");
	CHECK(tls->policy.ciphers_at.file == cfg->path,
	    "ciphers default position names the file");
	CHECK(tls->policy.ciphers_at.line == 0, "ciphers default at line 0");
	CHECK_TEXT(or_empty(tls->policy.ciphersuites), CONFIG_DEFAULT_CIPHERSUITES,
	    "ciphersuites default");
	CHECK(tls->policy.ciphersuites_at.file == cfg->path,
	    "ciphersuites default position names the file");
	CHECK(tls->policy.ciphersuites_at.line == 0, "ciphersuites default at line 0");
	CHECK_TEXT(or_empty(tls->policy.groups), "X25519:P-256:P-384", "groups");
	CHECK(tls->policy.groups_at.line == 19, "groups at line 19");

	free(certificate);
	free(key);
}

static void
check_example_backend(const struct config *cfg)
{
	const struct config_backend *backend = &cfg->backend;
	static const struct config_backend_address none = { 0 };
	const struct config_backend_address *first =
	    backend->address_count > 0 ? &backend->addresses[0] : &none;

	CHECK(backend->address_count == 1, "one backend address");
	CHECK_TEXT(or_empty(first->text),
	    "unix:/var/spool/postfix/public/subtls", "backend address");
	CHECK(first->is_unix, "backend is a unix socket");
	CHECK_TEXT(or_empty(first->unix_path),
	    "/var/spool/postfix/public/subtls", "backend unix_path");
	CHECK(backend->retry_interval_ms == 30000, "retry_interval 30 s");
	CHECK(backend->identity == CONFIG_IDENTITY_PROXY_V2, "identity");
	CHECK(backend->connect_timeout_ms == 10000, "connect_timeout 10 s");
	CHECK(backend->proxy_tlvs, "proxy_tlvs yes");
	CHECK(backend->discard_ehlo_keywords != NULL,
	    "discard_ehlo_keywords set");
	if (backend->discard_ehlo_keywords != NULL) {
		CHECK_TEXT(or_empty(backend->discard_ehlo_keywords[0]), "VRFY",
		    "first EHLO keyword");
		CHECK_TEXT(or_empty(backend->discard_ehlo_keywords[1]), "ETRN",
		    "second EHLO keyword, in upper case");
		CHECK(backend->discard_ehlo_keywords[1] != NULL &&
		    backend->discard_ehlo_keywords[2] == NULL,
		    "two EHLO keywords");
	}
	CHECK(backend->trace_header, "trace_header yes");
	CHECK(!backend->trace_auth_user, "trace_auth_user no");
}

static void
check_example_listeners(const struct config *cfg)
{
	const struct config_listener *smtps = &cfg->listeners[0];
	const struct config_listener *submission = &cfg->listeners[1];

	CHECK(cfg->listener_count == 2, "two listeners");
	if (cfg->listener_count != 2)
		return;

	CHECK_TEXT(or_empty(smtps->name), "smtps", "first listener's name");
	CHECK(smtps->at.file == cfg->path, "smtps position names the file");
	CHECK(smtps->at.line == 30, "smtps at line 30");
	CHECK(smtps->mode == CONFIG_MODE_IMPLICIT, "smtps is implicit TLS");
	CHECK(smtps->address_count == 2, "smtps has two addresses");
	if (smtps->address_count == 2) {
		check_listen_address(&smtps->addresses[0], "0.0.0.0:465",
		    AF_INET, 465, false, 32);
		check_listen_address(&smtps->addresses[1], "[::]:465",
		    AF_INET6, 465, true, 32);
	}

	CHECK_TEXT(or_empty(submission->name), "submission",
	    "second listener's name");
	CHECK(submission->mode == CONFIG_MODE_STARTTLS,
	    "submission is STARTTLS");
	CHECK(submission->address_count == 2, "submission has two addresses");
	if (submission->address_count == 2) {
		check_listen_address(&submission->addresses[0], "0.0.0.0:587",
		    AF_INET, 587, false, 36);
		check_listen_address(&submission->addresses[1], "[::]:587",
		    AF_INET6, 587, true, 36);
	}
	CHECK(smtps->require_auth, "smtps requires AUTH by default");
	CHECK(submission->require_auth, "submission requires AUTH");
}

static void
test_example(void)
{
	struct config cfg;
	unsigned count;
	char *path = config_test_write("example.ini", example);
	char *errors = config_test_load(&cfg, path, &count);

	CHECK_TEXT(errors, "", "example: no error output");
	CHECK(count == 0, "example: 0 errors (got %u)", count);
	CHECK_TEXT(or_empty(cfg.path), path, "example: path kept");

	check_example_global(&cfg);
	check_example_tls(&cfg);
	check_example_backend(&cfg);
	check_example_listeners(&cfg);

	config_free(&cfg);
	CHECK(cfg.path == NULL, "config_free clears the path");
	CHECK(cfg.listeners == NULL, "config_free clears the listeners");
	config_free(&cfg);

	free(errors);
	free(path);
}

static void
test_defaults(void)
{
	struct config cfg;
	unsigned count;
	char *path = config_test_write("minimal.ini",
	    CONFIG_TEST_TLS CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER);
	char *errors = config_test_load(&cfg, path, &count);
	static const struct config_backend_address none = { 0 };
	const struct config_backend_address *first =
	    cfg.backend.address_count > 0 ? &cfg.backend.addresses[0] : &none;
	const struct sockaddr_in *backend =
	    (const struct sockaddr_in *)&first->tcp;
	char hostname[256] = "";

	gethostname(hostname, sizeof(hostname) - 1);

	CHECK_TEXT(errors, "", "minimal: no error output");
	CHECK(count == 0, "minimal: 0 errors (got %u)", count);
	CHECK_TEXT(or_empty(cfg.global.hostname), hostname,
	    "hostname defaults to gethostname()");
	CHECK(cfg.global.user == NULL, "user unset");
	CHECK(cfg.global.group == NULL, "group unset");
	CHECK(cfg.global.handshake_timeout_ms == 30000,
	    "handshake_timeout default");
	CHECK(cfg.global.command_timeout_ms == 300000,
	    "command_timeout default");
	CHECK(cfg.global.idle_timeout_ms == 600000, "idle_timeout default");
	CHECK(cfg.global.max_session_time_ms == 3600000,
	    "max_session_time default");
	CHECK(cfg.global.pretls_bare_lf == CONFIG_BARE_LF_ACCEPT,
	    "pretls_bare_lf default");
	CHECK(cfg.backend.reply_timeout_ms == 600000, "reply_timeout default");
	CHECK(cfg.global.drain_timeout_ms == 60000, "drain_timeout default");
	CHECK(cfg.global.log == CONFIG_LOG_STDERR, "log default");
	CHECK(cfg.global.log_level == CONFIG_LOG_INFO, "log_level default");
	CHECK(cfg.global.auth_failures == 5, "auth_failures default");
	CHECK(cfg.global.auth_failure_window_ms == 600000,
	    "auth_failure_window default");
	CHECK(cfg.global.auth_ban_time_ms == 3600000, "auth_ban_time default");
	CHECK(cfg.tls.policy.min_version == CONFIG_TLS1_2, "min_version default");
	CHECK(cfg.tls.policy.min_version_at.file == cfg.path,
	    "min_version default position names the file");
	CHECK(cfg.tls.policy.min_version_at.line == 0,
	    "min_version default at line 0");
	CHECK_TEXT(or_empty(cfg.tls.policy.groups), CONFIG_DEFAULT_GROUPS,
	    "groups default");
	CHECK(cfg.tls.policy.groups_at.file == cfg.path,
	    "groups default position names the file");
	CHECK(cfg.tls.policy.groups_at.line == 0, "groups default at line 0");
	CHECK(cfg.backend.identity == CONFIG_IDENTITY_PROXY_V2,
	    "identity default");
	CHECK(cfg.backend.connect_timeout_ms == 10000,
	    "connect_timeout default");
	CHECK(!cfg.backend.proxy_tlvs, "proxy_tlvs default");
	CHECK(cfg.backend.discard_ehlo_keywords != NULL,
	    "discard_ehlo_keywords is a list when absent");
	CHECK(cfg.backend.discard_ehlo_keywords != NULL &&
	    cfg.backend.discard_ehlo_keywords[0] == NULL,
	    "discard_ehlo_keywords empty by default");
	CHECK(!cfg.backend.trace_header, "trace_header default");
	CHECK(!cfg.backend.trace_auth_user, "trace_auth_user default");
	CHECK(cfg.listener_count == 1, "one listener");
	if (cfg.listener_count == 1)
		CHECK(cfg.listeners[0].require_auth, "require_auth default");
	CHECK(cfg.backend.address_count == 1, "one backend address");
	CHECK(!first->is_unix, "TCP backend");
	CHECK(first->unix_path == NULL, "no unix path");
	CHECK(first->tcp.ss_family == AF_INET, "backend is IPv4");
	CHECK(first->tcp_len == sizeof(struct sockaddr_in),
	    "backend address length");
	CHECK(ntohs(backend->sin_port) == 10587, "backend port 10587");
	CHECK(backend->sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	    "backend address 127.0.0.1");

	config_free(&cfg);
	free(errors);
	free(path);
}

static void
test_free_after_errors(void)
{
	struct config cfg;
	unsigned count;
	char *path = config_test_write("broken.ini",
	    "[global]\n"
	    "hostname = mail.example.com\n"
	    "user = root\n"
	    "[tls]\n"
	    "certificate = @DIR@/absent.pem\n"
	    "ciphers = ECDHE-RSA-AES128-GCM-SHA256 RC4-MD5\n"
	    "[backend]\n"
	    "address = unix:/run/subtls.sock\n"
	    "[listener a]\n"
	    "listen = 127.0.0.1:25 [::1]:25 [::1]:25\n"
	    "[listener b]\n");
	char *errors = config_test_load(&cfg, path, &count);

	CHECK(count == 7, "broken: 7 errors (got %u)", count);
	config_free(&cfg);
	free(errors);
	free(path);
}

int
main(void)
{
	config_test_setup();

	test_example();
	test_defaults();
	test_free_after_errors();

	config_test_teardown();
	return check_done();
}
