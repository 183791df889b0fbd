/*
 * Each key rejects a value it cannot use, at the value's line, with the
 * value quoted and the allowed values named.
 */
#include "test/unit/config/config_test.h"

struct error_case {
	const char *name;
	const char *config;
	const char *errors;
};

#define GLOBAL_WITH(line) \
	"[global]\n" line "\n" \
	CONFIG_TEST_TLS CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER
#define TLS_WITH(line) \
	CONFIG_TEST_TLS line "\n" CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER
#define BACKEND_WITH(line) \
	CONFIG_TEST_TLS "[backend]\n" line "\n" CONFIG_TEST_LISTENER
#define LISTENER_WITH(line) \
	CONFIG_TEST_TLS CONFIG_TEST_BACKEND \
	"[listener smtps]\nmode = implicit\n" line "\n"

#define DURATION_ALLOWED "(allowed: a whole number followed by s, m or h, " \
	"or a bare number of seconds, from 1s to 24h)"
#define LISTEN_ALLOWED "(allowed: a.b.c.d:port or [IPv6]:port (numeric, " \
	"port 1 to 65535), separated by commas or blanks)"
#define BACKEND_ALLOWED "(allowed: unix:/absolute/path, a.b.c.d:port or " \
	"[IPv6]:port (numeric, port 1 to 65535))"
#define CIPHERS_ALLOWED "(allowed: ECDHE-ECDSA-AES128-GCM-SHA256, " \
	"ECDHE-RSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES256-GCM-SHA384, " \
	"ECDHE-RSA-AES256-GCM-SHA384, ECDHE-ECDSA-CHACHA20-POLY1305, " \
	"ECDHE-RSA-CHACHA20-POLY1305, ECDHE-ECDSA-AES128-SHA256, " \
	"ECDHE-RSA-AES128-SHA256, ECDHE-ECDSA-AES128-SHA, " \
	"ECDHE-RSA-AES128-SHA, ECDHE-ECDSA-AES256-SHA384, " \
	"ECDHE-RSA-AES256-SHA384, ECDHE-ECDSA-AES256-SHA, " \
	"ECDHE-RSA-AES256-SHA)"

#define AUTH_FAILURES_ALLOWED "(allowed: a whole number from 0 to 100; 0 " \
	"turns the throttling off)"
#define EHLO_KEYWORDS_ALLOWED "(allowed: EHLO keywords (a letter or digit, " \
	"then letters, digits and '-', at most 64 characters), separated by " \
	"commas or blanks)"
#define CHROOT_ALLOWED "(allowed: the absolute path of an existing " \
	"directory other than /)"
#define SIXTY_FOUR_LETTERS \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const struct error_case cases[] = {
	{ "duration with unknown unit",
	  GLOBAL_WITH("idle_timeout = 10min"),
	  "@FILE@:2: invalid idle_timeout \"10min\" " DURATION_ALLOWED "\n" },
	{ "duration of zero",
	  GLOBAL_WITH("drain_timeout = 0s"),
	  "@FILE@:2: invalid drain_timeout \"0s\" " DURATION_ALLOWED "\n" },
	{ "duration above 24 hours",
	  BACKEND_WITH("address = 127.0.0.1:10587\nconnect_timeout = 25h"),
	  "@FILE@:6: invalid connect_timeout \"25h\" " DURATION_ALLOWED "\n" },
	{ "max_session_time above 24 hours",
	  GLOBAL_WITH("max_session_time = 2d"),
	  "@FILE@:2: invalid max_session_time \"2d\" " DURATION_ALLOWED
	  "\n" },
	{ "reply_timeout of zero",
	  BACKEND_WITH("address = 127.0.0.1:10587\nreply_timeout = 0"),
	  "@FILE@:6: invalid reply_timeout \"0\" " DURATION_ALLOWED "\n" },
	{ "pretls_bare_lf other than accept or reject",
	  GLOBAL_WITH("pretls_bare_lf = normalize"),
	  "@FILE@:2: invalid pretls_bare_lf \"normalize\" (allowed: accept, "
	  "reject)\n" },
	{ "empty value",
	  GLOBAL_WITH("command_timeout ="),
	  "@FILE@:2: missing value for command_timeout " DURATION_ALLOWED
	  "\n" },

	{ "auth_failures above 100",
	  GLOBAL_WITH("auth_failures = 101"),
	  "@FILE@:2: invalid auth_failures \"101\" " AUTH_FAILURES_ALLOWED
	  "\n" },
	{ "auth_failures negative",
	  GLOBAL_WITH("auth_failures = -1"),
	  "@FILE@:2: invalid auth_failures \"-1\" " AUTH_FAILURES_ALLOWED
	  "\n" },
	{ "auth_failures with a unit",
	  GLOBAL_WITH("auth_failures = 5x"),
	  "@FILE@:2: invalid auth_failures \"5x\" " AUTH_FAILURES_ALLOWED
	  "\n" },
	{ "auth_failure_window of zero",
	  GLOBAL_WITH("auth_failure_window = 0m"),
	  "@FILE@:2: invalid auth_failure_window \"0m\" " DURATION_ALLOWED
	  "\n" },
	{ "auth_ban_time in days",
	  GLOBAL_WITH("auth_ban_time = 2d"),
	  "@FILE@:2: invalid auth_ban_time \"2d\" " DURATION_ALLOWED "\n" },

	{ "hostname with underscore",
	  GLOBAL_WITH("hostname = mail_1.example.com"),
	  "@FILE@:2: invalid hostname \"mail_1.example.com\" (allowed: a "
	  "domain name of letters, digits, '-' and '.')\n" },
	{ "hostname with empty label",
	  GLOBAL_WITH("hostname = mail..example.com"),
	  "@FILE@:2: invalid hostname \"mail..example.com\" (allowed: a "
	  "domain name of letters, digits, '-' and '.')\n" },
	{ "unknown user",
	  GLOBAL_WITH("user = subtls-no-such-user"),
	  "@FILE@:2: user \"subtls-no-such-user\" not found (allowed: an "
	  "existing user name)\n" },
	{ "unknown group",
	  GLOBAL_WITH("user = root\ngroup = subtls-no-such-group"),
	  "@FILE@:3: group \"subtls-no-such-group\" not found (allowed: an "
	  "existing group name)\n" },
	{ "relative chroot",
	  GLOBAL_WITH("chroot = var/empty"),
	  "@FILE@:2: invalid chroot \"var/empty\" " CHROOT_ALLOWED "\n" },
	{ "chroot of /",
	  GLOBAL_WITH("chroot = /"),
	  "@FILE@:2: invalid chroot \"/\" " CHROOT_ALLOWED "\n" },
	{ "missing chroot directory",
	  GLOBAL_WITH("chroot = @DIR@/no-such-directory"),
	  "@FILE@:2: chroot \"@DIR@/no-such-directory\": cannot use: No such "
	  "file or directory " CHROOT_ALLOWED "\n" },
	{ "chroot that is a file",
	  GLOBAL_WITH("chroot = @DIR@/cert.pem"),
	  "@FILE@:2: chroot \"@DIR@/cert.pem\": not a directory "
	  CHROOT_ALLOWED "\n" },
	{ "allow_root other than yes or no",
	  GLOBAL_WITH("allow_root = true"),
	  "@FILE@:2: invalid allow_root \"true\" (allowed: yes, no)\n" },
	{ "unknown log_format",
	  GLOBAL_WITH("log_format = logfmt"),
	  "@FILE@:2: invalid log_format \"logfmt\" (allowed: text, json)\n" },
	{ "group without user",
	  GLOBAL_WITH("group = root"),
	  "@FILE@:2: group without user (allowed: set user as well, or "
	  "remove group)\n" },

	{ "TLS 1.1 refused without profile legacy",
	  TLS_WITH("min_version = TLS1.1"),
	  "@FILE@:4: min_version TLS1.1 needs profile = legacy (allowed: "
	  "TLS1.2, TLS1.3; or set profile = legacy)\n" },
	{ "SSLv3 refused",
	  TLS_WITH("min_version = SSLv3"),
	  "@FILE@:4: invalid min_version \"SSLv3\" (allowed: TLS1.2, TLS1.3; "
	  "TLS1.0, TLS1.1 with profile = legacy)\n" },
	{ "unknown TLS version",
	  TLS_WITH("min_version = TLS2"),
	  "@FILE@:4: invalid min_version \"TLS2\" (allowed: TLS1.2, TLS1.3; "
	  "TLS1.0, TLS1.1 with profile = legacy)\n" },
	{ "ticket lifetime above 24 hours",
	  TLS_WITH("ticket_lifetime = 2d"),
	  "@FILE@:4: invalid ticket_lifetime \"2d\" " DURATION_ALLOWED "\n" },
	{ "watch_files neither yes nor no",
	  TLS_WITH("watch_files = true"),
	  "@FILE@:4: invalid watch_files \"true\" (allowed: yes, no)\n" },
	{ "missing ticket key file",
	  TLS_WITH("ticket_key_file = @DIR@/no-such-keys"),
	  "@FILE@:4: ticket_key_file \"@DIR@/no-such-keys\": cannot open: No "
	  "such file or directory\n" },
	{ "missing certificate file",
	  "[tls]\n"
	  "certificate = @DIR@/absent.pem\n"
	  "key = @DIR@/key.pem\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:2: certificate \"@DIR@/absent.pem\": cannot open: No such "
	  "file or directory\n" },
	{ "key is a directory",
	  "[tls]\n"
	  "certificate = @DIR@/cert.pem\n"
	  "key = @DIR@\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:3: key \"@DIR@\": cannot open: Is a directory\n" },

	{ "unknown cipher",
	  TLS_WITH("ciphers = ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"),
	  "@FILE@:4: unknown TLS 1.2 cipher \"AES128-SHA\" " CIPHERS_ALLOWED
	  "\n" },
	{ "TLS 1.3 suite among the TLS 1.2 ciphers",
	  TLS_WITH("ciphers = TLS_AES_128_GCM_SHA256"),
	  "@FILE@:4: \"TLS_AES_128_GCM_SHA256\" is a TLS 1.3 cipher suite, "
	  "not a TLS 1.2 cipher (allowed: list it under ciphersuites)\n" },
	{ "unknown suite",
	  TLS_WITH("ciphersuites = TLS_AES_128_CCM_8_SHA256"),
	  "@FILE@:4: unknown TLS 1.3 cipher suite \"TLS_AES_128_CCM_8_SHA256\" "
	  "(allowed: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, "
	  "TLS_CHACHA20_POLY1305_SHA256)\n" },
	{ "unknown group",
	  TLS_WITH("groups = X25519 ffdhe2048"),
	  "@FILE@:4: unknown group \"ffdhe2048\" (allowed: X25519, X448, "
	  "P-256, P-384, P-521)\n" },
	{ "group listed twice under two names",
	  TLS_WITH("groups = P-256, prime256v1"),
	  "@FILE@:4: \"P-256\" listed twice in groups\n" },
	{ "empty list",
	  TLS_WITH("groups = , :"),
	  "@FILE@:4: empty groups list (allowed: one or more of X25519, X448, "
	  "P-256, P-384, P-521)\n" },

	{ "backend wildcard",
	  BACKEND_WITH("address = [::]:10587"),
	  "@FILE@:5: invalid backend address \"[::]:10587\": a wildcard address "
	  "accepts connections but does not name a backend "
	  BACKEND_ALLOWED "\n" },
	{ "backend relative socket path",
	  BACKEND_WITH("address = unix:spool/subtls"),
	  "@FILE@:5: invalid backend address \"unix:spool/subtls\": the socket "
	  "path must be absolute " BACKEND_ALLOWED "\n" },
	{ "backend host name",
	  BACKEND_WITH("address = localhost:10587"),
	  "@FILE@:5: invalid backend address \"localhost:10587\": not a numeric "
	  "IPv4 address (host names are not looked up) " BACKEND_ALLOWED
	  "\n" },
	{ "backend identity",
	  BACKEND_WITH("address = 127.0.0.1:10587\nidentity = xforward"),
	  "@FILE@:6: invalid identity \"xforward\" (allowed: proxy-v2, "
	  "proxy-v1, xclient, none)\n" },
	{ "proxy_tlvs neither yes nor no",
	  BACKEND_WITH("address = 127.0.0.1:10587\nproxy_tlvs = on"),
	  "@FILE@:6: invalid proxy_tlvs \"on\" (allowed: yes, no; yes only "
	  "with identity = proxy-v2)\n" },
	{ "proxy_tlvs with identity proxy-v1",
	  BACKEND_WITH("address = 127.0.0.1:10587\nproxy_tlvs = yes\n"
	  "identity = proxy-v1"),
	  "@FILE@:6: proxy_tlvs = yes needs identity = proxy-v2, not proxy-v1 "
	  "(allowed: identity = proxy-v2, or proxy_tlvs = no)\n" },
	{ "proxy_tlvs with identity xclient",
	  BACKEND_WITH("address = 127.0.0.1:10587\nidentity = xclient\n"
	  "proxy_tlvs = yes"),
	  "@FILE@:7: proxy_tlvs = yes needs identity = proxy-v2, not xclient "
	  "(allowed: identity = proxy-v2, or proxy_tlvs = no)\n" },
	{ "proxy_tlvs with identity none",
	  BACKEND_WITH("address = 127.0.0.1:10587\nidentity = none\n"
	  "proxy_tlvs = yes"),
	  "@FILE@:7: proxy_tlvs = yes needs identity = proxy-v2, not none "
	  "(allowed: identity = proxy-v2, or proxy_tlvs = no)\n" },
	{ "trace_header neither yes nor no",
	  BACKEND_WITH("address = 127.0.0.1:10587\ntrace_header = 1"),
	  "@FILE@:6: invalid trace_header \"1\" (allowed: yes, no)\n" },
	{ "trace_auth_user without trace_header",
	  BACKEND_WITH("address = 127.0.0.1:10587\ntrace_auth_user = yes"),
	  "@FILE@:6: trace_auth_user = yes needs trace_header = yes (allowed: "
	  "trace_header = yes as well, or trace_auth_user = no)\n" },
	{ "trace_auth_user with trace_header no",
	  BACKEND_WITH("address = 127.0.0.1:10587\ntrace_auth_user = yes\n"
	  "trace_header = no"),
	  "@FILE@:6: trace_auth_user = yes needs trace_header = yes (allowed: "
	  "trace_header = yes as well, or trace_auth_user = no)\n" },
	{ "EHLO keyword with underscore",
	  BACKEND_WITH("address = 127.0.0.1:10587\n"
	  "discard_ehlo_keywords = SIZE, X_EXPS"),
	  "@FILE@:6: invalid discard_ehlo_keywords \"X_EXPS\" "
	  EHLO_KEYWORDS_ALLOWED "\n" },
	{ "EHLO keyword starting with a hyphen",
	  BACKEND_WITH("address = 127.0.0.1:10587\n"
	  "discard_ehlo_keywords = -SIZE"),
	  "@FILE@:6: invalid discard_ehlo_keywords \"-SIZE\" "
	  EHLO_KEYWORDS_ALLOWED "\n" },
	{ "EHLO keyword with a parameter",
	  BACKEND_WITH("address = 127.0.0.1:10587\n"
	  "discard_ehlo_keywords = AUTH=LOGIN"),
	  "@FILE@:6: invalid discard_ehlo_keywords \"AUTH=LOGIN\" "
	  EHLO_KEYWORDS_ALLOWED "\n" },
	{ "EHLO keyword of 65 characters",
	  BACKEND_WITH("address = 127.0.0.1:10587\n"
	  "discard_ehlo_keywords = X" SIXTY_FOUR_LETTERS),
	  "@FILE@:6: invalid discard_ehlo_keywords \"X" SIXTY_FOUR_LETTERS "\" "
	  EHLO_KEYWORDS_ALLOWED "\n" },
	{ "EHLO keyword twice in two cases",
	  BACKEND_WITH("address = 127.0.0.1:10587\n"
	  "discard_ehlo_keywords = SIZE pipelining\n"
	  "    8BITMIME size"),
	  "@FILE@:7: \"SIZE\" listed twice in discard_ehlo_keywords\n" },
	{ "always removed EHLO keyword twice",
	  BACKEND_WITH("address = 127.0.0.1:10587\n"
	  "discard_ehlo_keywords = STARTTLS, starttls"),
	  "@FILE@:6: \"STARTTLS\" listed twice in discard_ehlo_keywords\n" },

	{ "listen port out of range",
	  LISTENER_WITH("listen = 0.0.0.0:65536"),
	  "@FILE@:8: invalid listen address \"0.0.0.0:65536\": invalid port "
	  LISTEN_ALLOWED "\n" },
	{ "listen without port",
	  LISTENER_WITH("listen = 0.0.0.0"),
	  "@FILE@:8: invalid listen address \"0.0.0.0\": missing ':port' "
	  LISTEN_ALLOWED "\n" },
	{ "listen IPv6 without brackets",
	  LISTENER_WITH("listen = ::1:465"),
	  "@FILE@:8: invalid listen address \"::1:465\": an IPv6 address needs "
	  "brackets, as in [::1]:port " LISTEN_ALLOWED "\n" },
	{ "listen star",
	  LISTENER_WITH("listen = *:465"),
	  "@FILE@:8: invalid listen address \"*:465\": '*' is ambiguous; write "
	  "0.0.0.0:port for IPv4 or [::]:port for IPv6 " LISTEN_ALLOWED "\n" },
	{ "listen bad address among good ones",
	  LISTENER_WITH("listen = 127.0.0.1:465, [::1]:465, 127.0.0.300:465"),
	  "@FILE@:8: invalid listen address \"127.0.0.300:465\": not a numeric "
	  "IPv4 address (host names are not looked up) " LISTEN_ALLOWED "\n" },
	{ "listen address twice in two listeners",
	  LISTENER_WITH("listen = 0.0.0.0:465")
	  "[listener other]\n"
	  "mode = starttls\n"
	  "listen = 0.0.0.0:587\n"
	  "    0.0.0.0:465\n",
	  "@FILE@:12: duplicate listen address \"0.0.0.0:465\" (first at "
	  "line 8)\n" },
	{ "listen same IPv6 address spelled twice",
	  LISTENER_WITH("listen = [::]:465 [0::0]:465"),
	  "@FILE@:8: duplicate listen address \"[0::0]:465\" (first at "
	  "line 8)\n" },
	{ "listen list without addresses",
	  LISTENER_WITH("listen = ,"),
	  "@FILE@:8: empty listen list " LISTEN_ALLOWED "\n" },
	{ "require_auth neither yes nor no",
	  LISTENER_WITH("listen = 127.0.0.1:465\nrequire_auth = maybe"),
	  "@FILE@:9: invalid require_auth \"maybe\" (allowed: yes, no)\n" },
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
