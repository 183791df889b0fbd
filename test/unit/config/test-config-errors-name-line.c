/*
 * Mistakes in the structure of a config file (sections, keys, indentation)
 * are reported as "file:line: message (allowed: ...)", each at its own line,
 * and every one of them in a file is reported, not only the first.
 */
#include "test/unit/config/config_test.h"

#define VALID_REST CONFIG_TEST_TLS CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER

struct error_case {
	const char *name;
	const char *config;
	const char *errors;
};

static const struct error_case cases[] = {
	{ "unknown key",
	  "[global]\n"
	  "hostname = mail.example.com\n"
	  "timeout = 30s\n"
	  VALID_REST,
	  "@FILE@:3: unknown key \"timeout\" in [global] (allowed: hostname, "
	  "user, group, chroot, allow_root, handshake_timeout, "
	  "command_timeout, idle_timeout, max_session_time, pretls_bare_lf, "
	  "drain_timeout, log, log_level, log_format, auth_failures, "
	  "auth_failure_window, "
	  "auth_ban_time, max_sessions, max_sessions_per_client, "
	  "connection_rate_per_client, max_handshakes_in_progress, "
	  "max_errors, workers)\n" },

	{ "key in another section",
	  CONFIG_TEST_TLS
	  "hostname = mail.example.com\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: key \"hostname\" is not valid in [tls] "
	  "(allowed: in [global])\n" },

	{ "key before the first section",
	  "hostname = mail.example.com\n"
	  VALID_REST,
	  "@FILE@:1: key \"hostname\" before the first section header "
	  "(allowed: in [global])\n" },

	{ "unknown section and its keys",
	  "[globals]\n"
	  "hostname = mail.example.com\n"
	  VALID_REST,
	  "@FILE@:1: unknown section \"globals\" (allowed: [global], [tls], "
	  "[backend], [listener NAME], [sni NAME], [admin])\n" },

	{ "duplicate key",
	  CONFIG_TEST_TLS
	  "min_version = TLS1.2\n"
	  "min_version = TLS1.3\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:5: duplicate key \"min_version\" (first at line 4)\n" },

	{ "duplicate section",
	  CONFIG_TEST_TLS CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER
	  "[tls]\n"
	  "min_version = TLS1.3\n",
	  "@FILE@:9: duplicate section [tls] (first at line 1; merge the "
	  "two)\n" },

	{ "duplicate listener",
	  VALID_REST
	  "[listener smtps]\n"
	  "mode = implicit\n"
	  "listen = 127.0.0.2:465\n",
	  "@FILE@:9: duplicate listener \"smtps\" (first at line 6)\n" },

	{ "invalid listener name",
	  CONFIG_TEST_TLS CONFIG_TEST_BACKEND
	  "[listener smtps/1]\n"
	  "mode = implicit\n"
	  CONFIG_TEST_LISTENER,
	  "@FILE@:6: invalid listener name \"smtps/1\" (allowed: 1 to 32 "
	  "letters, digits, '-', '_' and '.')\n" },

	{ "line without '='",
	  CONFIG_TEST_TLS
	  "min_version TLS1.2\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: invalid line (allowed: key = value, [section], a comment "
	  "starting with ; or #, or an indented list continuation)\n" },

	{ "colon as separator",
	  CONFIG_TEST_TLS
	  "min_version: TLS1.2\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: missing '=' after the key (allowed: key = value; ':' is "
	  "not a separator)\n" },

	{ "section header without ']'",
	  "[tls\n"
	  "certificate = @DIR@/cert.pem\n"
	  CONFIG_TEST_TLS CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:1: invalid section header (allowed: [NAME] alone on its "
	  "line, optionally followed by a ; comment)\n" },

	{ "indented key",
	  CONFIG_TEST_TLS CONFIG_TEST_BACKEND
	  "[listener smtps]\n"
	  "listen = 127.0.0.1:465\n"
	  "  mode = implicit\n",
	  "@FILE@:8: indented line contains '=' (allowed: a new key starts at "
	  "the beginning of the line; an indented line only continues the "
	  "list of the key above it)\n"
	  "@FILE@:6: missing mode in [listener smtps] (allowed: implicit, "
	  "starttls)\n" },

	{ "indented line after a section header",
	  CONFIG_TEST_TLS CONFIG_TEST_BACKEND
	  "[listener smtps]\n"
	  "    127.0.0.1:465\n"
	  "mode = implicit\n"
	  "listen = 127.0.0.1:465\n",
	  "@FILE@:7: indented line without a key above it in this section "
	  "(allowed: an indented line only continues the list of the key "
	  "above it; remove the indentation)\n" },

	{ "continuation of a single value",
	  "[global]\n"
	  "hostname = mail.example.com\n"
	  "    mx.example.com\n"
	  "    mx2.example.com\n"
	  VALID_REST,
	  "@FILE@:3: indented line continues hostname, which takes a single "
	  "value (allowed: continuation lines for ciphers, ciphersuites, "
	  "groups, alpn, discard_ehlo_keywords, listen, trusted_proxies)\n" },

	{ "two errors with their lines",
	  "[global]\n"
	  "; a comment\n"
	  "handshake_timeout = 30 seconds\n"
	  "\n"
	  "log = journal\n"
	  VALID_REST,
	  "@FILE@:3: invalid handshake_timeout \"30 seconds\" (allowed: a whole "
	  "number followed by s, m or h, or a bare number of seconds, from 1s "
	  "to 24h)\n"
	  "@FILE@:5: invalid log \"journal\" (allowed: stderr, syslog)\n" },

	{ "errors of every kind in one file",
	  "[global]\n"
	  "colour = blue\n"
	  "[tls]\n"
	  "certificate = @DIR@/cert.pem\n"
	  "key = @DIR@/key.pem\n"
	  "groups = X25519\n"
	  "   mode = x\n"
	  "groups = P-256\n"
	  "this is no setting\n"
	  CONFIG_TEST_BACKEND
	  "[listener smtps]\n"
	  "mode = sometimes\n",
	  "@FILE@:2: unknown key \"colour\" in [global] (allowed: hostname, "
	  "user, group, chroot, allow_root, handshake_timeout, "
	  "command_timeout, idle_timeout, max_session_time, pretls_bare_lf, "
	  "drain_timeout, log, log_level, log_format, auth_failures, "
	  "auth_failure_window, "
	  "auth_ban_time, max_sessions, max_sessions_per_client, "
	  "connection_rate_per_client, max_handshakes_in_progress, "
	  "max_errors, workers)\n"
	  "@FILE@:7: indented line contains '=' (allowed: a new key starts at "
	  "the beginning of the line; an indented line only continues the "
	  "list of the key above it)\n"
	  "@FILE@:8: duplicate key \"groups\" (first at line 6)\n"
	  "@FILE@:9: invalid line (allowed: key = value, [section], a comment "
	  "starting with ; or #, or an indented list continuation)\n"
	  "@FILE@:13: invalid mode \"sometimes\" (allowed: implicit, "
	  "starttls)\n"
	  "@FILE@:12: missing listen in [listener smtps] (allowed: "
	  "a.b.c.d:port or [IPv6]:port (numeric, port 1 to 65535), separated "
	  "by commas or blanks)\n" },

	{ "comments and blank lines keep line numbers",
	  "# a comment\n"
	  "\n"
	  "   ; an indented comment\n"
	  "[global] ; the global section\n"
	  "log = stderr ; or syslog\n"
	  "log_level = loud\n"
	  VALID_REST,
	  "@FILE@:6: invalid log_level \"loud\" (allowed: error, warning, "
	  "info, debug)\n" },

	{ "control characters in a quoted value",
	  "[global]\n"
	  "log = std\terr\n"
	  VALID_REST,
	  "@FILE@:2: invalid log \"std?err\" (allowed: stderr, syslog)\n" },
};

static void
test_missing_file(void)
{
	struct config cfg;
	unsigned count;
	char *path = config_test_expand("@DIR@/absent.ini", NULL);
	char *expected = config_test_expand(
	    "@DIR@/absent.ini: cannot open: No such file or directory\n", NULL);
	char *errors = config_test_load(&cfg, path, &count);

	CHECK_TEXT(errors, expected, "missing file: error line");
	CHECK(count == 1, "missing file: 1 error (got %u)", count);
	config_free(&cfg);
	free(errors);
	free(expected);
	free(path);
}

/* fputs() cannot write a NUL byte, so this file is written with fwrite(). */
static void
test_nul_byte(void)
{
	static const char nul_and_tail[] = "\0junk\n";
	char *head = config_test_expand(CONFIG_TEST_TLS "min_version = TLS1.2",
	    NULL);
	char *rest = config_test_expand(
	    "    TLS1.3\n"
	    "ciphersuites = TLS_AES_256_GCM_SHA384\n"
	    CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER, NULL);
	char *path = config_test_expand("@DIR@/nul.ini", NULL);
	char *expected = config_test_expand(
	    "@DIR@/nul.ini:4: NUL byte in line (allowed: text without NUL "
	    "bytes)\n", NULL);
	FILE *file = fopen(path, "w");
	struct config cfg;
	unsigned count;
	char *errors;

	if (file == NULL || fputs(head, file) == EOF ||
	    fwrite(nul_and_tail, 1, sizeof(nul_and_tail) - 1, file) !=
	    sizeof(nul_and_tail) - 1 || fputs(rest, file) == EOF ||
	    fclose(file) != 0)
		abort();
	errors = config_test_load(&cfg, path, &count);

	CHECK_TEXT(errors, expected, "NUL byte: error line");
	CHECK(count == 1, "NUL byte: 1 error (got %u)", count);
	CHECK_TEXT(cfg.tls.policy.ciphersuites != NULL ? cfg.tls.policy.ciphersuites : "",
	    "TLS_AES_256_GCM_SHA384", "NUL byte: next key is read");

	config_free(&cfg);
	free(errors);
	free(expected);
	free(path);
	free(rest);
	free(head);
}

int
main(void)
{
	config_test_setup();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		config_test_expect_errors(cases[i].name, cases[i].config,
		    cases[i].errors);
	test_missing_file();
	test_nul_byte();

	config_test_teardown();
	return check_done();
}
