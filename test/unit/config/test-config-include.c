/*
 * "include = FILE" reads another file in place.  Relative paths are relative
 * to the including file, and errors inside it name that file and its line.
 * The including file goes on in its own section afterwards.  Loops and
 * nesting deeper than CONFIG_INCLUDE_DEPTH_MAX are errors, and so is a file
 * that is not a regular file.
 */
#include <sys/stat.h>

#include "test/unit/config/config_test.h"

#define INCLUDE_ALLOWED "(allowed: the path of a readable config file, " \
	"relative to the including file's directory or absolute)"

/* The main file: [tls] with the include at line 4, then a key of [tls]
 * again at line 5, so that a lost section would show as an error. */
#define MAIN_WITH_INCLUDE(name) \
	"[tls]\n" \
	"certificate = @DIR@/cert.pem\n" \
	"alpn = smtp\n" \
	"include = " name "\n" \
	"key = @DIR@/key.pem\n" \
	CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER

static void
write_free(const char *name, const char *template)
{
	free(config_test_write(name, template));
}

static void
test_policy_from_include(void)
{
	struct config cfg;
	unsigned count;
	char *policy_path, *path, *errors, *expected_file;

	policy_path = config_test_write("policy.ini",
	    "; the fleet's TLS policy\n"
	    "profile = legacy\n"
	    "min_version = TLS1.1\n"
	    "[global]\n"
	    "idle_timeout = 5s\n");
	path = config_test_write("subtls.ini", MAIN_WITH_INCLUDE("policy.ini"));
	errors = config_test_load(&cfg, path, &count);

	CHECK_TEXT(errors, "", "policy include: no errors");
	CHECK_TEXT(config_profile_name(cfg.tls.policy.profile), "legacy",
	    "policy include: profile from the included file");
	CHECK_TEXT(config_tls_version_name(cfg.tls.policy.min_version),
	    "TLS1.1", "policy include: min_version from the included file");
	CHECK(cfg.global.idle_timeout_ms == 5000,
	    "policy include: a section opened in the included file");
	CHECK(cfg.tls.certificates.count == 1 &&
	    cfg.tls.certificates.items[0].key != NULL,
	    "policy include: the main file goes on in [tls]");
	expected_file = config_test_expand("@DIR@/policy.ini", NULL);
	CHECK_TEXT(cfg.tls.policy.min_version_at.file, expected_file,
	    "policy include: the position names the included file");
	CHECK(cfg.tls.policy.min_version_at.line == 3,
	    "policy include: and its line (got %u)",
	    cfg.tls.policy.min_version_at.line);

	config_free(&cfg);
	free(expected_file);
	free(errors);
	free(path);
	free(policy_path);
}

static void
test_errors_name_the_included_file(void)
{
	write_free("bad-value.ini", "; policy\nprofile = strong\n");
	config_test_expect_errors("invalid value in an include",
	    MAIN_WITH_INCLUDE("bad-value.ini"),
	    "@DIR@/bad-value.ini:2: invalid profile \"strong\" (allowed: "
	    "modern, intermediate, legacy)\n");

	write_free("bad-floor.ini", "min_version = TLS1.0\n");
	config_test_expect_errors("check after loading, in an include",
	    MAIN_WITH_INCLUDE("bad-floor.ini"),
	    "@DIR@/bad-floor.ini:1: min_version TLS1.0 needs profile = legacy "
	    "(allowed: TLS1.2, TLS1.3; or set profile = legacy)\n");

	write_free("bad-key.ini", "\n\nciphers = ECDHE-RSA-AES128-GCM-SHA256\n"
	    "timeout = 5s\n");
	config_test_expect_errors("unknown key in an include",
	    MAIN_WITH_INCLUDE("bad-key.ini"),
	    "@DIR@/bad-key.ini:4: unknown key \"timeout\" in [tls] (allowed: "
	    "certificate, key, ocsp_response, strict_sni, expiry_warning, "
	    "client_ca, verify_client, profile, min_version, max_version, "
	    "ciphers, ciphersuites, groups, prefer_server_ciphers, alpn, "
	    "ticket_lifetime, ticket_key_file, watch_files)\n");

	write_free("trace.ini", "; tracing\ntrace_auth_user = yes\n");
	config_test_expect_errors("backend check, in an include",
	    CONFIG_TEST_TLS
	    "[backend]\n"
	    "address = 127.0.0.1:10587\n"
	    "include = trace.ini\n"
	    "trace_header = no\n"
	    CONFIG_TEST_LISTENER,
	    "@DIR@/trace.ini:2: trace_auth_user = yes needs trace_header = "
	    "yes (allowed: trace_header = yes as well, or trace_auth_user = "
	    "no)\n");

	write_free("repeated.ini", "key = @DIR@/key.pem\n");
	config_test_expect_errors("key in both files",
	    MAIN_WITH_INCLUDE("repeated.ini"),
	    "@FILE@:5: second key for the certificate of line 2 (allowed: one "
	    "key after each certificate)\n");

	write_free("empty.ini", "; nothing\n");
	config_test_expect_errors("indented line after include",
	    "[tls]\n"
	    "certificate = @DIR@/cert.pem\n"
	    "include = empty.ini\n"
	    "    other.ini\n"
	    "key = @DIR@/key.pem\n"
	    CONFIG_TEST_BACKEND CONFIG_TEST_LISTENER,
	    "@FILE@:4: indented line continues include, which takes a single "
	    "file (allowed: one include line per file)\n");

	config_test_expect_errors("missing include",
	    MAIN_WITH_INCLUDE("missing.ini"),
	    "@FILE@:4: include \"missing.ini\": cannot open "
	    "@DIR@/missing.ini: No such file or directory " INCLUDE_ALLOWED
	    "\n");
}

static void
test_loops_and_depth(void)
{
	char name[32], text[64];

	write_free("loop-a.ini", "include = loop-b.ini\n");
	write_free("loop-b.ini", "\ninclude = @DIR@/loop-a.ini\n");
	config_test_expect_errors("include loop",
	    MAIN_WITH_INCLUDE("loop-a.ini"),
	    "@DIR@/loop-b.ini:2: include \"@DIR@/loop-a.ini\": include loop, "
	    "@DIR@/loop-a.ini is already being read (allowed: each file once "
	    "in a chain of includes)\n");

	write_free("self.ini", "include = subtls.ini\n");
	config_test_expect_errors("include of the including file",
	    MAIN_WITH_INCLUDE("self.ini"),
	    "@DIR@/self.ini:1: include \"subtls.ini\": include loop, "
	    "@DIR@/subtls.ini is already being read (allowed: each file once "
	    "in a chain of includes)\n");

	/* depth-1.ini includes depth-2.ini, ..., so depth-8.ini is the
	 * eighth level and its include is one too many. */
	for (int i = 1; i <= 8; i++) {
		snprintf(name, sizeof(name), "depth-%d.ini", i);
		snprintf(text, sizeof(text), "include = depth-%d.ini\n", i + 1);
		write_free(name, text);
	}
	config_test_expect_errors("nine nested includes",
	    MAIN_WITH_INCLUDE("depth-1.ini"),
	    "@DIR@/depth-8.ini:1: include \"depth-9.ini\": more than 8 nested "
	    "includes (allowed: at most 8 levels)\n");
}

/* A FIFO blocked the load in fopen(), and /dev/zero never ended.  A reload
 * runs config_load() in the event loop, so either stopped every session. */
static void
test_only_regular_files(void)
{
	char *fifo = NULL;

	if (asprintf(&fifo, "%s/fifo.ini", config_test_dir) < 0 ||
	    mkfifo(fifo, 0600) != 0)
		abort();
	config_test_expect_errors("include of a FIFO",
	    MAIN_WITH_INCLUDE("fifo.ini"),
	    "@FILE@:4: include \"fifo.ini\": cannot open @DIR@/fifo.ini: "
	    "not a regular file " INCLUDE_ALLOWED "\n");
	free(fifo);

	config_test_expect_errors("include of a device",
	    MAIN_WITH_INCLUDE("/dev/zero"),
	    "@FILE@:4: include \"/dev/zero\": cannot open /dev/zero: "
	    "not a regular file " INCLUDE_ALLOWED "\n");

	config_test_expect_errors("include of a directory",
	    MAIN_WITH_INCLUDE("@DIR@"),
	    "@FILE@:4: include \"@DIR@\": cannot open @DIR@: "
	    "Is a directory " INCLUDE_ALLOWED "\n");
}

int
main(void)
{
	config_test_setup();
	test_policy_from_include();
	test_errors_name_the_included_file();
	test_loops_and_depth();
	test_only_regular_files();
	config_test_teardown();
	return check_done();
}
