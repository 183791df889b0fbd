/*
 * The server's suite order follows the CPU where the config leaves the
 * suites to the profile: AES-GCM first where the linked wolfSSL runs it on
 * AES-NI, ChaCha20-Poly1305 first where it does not.  A list that the config
 * sets keeps its order, for TLS 1.3 and TLS 1.2 alike.
 *
 * Run with a CPU feature list as argument ("aesni"), the test switches
 * those features off first and expects ChaCha20-Poly1305 first.  Run
 * without, it expects the order that this build and CPU call for: AES-GCM
 * first only when AES-NI is compiled in and /proc/cpuinfo lists "aes".
 * Either way it checks one branch, never none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "test/unit/check.h"
#include "tls/build_info.h"
#include "tls/context.h"
#include "tls/suite_order.h"

#define CHECK_TEXT(got, want, ...) \
	CHECK_BYTES((got), strlen(got), (want), strlen(want), __VA_ARGS__)

#define MAKE_CERTIFICATE \
	"(set -e; cd '%s'; " \
	"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 " \
	"-nodes -keyout key.pem -out cert.pem -days 30 " \
	"-subj /CN=order.example.org) >/dev/null 2>&1"

#define CONFIG_HEAD \
	"[global]\nhostname = mx.example.org\n" \
	"[backend]\naddress = 127.0.0.1:10587\n" \
	"[listener smtps]\nmode = implicit\nlisten = 127.0.0.1:465\n" \
	"[tls]\ncertificate = %1$s/cert.pem\nkey = %1$s/key.pem\n"

#define EXPLICIT_CIPHERSUITES \
	"ciphersuites = TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:" \
	"TLS_CHACHA20_POLY1305_SHA256\n"
/* EXPLICIT_CIPHERSUITES as "subtls -t" prints it. */
#define EXPLICIT_TLS13_PRINTED \
	"TLS_AES_256_GCM_SHA384\nTLS_AES_128_GCM_SHA256\n" \
	"TLS_CHACHA20_POLY1305_SHA256\n"
#define EXPLICIT_CIPHERS \
	"ciphers = ECDHE-ECDSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384\n"

/* The profile's TLS 1.2 suites as "subtls -t" prints them, in each order. */
#define TLS12_AES_GCM_FIRST \
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n" \
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n" \
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n" \
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n" \
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n" \
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\n"
#define TLS12_CHACHA20_FIRST \
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n" \
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\n" \
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n" \
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n" \
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n" \
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"

static char dir[64];

/* Whether the "flags" line of /proc/cpuinfo lists the word "aes". */
static bool
cpu_has_aes(void)
{
	FILE *file = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool found = false;

	if (file == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), file) != NULL) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		for (char *word = strtok(strchr(line, ':'), " :\n");
		    word != NULL; word = strtok(NULL, " \n"))
			if (strcmp(word, "aes") == 0)
				found = true;
	}
	fclose(file);
	return found;
}

/*
 * Loads a config of CONFIG_HEAD and extra, builds the [tls] context and
 * returns what "subtls -t" prints for it, which the caller frees.
 */
static char *
printed_policy(const char *extra)
{
	char path[128], *text = NULL;
	size_t size = 0;
	struct config cfg;
	struct tls_context *ctx;
	unsigned errors = 0;
	FILE *file, *out;

	snprintf(path, sizeof(path), "%s/subtls.ini", dir);
	file = fopen(path, "w");
	if (file == NULL)
		abort();
	fprintf(file, CONFIG_HEAD, dir);
	fputs(extra, file);
	fclose(file);

	if (!CHECK(config_load(&cfg, path, stderr) == 0, "config loads"))
		return strdup("");
	ctx = tls_context_new(&cfg.tls, &cfg.tls.policy, NULL, stderr,
	    &errors);
	CHECK(ctx != NULL, "context builds");
	CHECK(errors == 0, "context has no errors (got %u)", errors);
	out = open_memstream(&text, &size);
	if (out == NULL)
		abort();
	if (ctx != NULL)
		tls_context_print(ctx, "smtps", &cfg.tls.policy, out);
	fclose(out);
	tls_context_free(ctx);
	config_free(&cfg);
	return text;
}

/* Copies the suite names of one block ("TLS 1.3 suites:" or "TLS 1.2 and
 * below suites:") of printed, one per line, into out. */
static void
suite_block(const char *printed, const char *heading, char *out, size_t cap)
{
	const char *p = strstr(printed, heading);

	out[0] = '\0';
	if (p == NULL)
		return;
	p = strchr(p, '\n');
	while (p != NULL && strncmp(p, "\n;     ", 7) == 0) {
		const char *name = p + 7;
		size_t length = strcspn(name, "\n");

		snprintf(out + strlen(out), cap - strlen(out), "%.*s\n",
		    (int)length, name);
		p = name + length;
	}
}

/* Copies the text after "suite order: " in printed into out. */
static void
order_line(const char *printed, char *out, size_t cap)
{
	const char *p = strstr(printed, "suite order: ");

	out[0] = '\0';
	if (p != NULL)
		snprintf(out, cap, "%.*s", (int)strcspn(p + 13, "\n"), p + 13);
}

/*
 * Checks the TLS 1.3 suites, the TLS 1.2 suites and the order line that
 * "subtls -t" prints for a config of CONFIG_HEAD and extra.  label names
 * the case in the TAP output.
 */
static void
check_printed_order(const char *label, const char *extra, const char *tls13,
    const char *tls12, const char *order)
{
	char *printed = printed_policy(extra);
	char got[512];

	suite_block(printed, "TLS 1.3 suites:", got, sizeof(got));
	CHECK_TEXT(got, tls13, "%s: TLS 1.3 order", label);
	suite_block(printed, "TLS 1.2 and below suites:", got, sizeof(got));
	CHECK_TEXT(got, tls12, "%s: TLS 1.2 order", label);
	order_line(printed, got, sizeof(got));
	CHECK_TEXT(got, order, "%s: the order line", label);
	free(printed);
}

static void
check_move_chacha20_first(void)
{
	char out[128];

	CHECK(tls_suite_order_move_chacha20_first("A-AES128-GCM:B-CHACHA20:"
	    "C-AES256-GCM:D-CHACHA20", out, sizeof(out)), "reorder fits");
	CHECK_TEXT(out, "B-CHACHA20:D-CHACHA20:A-AES128-GCM:C-AES256-GCM",
	    "ChaCha20 suites first, both groups keep their order");
	CHECK(tls_suite_order_move_chacha20_first("", out, sizeof(out)),
	    "empty list fits");
	CHECK_TEXT(out, "", "empty list stays empty");
	CHECK(!tls_suite_order_move_chacha20_first("A-AES128-GCM:B-CHACHA20",
	    out, 12), "a list longer than the buffer is refused");
	CHECK_TEXT(out, "", "a refused list leaves the buffer empty");
}

int
main(int argc, char **argv)
{
	struct tls_build_info info;
	const char *reason;
	char err[256], order[256];
	bool chacha20_first;

	check_move_chacha20_first();

	if (argc > 1)
		CHECK(tls_disable_cpu_features(argv[1], err, sizeof(err)) == 0,
		    "CPU features %s switched off", argv[1]);
	CHECK(tls_library_init() == 0, "wolfSSL initializes");
	tls_get_build_info(&info);
	if (argc > 1)
		CHECK(!info.aesni_in_use, "AES-NI not in use after switching "
		    "off %s", argv[1]);
	else
		CHECK(info.aesni_in_use == (info.aesni_compiled &&
		    cpu_has_aes()), "AES-NI in use exactly when compiled in "
		    "(%s) and the CPU has it (%s)",
		    info.aesni_compiled ? "yes" : "no",
		    cpu_has_aes() ? "yes" : "no");
	chacha20_first = tls_suite_order_chacha20_first(&reason);
	CHECK(chacha20_first == !info.aesni_in_use,
	    "ChaCha20-Poly1305 first exactly when AES-NI is not in use (%s)",
	    reason);
	printf("# branch checked: %s first because %s\n",
	    chacha20_first ? "ChaCha20-Poly1305" : "AES-GCM", reason);

	snprintf(dir, sizeof(dir), "/tmp/subtls-order-test.XXXXXX");
	if (mkdtemp(dir) == NULL || check_shell(MAKE_CERTIFICATE, dir) != 0) {
		CHECK(0, "openssl made the test certificate in %s", dir);
		return check_done();
	}

	/* The profile's lists, reordered by the CPU. */
	snprintf(order, sizeof(order), "the server's, %s first because %s",
	    chacha20_first ? "ChaCha20-Poly1305" : "AES-GCM", reason);
	check_printed_order("profile", "", chacha20_first ?
	    "TLS_CHACHA20_POLY1305_SHA256\nTLS_AES_128_GCM_SHA256\n"
	    "TLS_AES_256_GCM_SHA384\n" :
	    "TLS_AES_128_GCM_SHA256\nTLS_AES_256_GCM_SHA384\n"
	    "TLS_CHACHA20_POLY1305_SHA256\n",
	    chacha20_first ? TLS12_CHACHA20_FIRST : TLS12_AES_GCM_FIRST, order);

	/* Both lists set in the file: kept as written. */
	check_printed_order("explicit", EXPLICIT_CIPHERSUITES EXPLICIT_CIPHERS,
	    EXPLICIT_TLS13_PRINTED,
	    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
	    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n"
	    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n",
	    "the server's, as configured");

	/* Only ciphersuites set: it is kept, and ciphers follow the CPU. */
	snprintf(order, sizeof(order), "the server's, ciphersuites as "
	    "configured, ciphers with %s first because %s",
	    chacha20_first ? "ChaCha20-Poly1305" : "AES-GCM", reason);
	check_printed_order("mixed", EXPLICIT_CIPHERSUITES,
	    EXPLICIT_TLS13_PRINTED,
	    chacha20_first ? TLS12_CHACHA20_FIRST : TLS12_AES_GCM_FIRST, order);

	tls_library_cleanup();
	check_shell("rm -rf '%s'", dir);
	return check_done();
}
