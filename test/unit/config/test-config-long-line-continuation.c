/*
 * Debian's inih r55 reads lines into a 200-byte buffer, so a setting may
 * have at most 197 characters.  A longer line is one clear error at its own
 * line, later lines keep their numbers, and the same list split over
 * indented continuation lines loads.
 */
#include "test/unit/config/config_test.h"

static const char *const cipher_names[] = {
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
};
#define CIPHER_COUNT (sizeof(cipher_names) / sizeof(cipher_names[0]))

/* "ciphers = " and the six names, aligned with blanks after the commas so
 * that the line has exactly length characters. */
static char *
one_line_cipher_list(size_t length)
{
	size_t names_length = 0;
	size_t padding;
	char *line = NULL;
	size_t line_size = 0;
	FILE *out = open_memstream(&line, &line_size);

	for (size_t i = 0; i < CIPHER_COUNT; i++)
		names_length += strlen(cipher_names[i]);
	padding = length - strlen("ciphers = ") - names_length -
	    (CIPHER_COUNT - 1);

	fputs("ciphers = ", out);
	for (size_t i = 0; i < CIPHER_COUNT; i++) {
		size_t blanks = padding / (CIPHER_COUNT - 1) +
		    (i < padding % (CIPHER_COUNT - 1));

		fputs(cipher_names[i], out);
		if (i + 1 < CIPHER_COUNT)
			fprintf(out, ",%*s", (int)blanks, "");
	}
	fclose(out);
	return line;
}

static void
test_long_line_rejected(void)
{
	char *line = one_line_cipher_list(251);
	char *config = NULL;

	CHECK(strlen(line) == 251, "the cipher list line has 251 characters");

	if (asprintf(&config,
	    CONFIG_TEST_TLS
	    "%s\n"
	    "    ; the continuation below belongs to the rejected line\n"
	    "    ECDHE-RSA-AES128-GCM-SHA256\n"
	    "min_versio = TLS1.3\n"
	    CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER, line) < 0)
		abort();
	config_test_expect_errors("251-character line", config,
	    "@FILE@:4: line too long (251 characters, at most 197); split a "
	    "long list over indented continuation lines\n"
	    "@FILE@:7: unknown key \"min_versio\" in [tls] (allowed: "
	    "certificate, key, ocsp_response, strict_sni, expiry_warning, "
	    "client_ca, verify_client, profile, min_version, max_version, "
	    "ciphers, ciphersuites, groups, prefer_server_ciphers, alpn, "
	    "ticket_lifetime, ticket_key_file, watch_files)\n");

	free(config);
	free(line);
}

static void
test_limit_is_197_characters(void)
{
	char *fits = one_line_cipher_list(197);
	char *too_long = one_line_cipher_list(198);
	char *config = NULL;

	if (asprintf(&config, CONFIG_TEST_TLS "%s\n" CONFIG_TEST_BACKEND
	    CONFIG_TEST_LISTENER, fits) < 0)
		abort();
	config_test_expect_errors("197-character line", config, "");
	free(config);

	if (asprintf(&config, CONFIG_TEST_TLS "%s\n" CONFIG_TEST_BACKEND
	    CONFIG_TEST_LISTENER, too_long) < 0)
		abort();
	config_test_expect_errors("198-character line", config,
	    "@FILE@:4: line too long (198 characters, at most 197); split a "
	    "long list over indented continuation lines\n");
	free(config);

	free(fits);
	free(too_long);
}

static void
test_continuation_lines_accepted(void)
{
	struct config cfg;
	unsigned count;
	char *path = config_test_write("subtls.ini",
	    CONFIG_TEST_TLS
	    "ciphers = ECDHE-ECDSA-AES128-GCM-SHA256, "
	    "ECDHE-RSA-AES128-GCM-SHA256,\n"
	    "    ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-RSA-AES256-GCM-SHA384,\n"
	    "\n"
	    "    ; a comment between continuation lines\n"
	    "\tECDHE-ECDSA-CHACHA20-POLY1305  ECDHE-RSA-CHACHA20-POLY1305\n"
	    "groups =\n"
	    "    X25519\n"
	    "    P-256 ; the NIST curve\n"
	    "min_version = TLS1.3\n"
	    CONFIG_TEST_BACKEND
	    "[listener smtps]\n"
	    "mode = implicit\n"
	    "listen = 127.0.0.1:465,\n"
	    "  [::1]:465\n"
	    "  127.0.0.2:465 127.0.0.3:465\n");
	char *errors = config_test_load(&cfg, path, &count);

	CHECK_TEXT(errors, "", "continuation: no errors");
	CHECK(count == 0, "continuation: 0 errors (got %u)", count);
	CHECK_TEXT(cfg.tls.policy.ciphers != NULL ? cfg.tls.policy.ciphers : "",
	    CONFIG_DEFAULT_CIPHERS, "continuation: all six ciphers, in order");
	CHECK(cfg.tls.policy.ciphers_at.line == 4, "continuation: ciphers at line 4");
	CHECK_TEXT(cfg.tls.policy.groups != NULL ? cfg.tls.policy.groups : "", "X25519:P-256",
	    "continuation: list starting on the next line");
	CHECK(cfg.tls.policy.min_version == CONFIG_TLS1_3,
	    "continuation: the key after the list is read");
	CHECK(cfg.tls.policy.min_version_at.line == 12,
	    "continuation: min_version at line 12");
	CHECK(cfg.listener_count == 1, "continuation: one listener");
	CHECK(cfg.listener_count == 1 && cfg.listeners[0].address_count == 4,
	    "continuation: four listen addresses");
	if (cfg.listener_count == 1 && cfg.listeners[0].address_count == 4) {
		CHECK_TEXT(cfg.listeners[0].addresses[1].text, "[::1]:465",
		    "continuation: second address");
		CHECK(cfg.listeners[0].addresses[3].at.line == 19,
		    "continuation: fourth address at line 19");
	}

	config_free(&cfg);
	free(errors);
	free(path);
}

static void
test_comments_not_counted(void)
{
	char *config = NULL;
	char comment[301];

	memset(comment, 'x', sizeof(comment) - 1);
	comment[sizeof(comment) - 1] = '\0';
	if (asprintf(&config,
	    "; %s\n"
	    CONFIG_TEST_TLS
	    "min_version = TLS1.2 ; %s\n"
	    CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER
	    "[global]\n"
	    "log = syslog\n"
	    "log_level = loud\n", comment, comment) < 0)
		abort();
	config_test_expect_errors("long comments", config,
	    "@FILE@:13: invalid log_level \"loud\" (allowed: error, warning, "
	    "info, debug)\n");
	free(config);
}

static void
test_long_continuation_line(void)
{
	char *config = NULL;
	char blanks[200];

	memset(blanks, ' ', sizeof(blanks) - 1);
	blanks[sizeof(blanks) - 1] = '\0';
	if (asprintf(&config,
	    CONFIG_TEST_TLS
	    "groups = X25519\n"
	    "  P-256%sP-384\n"
	    "  P-521\n"
	    "min_version = TLS1.0\n"
	    CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER, blanks) < 0)
		abort();
	config_test_expect_errors("long continuation line", config,
	    "@FILE@:5: line too long (209 characters, at most 197); split a "
	    "long list over indented continuation lines\n"
	    "@FILE@:7: min_version TLS1.0 needs profile = legacy (allowed: "
	    "TLS1.2, TLS1.3; or set profile = legacy)\n");
	free(config);
}

static void
test_crlf_and_byte_order_mark(void)
{
	config_test_expect_errors("CRLF and BOM",
	    "\xEF\xBB\xBF[tls]\r\n"
	    "certificate = @DIR@/cert.pem\r\n"
	    "key = @DIR@/key.pem\r\n"
	    "groups = X25519,\r\n"
	    "  P-256\r\n"
	    "[backend]\r\n"
	    "address = 127.0.0.1:10587\r\n"
	    "[listener smtps]\r\n"
	    "mode = implicit\r\n"
	    "listen = 127.0.0.1:465\r\n"
	    "log = stderr\r\n",
	    "@FILE@:11: key \"log\" is not valid in [listener smtps] "
	    "(allowed: in [global])\n");
}

int
main(void)
{
	config_test_setup();

	test_long_line_rejected();
	test_limit_is_197_characters();
	test_continuation_lines_accepted();
	test_comments_not_counted();
	test_long_continuation_line();
	test_crlf_and_byte_order_mark();

	config_test_teardown();
	return check_done();
}
