/*
 * Builds the wolfSSL server context from the [tls] policy and checks that the
 * linked wolfSSL can apply all of it.
 *
 * wolfSSL 5.5.4 silently skips cipher names it does not know and takes one
 * list for TLS 1.2 and 1.3 together, so each configured name is looked up
 * first and the merged list is read back after it is set.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tls/certificate.h"
#include "tls/context.h"
#include "tls/internal.h"

/* IANA names of the TLS 1.3 suites as the config writes them, and wolfSSL's. */
static const struct {
	const char *iana;
	const char *wolfssl;
} tls13_suites[] = {
	{ "TLS_AES_128_GCM_SHA256", "TLS13-AES128-GCM-SHA256" },
	{ "TLS_AES_256_GCM_SHA384", "TLS13-AES256-GCM-SHA384" },
	{ "TLS_CHACHA20_POLY1305_SHA256", "TLS13-CHACHA20-POLY1305-SHA256" },
};

struct build {
	const struct config_tls *policy;
	FILE *errors;
	unsigned error_count;
};

__attribute__((format(printf, 3, 4)))
static void
report(struct build *b, const struct config_position *at, const char *fmt, ...)
{
	va_list ap;

	if (at->line > 0)
		fprintf(b->errors, "%s:%u: ", at->file, at->line);
	else if (at->file != NULL)
		fprintf(b->errors, "%s: ", at->file);
	va_start(ap, fmt);
	vfprintf(b->errors, fmt, ap);
	va_end(ap);
	fputc('\n', b->errors);
	b->error_count++;
}

/*
 * The text of the newest wolfSSL error, which also clears the error queue.
 * A call that fails without queuing an error returns 0 (WOLFSSL_FAILURE),
 * whose text would be "ok", so that case gets a description of its own.
 */
static const char *
last_wolfssl_error(int code, char *buf, size_t cap)
{
	unsigned long queued = wolfSSL_ERR_get_error();

	if (queued == 0 && code >= 0)
		snprintf(buf, cap, "no PEM data of a type wolfSSL can use");
	else
		wolfSSL_ERR_error_string_n(queued != 0 ? queued :
		    (unsigned long)code, buf, cap);
	wolfSSL_ERR_clear_error();
	return buf;
}

static const char *
tls13_wolfssl_name(const char *iana)
{
	for (size_t i = 0; i < sizeof(tls13_suites) / sizeof(tls13_suites[0]); i++)
		if (strcmp(tls13_suites[i].iana, iana) == 0)
			return tls13_suites[i].wolfssl;
	return NULL;
}

/*
 * Appends the wolfSSL names of a ':'-separated config list to out, checking
 * that the linked wolfSSL has each suite.
 */
static void
append_suites(struct build *b, char *out, size_t cap, const char *list,
    const struct config_position *at, bool tls13)
{
	char *copy = strdup(list);
	char *save = NULL;

	if (copy == NULL) {
		report(b, at, "out of memory");
		return;
	}
	for (char *name = strtok_r(copy, ":", &save); name != NULL;
	    name = strtok_r(NULL, ":", &save)) {
		const char *native = tls13 ? tls13_wolfssl_name(name) : name;
		unsigned char suite0, suite;
		int flags = 0;

		if (native == NULL || wolfSSL_get_cipher_suite_from_name(native,
		    &suite0, &suite, &flags) != 0) {
			report(b, at, "cipher suite '%s' is not available in "
			    "the linked wolfSSL %s", name, wolfSSL_lib_version());
			continue;
		}
		if (out[0] != '\0')
			strncat(out, ":", cap - strlen(out) - 1);
		strncat(out, native, cap - strlen(out) - 1);
	}
	free(copy);
}

static void
set_suites(struct build *b, WOLFSSL_CTX *ctx)
{
	const struct config_tls *p = b->policy;
	char list[2048] = "";
	char err[WOLFSSL_MAX_ERROR_SZ];
	unsigned before = b->error_count;
	int rc;

	append_suites(b, list, sizeof(list), p->ciphersuites,
	    &p->ciphersuites_at, true);
	/* A TLS 1.3 floor makes the TLS 1.2 list moot; keep it out of effect. */
	if (p->min_version <= CONFIG_TLS1_2)
		append_suites(b, list, sizeof(list), p->ciphers,
		    &p->ciphers_at, false);
	if (b->error_count != before)
		return;

	rc = wolfSSL_CTX_set_cipher_list(ctx, list);
	if (rc != WOLFSSL_SUCCESS)
		report(b, &p->ciphers_at, "wolfSSL rejected the cipher list "
		    "'%s': %s", list, last_wolfssl_error(rc, err, sizeof(err)));
}

static void
set_groups(struct build *b, WOLFSSL_CTX *ctx)
{
	const struct config_tls *p = b->policy;
	char err[WOLFSSL_MAX_ERROR_SZ];
	int rc;

	/*
	 * wolfSSL 5.5.4: set1_groups_list refuses any list that names X25519,
	 * while set1_curves_list takes it and sets the same groups.
	 */
	rc = wolfSSL_CTX_set1_curves_list(ctx, p->groups);
	if (rc != WOLFSSL_SUCCESS)
		report(b, &p->groups_at, "the linked wolfSSL %s rejected the "
		    "groups '%s': %s", wolfSSL_lib_version(), p->groups,
		    last_wolfssl_error(rc, err, sizeof(err)));
}

int
tls_library_init(void)
{
	return wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -1;
}

void
tls_library_cleanup(void)
{
	wolfSSL_Cleanup();
}

const char *
tls_library_version(void)
{
	return wolfSSL_lib_version();
}

struct tls_context *
tls_context_new(const struct config_tls *policy, FILE *errors,
    unsigned *error_count)
{
	struct build b = { .policy = policy, .errors = errors };
	struct tls_context *tc;
	int floor = policy->min_version >= CONFIG_TLS1_3 ?
	    WOLFSSL_TLSV1_3 : WOLFSSL_TLSV1_2;

	tc = calloc(1, sizeof(*tc));
	if (tc != NULL)
		tc->references = 1;
	if (tc == NULL || (tc->ctx = wolfSSL_CTX_new(
	    wolfSSLv23_server_method())) == NULL) {
		report(&b, &policy->min_version_at, "cannot create a wolfSSL "
		    "context: out of memory");
		goto fail;
	}

	tc->min_version = policy->min_version;

	/* The default method also speaks TLS 1.1: the floor is not optional. */
	if (wolfSSL_CTX_SetMinVersion(tc->ctx, floor) != WOLFSSL_SUCCESS)
		report(&b, &policy->min_version_at, "the linked wolfSSL %s "
		    "cannot set %s as the minimum version", wolfSSL_lib_version(),
		    config_tls_version_name(policy->min_version));
	set_suites(&b, tc->ctx);
	set_groups(&b, tc->ctx);
	if (tls_tickets_attach(tc->ctx, policy) != 0)
		report(&b, &policy->min_version_at, "the linked wolfSSL %s "
		    "cannot set the session ticket callback",
		    wolfSSL_lib_version());
	tls_session_cache_attach(tc->ctx, policy);
	if (b.error_count > 0)
		goto fail;
	tc->certificates = tls_certificates_load(tc->ctx, policy, errors,
	    error_count);
	if (tc->certificates == NULL)
		goto fail;
	return tc;

fail:
	tls_context_free(tc);
	*error_count += b.error_count;
	return NULL;
}

struct tls_context *
tls_context_ref(struct tls_context *tc)
{
	tc->references++;
	return tc;
}

void
tls_context_free(struct tls_context *tc)
{
	if (tc == NULL || --tc->references > 0)
		return;
	if (tc->ctx != NULL)
		wolfSSL_CTX_free(tc->ctx);
	tls_certificates_free(tc->certificates);
	free(tc);
}

void
tls_context_print(struct tls_context *tc, FILE *out)
{
	WOLFSSL *ssl = wolfSSL_new(tc->ctx);
	WOLF_STACK_OF(WOLFSSL_CIPHER) *suites;
	int count;

	fprintf(out, "; as applied by wolfSSL %s\n", wolfSSL_lib_version());
	fprintf(out, "; protocol versions: %s to TLS1.3\n",
	    config_tls_version_name(tc->min_version));
	if (ssl == NULL) {
		fprintf(out, "; cannot read the suites back: out of memory\n");
		return;
	}
	/* The per-connection list is what a handshake will offer. */
	suites = wolfSSL_get_ciphers_compat(ssl);
	count = suites != NULL ? wolfSSL_sk_SSL_CIPHER_num(suites) : 0;
	fprintf(out, "; suites in server preference order:\n");
	for (int i = 0; i < count; i++)
		fprintf(out, ";   %s\n", wolfSSL_CIPHER_get_name(
		    wolfSSL_sk_SSL_CIPHER_value(suites, i)));
	wolfSSL_free(ssl);
	tls_certificates_print(tc->certificates, out);
}
