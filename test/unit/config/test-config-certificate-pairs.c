/*
 * Certificates in [tls] and [sni NAME]: certificate and key may repeat,
 * each key and ocsp_response belongs to the certificate line above it, and
 * the positions of each pair are kept.  Then the errors: a key without a
 * certificate, a certificate without a key, a second key, a bad server
 * name, verify_client without client_ca or with ocsp_response, and
 * expiry_warning's range.
 */
#include "test/unit/config/config_test.h"

static const char two_pairs_and_sni[] =
	"[tls]\n"
	"certificate = @DIR@/cert.pem\n"
	"key = @DIR@/key.pem\n"
	"certificate = @DIR@/ecdsa.pem\n"
	"key = @DIR@/ecdsa.key\n"
	"ocsp_response = @DIR@/ecdsa.ocsp\n"
	"strict_sni = yes\n"
	"expiry_warning = 30d\n"
	"client_ca = @DIR@/ca.pem\n"
	"verify_client = off\n"
	"[sni Mail.Example.ORG]\n"
	"certificate = @DIR@/mail.pem\n"
	"key = @DIR@/mail.key\n"
	"[sni *.example.net]\n"
	"certificate = @DIR@/cert.pem\n"
	"key = @DIR@/key.pem\n"
	CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER;

static void
write_empty(const char *name)
{
	free(config_test_write(name, ""));
}

static void
check_pairs_load(void)
{
	struct config cfg;
	char *path = config_test_write("subtls.ini", two_pairs_and_sni);
	unsigned count;
	char *errors = config_test_load(&cfg, path, &count);
	const struct config_tls *tls = &cfg.tls;

	CHECK_TEXT(errors, "", "two pairs and two sni sections: no errors");
	CHECK(tls->certificates.count == 2, "two default certificates");
	if (tls->certificates.count == 2) {
		const struct config_certificate *ecdsa =
		    &tls->certificates.items[1];

		CHECK(tls->certificates.items[0].certificate_at.line == 2,
		    "first certificate at line 2");
		CHECK(tls->certificates.items[0].key_at.line == 3,
		    "first key at line 3");
		CHECK(tls->certificates.items[0].ocsp_response == NULL,
		    "first certificate has no ocsp_response");
		CHECK(ecdsa->certificate_at.line == 4,
		    "second certificate at line 4");
		CHECK(strstr(ecdsa->key, "ecdsa.key") != NULL,
		    "second key belongs to the second certificate");
		CHECK(ecdsa->ocsp_response != NULL &&
		    strstr(ecdsa->ocsp_response, "ecdsa.ocsp") != NULL,
		    "ocsp_response belongs to the second certificate");
		CHECK(ecdsa->ocsp_response_at.line == 6,
		    "ocsp_response at line 6");
	}
	CHECK(tls->strict_sni, "strict_sni yes");
	CHECK(tls->expiry_warning_ms == 30ULL * 24 * 3600 * 1000,
	    "expiry_warning 30 days");
	CHECK(tls->client_ca != NULL, "client_ca read");
	CHECK(tls->client_ca != NULL && strstr(tls->client_ca, "ca.pem"),
	    "client_ca names ca.pem");
	CHECK(tls->verify_client == CONFIG_VERIFY_CLIENT_OFF,
	    "verify_client off");
	CHECK(tls->sni_count == 2, "two sni sections");
	if (tls->sni_count == 2) {
		CHECK_TEXT(tls->snis[0].name, "mail.example.org",
		    "server name stored in lower case");
		CHECK(tls->snis[0].at.line == 11, "sni section at line 11");
		CHECK(tls->snis[0].certificates.count == 1,
		    "one certificate for mail.example.org");
		CHECK_TEXT(tls->snis[1].name, "*.example.net",
		    "wildcard name kept");
	}

	config_free(&cfg);
	free(errors);
	free(path);
}

struct error_case {
	const char *name;
	const char *config;
	const char *errors;
};

static const struct error_case cases[] = {
	{ "key before any certificate",
	  "[tls]\n"
	  "key = @DIR@/key.pem\n"
	  "certificate = @DIR@/cert.pem\n"
	  "key = @DIR@/key.pem\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:2: key without a certificate before it (allowed: "
	  "certificate = FILE, then key = FILE)\n" },
	{ "certificate without key",
	  CONFIG_TEST_TLS
	  "certificate = @DIR@/ecdsa.pem\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: certificate without key (allowed: key = FILE on a line "
	  "after each certificate)\n" },
	{ "second key for one certificate",
	  CONFIG_TEST_TLS
	  "key = @DIR@/ecdsa.key\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: second key for the certificate of line 2 (allowed: one "
	  "key after each certificate)\n" },
	{ "ocsp_response before any certificate",
	  "[tls]\n"
	  "ocsp_response = @DIR@/ecdsa.ocsp\n"
	  "certificate = @DIR@/cert.pem\n"
	  "key = @DIR@/key.pem\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:2: ocsp_response without a certificate before it (allowed: "
	  "certificate = FILE, then ocsp_response = FILE)\n" },
	{ "sni section without certificate",
	  CONFIG_TEST_TLS
	  "[sni mail.example.org]\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: missing certificate in [sni mail.example.org] (allowed: "
	  "certificate = FILE, then key = FILE)\n" },
	{ "wildcard over a top-level domain",
	  CONFIG_TEST_TLS
	  "[sni *.org]\n"
	  "certificate = @DIR@/cert.pem\n"
	  "key = @DIR@/key.pem\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: invalid server name \"*.org\" (allowed: a host name "
	  "such as mail.example.org, or *.example.org for one label)\n" },
	{ "duplicate sni section",
	  CONFIG_TEST_TLS
	  "[sni mail.example.org]\n"
	  "certificate = @DIR@/cert.pem\n"
	  "key = @DIR@/key.pem\n"
	  "[sni MAIL.example.org]\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:7: duplicate section [sni MAIL.example.org] (first at line "
	  "4)\n" },
	{ "verify_client without client_ca",
	  CONFIG_TEST_TLS
	  "verify_client = optional\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: verify_client optional without client_ca (allowed: "
	  "client_ca = FILE with the CA certificates that issue client "
	  "certificates)\n" },
	{ "ocsp_response with verify_client",
	  CONFIG_TEST_TLS
	  "ocsp_response = @DIR@/ecdsa.ocsp\n"
	  "client_ca = @DIR@/ca.pem\n"
	  "verify_client = require\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: ocsp_response cannot be combined with verify_client "
	  "(allowed: verify_client = off, or no ocsp_response)\n" },
	{ "expiry_warning beyond ten years",
	  CONFIG_TEST_TLS
	  "expiry_warning = 3651d\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: invalid expiry_warning \"3651d\" (allowed: a whole "
	  "number followed by d, h, m or s, from 1s to 3650d)\n" },
	{ "strict_sni neither yes nor no",
	  CONFIG_TEST_TLS
	  "strict_sni = true\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: invalid strict_sni \"true\" (allowed: yes, no)\n" },
	{ "strict_sni without sni sections",
	  CONFIG_TEST_TLS
	  "strict_sni = yes\n"
	  CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	  "@FILE@:4: strict_sni = yes without any [sni NAME] section would "
	  "reject every client (allowed: an [sni NAME] section for each name "
	  "to serve, or strict_sni = no)\n" },
};

int
main(void)
{
	config_test_setup();
	write_empty("ecdsa.pem");
	write_empty("ecdsa.key");
	write_empty("ecdsa.ocsp");
	write_empty("ca.pem");
	write_empty("mail.pem");
	write_empty("mail.key");

	check_pairs_load();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		config_test_expect_errors(cases[i].name, cases[i].config,
		    cases[i].errors);

	config_test_teardown();
	return check_done();
}
