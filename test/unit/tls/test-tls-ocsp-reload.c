/*
 * tls_ocsp_reload() re-reads every OCSP response file: a good response is
 * picked up, one replaced by a broken file is dropped and reported with
 * the file name, and a good one written back is picked up again.  The
 * certificates and the response come from the openssl command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "test/unit/check.h"
#include "tls/context.h"
#include "tls/ocsp.h"

static char dir[64];

/* Makes a CA, a leaf it issues (chain.pem, leaf.key) and good.der. */
#define MAKE_FILES \
	"(set -e; cd '%s'; " \
	"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 " \
	"-nodes -keyout ca.key -out ca.pem -days 30 -subj /CN=reload-ca; " \
	"openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes " \
	"-keyout leaf.key -out leaf.csr -subj /CN=reload.example.org; " \
	"printf 'basicConstraints=CA:FALSE\\n' > ext.cnf; " \
	"openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key " \
	"-CAcreateserial -out leaf.pem -days 20 -extfile ext.cnf; " \
	"cat leaf.pem ca.pem > chain.pem; " \
	"printf 'V\\t301231000000Z\\t\\t%%s\\tunknown\\t/CN=reload.example.org\\n' " \
	"$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2) > index.txt; " \
	"openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem " \
	"-issuer ca.pem -cert leaf.pem -ndays 2 -respout good.der; " \
	"cp good.der saved.der) >/dev/null 2>&1"

#define CONFIG_TEXT \
	"[global]\nhostname = mx.example.org\n" \
	"[tls]\ncertificate = %1$s/chain.pem\nkey = %1$s/leaf.key\n" \
	"ocsp_response = %1$s/good.der\n" \
	"[backend]\naddress = 127.0.0.1:10587\n" \
	"[listener smtps]\nmode = implicit\nlisten = 127.0.0.1:465\n"

/* Runs tls_ocsp_reload() and returns its warnings, which the caller frees. */
static char *
reload(struct tls_context *ctx, unsigned *stapled)
{
	char *text = NULL;
	size_t size = 0;
	FILE *warnings = open_memstream(&text, &size);

	if (warnings == NULL)
		abort();
	*stapled = tls_ocsp_reload(ctx, warnings);
	fclose(warnings);
	return text;
}

int
main(void)
{
	struct config cfg;
	struct tls_context *ctx = NULL;
	char path[128], *warnings;
	unsigned errors = 0, stapled = 0;
	FILE *file;

	snprintf(dir, sizeof(dir), "/tmp/subtls-ocsp-test.XXXXXX");
	if (mkdtemp(dir) == NULL || check_shell(MAKE_FILES, dir) != 0) {
		CHECK(0, "openssl made the test certificates in %s", dir);
		return check_done();
	}
	snprintf(path, sizeof(path), "%s/subtls.ini", dir);
	file = fopen(path, "w");
	if (file == NULL)
		abort();
	fprintf(file, CONFIG_TEXT, dir);
	fclose(file);

	CHECK(config_load(&cfg, path, stderr) == 0, "config loads");
	CHECK(tls_library_init() == 0, "wolfSSL initializes");
	ctx = tls_context_new(&cfg.tls, &cfg.tls.policy, "test", stderr,
	    &errors);
	CHECK(ctx != NULL, "context builds");
	CHECK(errors == 0, "context has no errors (got %u)", errors);
	if (ctx == NULL)
		return check_done();

	warnings = reload(ctx, &stapled);
	CHECK(stapled == 1, "good response: 1 stapled (got %u)", stapled);
	CHECK_BYTES(warnings, strlen(warnings), "", 0,
	    "good response: no warning");
	free(warnings);

	check_shell("printf 'not a response' > '%s/good.der'", dir);
	warnings = reload(ctx, &stapled);
	CHECK(stapled == 0, "broken file: 0 stapled (got %u)", stapled);
	CHECK(strstr(warnings, "good.der: warning: OCSP response for "
	    "/CN=reload.example.org not stapled") != NULL,
	    "broken file: warning names the file and subject");
	free(warnings);

	check_shell("cp '%1$s/saved.der' '%1$s/good.der'", dir);
	warnings = reload(ctx, &stapled);
	CHECK(stapled == 1, "restored response: 1 stapled (got %u)", stapled);
	free(warnings);

	tls_context_free(ctx);
	config_free(&cfg);
	tls_library_cleanup();
	check_shell("rm -rf '%s'", dir);
	return check_done();
}
