/*
 * Builds a wolfSSL server context from a listener's effective policy and
 * checks that the linked wolfSSL can apply all of it.
 *
 * wolfSSL 5.5.4 silently skips cipher names it does not know and takes one
 * list for TLS 1.2 and 1.3 together, so each configured name is looked up
 * first and the merged list is read back after it is set.
 *
 * What no profile allows, and where that is enforced:
 * - NULL, export, anonymous, RC4, 3DES and static-RSA suites: the suite list
 *   is always explicit and built only from the config's vocabulary of ECDHE
 *   and TLS 1.3 suites, so wolfSSL's defaults never apply.
 * - Renegotiation: wolfSSL 5.5.4 without HAVE_SECURE_RENEGOTIATION (neither
 *   build defines it) answers a renegotiation request with a fatal alert;
 *   the build below refuses to compile if that changes.  The
 *   renegotiation_info extension (RFC 5746) is still sent.
 * - TLS 1.3 early data (RFC 8446 section 8: replayable): the maximum is set
 *   to 0 when the build supports it at all.
 * - TLS compression (CRIME): only with HAVE_LIBZ, which neither build has,
 *   and the build below refuses to compile if it appears.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tls/certificate.h"
#include "tls/context.h"
#include "tls/internal.h"
#include "tls/suite_order.h"

#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include "tls/versions.h"

#if defined(HAVE_SECURE_RENEGOTIATION) || defined(HAVE_LIBZ)
#error "this wolfSSL allows renegotiation or compression; subtls must not"
#endif

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
	const struct config_tls *policy;	/* certificate and key */
	const struct config_policy *effective;	/* versions, suites, groups */
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

/*
 * Returns list, or its copy in buf with ChaCha20-Poly1305 first when the
 * list comes from the profile and AES-NI is not in use (tls/suite_order.h).
 */
static const char *
order_for_cpu(struct build *b, const char *list, bool from_profile,
    bool chacha20_first, char *buf, size_t cap,
    const struct config_position *at)
{
	if (!from_profile || !chacha20_first)
		return list;
	if (!tls_suite_order_move_chacha20_first(list, buf, cap))
		report(b, at, "suite list too long to reorder (allowed: at "
		    "most %zu characters)", cap - 1);
	return buf;
}

/* Writes the "suite order" text of "subtls -t" to tc->suite_order. */
static void
describe_suite_order(struct tls_context *tc, const struct config_policy *p,
    bool chacha20_first, const char *reason)
{
	bool tls13 = p->max_version >= CONFIG_TLS1_3 && p->ciphersuites[0];
	bool tls12 = p->min_version <= CONFIG_TLS1_2 && p->ciphers[0];
	bool profile13 = tls13 && p->ciphersuites_from_profile;
	bool profile12 = tls12 && p->ciphers_from_profile;
	char by_cpu[100];

	snprintf(by_cpu, sizeof(by_cpu), "%s first because %s",
	    chacha20_first ? "ChaCha20-Poly1305" : "AES-GCM", reason);
	if (!tc->prefer_server_ciphers)
		snprintf(tc->suite_order, sizeof(tc->suite_order),
		    "the client's (prefer_server_ciphers = no)");
	else if (!profile13 && !profile12)
		snprintf(tc->suite_order, sizeof(tc->suite_order),
		    "the server's, as configured");
	else if (profile13 == tls13 && profile12 == tls12)
		snprintf(tc->suite_order, sizeof(tc->suite_order),
		    "the server's, %s", by_cpu);
	else
		snprintf(tc->suite_order, sizeof(tc->suite_order),
		    "the server's, %s as configured, %s with %s",
		    profile13 ? "ciphers" : "ciphersuites",
		    profile13 ? "ciphersuites" : "ciphers", by_cpu);
}

static void
set_suites(struct build *b, struct tls_context *tc)
{
	const struct config_policy *p = b->effective;
	char list[2048] = "";
	char tls13_buf[512], tls12_buf[1024];
	char err[WOLFSSL_MAX_ERROR_SZ];
	unsigned before = b->error_count;
	const char *reason;
	bool chacha20_first = tls_suite_order_chacha20_first(&reason);
	const char *tls13 = order_for_cpu(b, p->ciphersuites,
	    p->ciphersuites_from_profile, chacha20_first, tls13_buf,
	    sizeof(tls13_buf), &p->ciphersuites_at);
	const char *tls12 = order_for_cpu(b, p->ciphers,
	    p->ciphers_from_profile, chacha20_first, tls12_buf,
	    sizeof(tls12_buf), &p->ciphers_at);
	WOLFSSL_CTX *ctx = tc->ctx;
	int rc;

	describe_suite_order(tc, p, chacha20_first, reason);

	/* Suites of a version outside the range are left out, so that the
	 * list read back for "subtls -t" is what can be negotiated. */
	if (p->max_version >= CONFIG_TLS1_3)
		append_suites(b, list, sizeof(list), tls13,
		    &p->ciphersuites_at, true);
	if (p->min_version <= CONFIG_TLS1_2)
		append_suites(b, list, sizeof(list), tls12,
		    &p->ciphers_at, false);
	if (b->error_count != before)
		return;
	if (list[0] == '\0') {
		report(b, &p->ciphers_at, "no cipher suite for the versions "
		    "%s to %s (allowed: ciphers for TLS 1.2 and below, "
		    "ciphersuites for TLS 1.3)",
		    config_tls_version_name(p->min_version),
		    config_tls_version_name(p->max_version));
		return;
	}

	rc = wolfSSL_CTX_set_cipher_list(ctx, list);
	if (rc != WOLFSSL_SUCCESS)
		report(b, &p->ciphers_at, "wolfSSL rejected the cipher list "
		    "'%s': %s", list, last_wolfssl_error(rc, err, sizeof(err)));
	if (!p->prefer_server_ciphers)
		wolfSSL_CTX_UseClientSuites(ctx);
}

static void
set_groups(struct build *b, WOLFSSL_CTX *ctx)
{
	const struct config_policy *p = b->effective;
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

static int
wolfssl_floor(int version)
{
	switch (version) {
	case CONFIG_TLS1_0:
		return WOLFSSL_TLSV1;
	case CONFIG_TLS1_1:
		return WOLFSSL_TLSV1_1;
	case CONFIG_TLS1_2:
		return WOLFSSL_TLSV1_2;
	default:
		return WOLFSSL_TLSV1_3;
	}
}

/* The default method also speaks TLS 1.1: the floor is not optional.  The
 * ceiling goes first because wolfSSL 5.5.4 recomputes the floor from it. */
static void
set_versions(struct build *b, WOLFSSL_CTX *ctx, const char *listener)
{
	const struct config_policy *p = b->effective;
	struct tls_versions_available available;
	unsigned missing;

	tls_versions_linked(&available);
	missing = tls_versions_check(p, &available, listener, b->errors);
	b->error_count += missing;
	if (missing > 0)
		return;

	if (wolfSSL_CTX_set_max_proto_version(ctx, p->max_version) !=
	    WOLFSSL_SUCCESS)
		report(b, &p->max_version_at, "the linked wolfSSL %s cannot "
		    "set %s as the maximum version", wolfSSL_lib_version(),
		    config_tls_version_name(p->max_version));
	if (wolfSSL_CTX_SetMinVersion(ctx, wolfssl_floor(p->min_version)) !=
	    WOLFSSL_SUCCESS)
		report(b, &p->min_version_at, "the linked wolfSSL %s cannot "
		    "set %s as the minimum version", wolfSSL_lib_version(),
		    config_tls_version_name(p->min_version));
	wolfSSL_ERR_clear_error();
#ifdef WOLFSSL_EARLY_DATA
	wolfSSL_CTX_set_max_early_data(ctx, 0);
#endif
}

/* Stores the ALPN list in the form wolfSSL_UseALPN() takes: ids joined by
 * ','. */
static void
set_alpn(struct build *b, struct tls_context *tc)
{
	const char *alpn = b->effective->alpn != NULL ? b->effective->alpn : "";

	tc->alpn = strdup(alpn);
	if (tc->alpn == NULL) {
		report(b, &b->effective->alpn_at, "out of memory");
		return;
	}
	for (char *c = tc->alpn; *c != '\0'; c++)
		if (*c == ':')
			*c = ',';
}

static void
hash_text(wc_Sha256 *sha, const char *label, const char *text)
{
	const char *value = text != NULL ? text : "";

	wc_Sha256Update(sha, (const byte *)label, (word32)strlen(label) + 1);
	wc_Sha256Update(sha, (const byte *)value, (word32)strlen(value) + 1);
}

/*
 * Computes the policy digest that tickets and cached sessions are bound to
 * (see struct tls_context).  It covers everything a full handshake would
 * enforce that a resumption skips: versions, suites, groups, ALPN and the
 * client certificate check, the client CA file's contents included, so a
 * replaced CA invalidates sessions made under the old one.  Replicas with
 * the same policy compute the same digest, so they still resume each
 * other's tickets.
 */
static void
compute_policy_digest(const struct config_tls *tls,
    const struct config_policy *policy, unsigned char *digest)
{
	char numbers[96];
	wc_Sha256 sha;
	FILE *ca;

	wc_InitSha256(&sha);
	snprintf(numbers, sizeof(numbers), "%d %d %d %d %d", policy->profile,
	    policy->min_version, policy->max_version,
	    policy->prefer_server_ciphers, (int)tls->verify_client);
	hash_text(&sha, "numbers", numbers);
	hash_text(&sha, "ciphers", policy->ciphers);
	hash_text(&sha, "ciphersuites", policy->ciphersuites);
	hash_text(&sha, "groups", policy->groups);
	hash_text(&sha, "alpn", policy->alpn);
	hash_text(&sha, "client_ca", tls->client_ca);
	ca = tls->client_ca != NULL ? fopen(tls->client_ca, "rb") : NULL;
	if (ca != NULL) {
		unsigned char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), ca)) > 0)
			wc_Sha256Update(&sha, buf, (word32)n);
		fclose(ca);
	}
	wc_Sha256Final(&sha, digest);
	wc_Sha256Free(&sha);
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

void
tls_thread_cleanup(void)
{
#ifdef FP_ECC
	wc_ecc_fp_free();
#endif
}

const char *
tls_library_version(void)
{
	return wolfSSL_lib_version();
}

struct tls_context *
tls_context_new(const struct config_tls *tls,
    const struct config_policy *policy, const char *listener, FILE *errors,
    unsigned *error_count)
{
	struct build b = { .policy = tls, .effective = policy,
	    .errors = errors };
	struct tls_context *tc;

	tc = calloc(1, sizeof(*tc));
	if (tc != NULL)
		tc->references = 1;
	if (tc == NULL || (tc->ctx = wolfSSL_CTX_new(
	    wolfSSLv23_server_method())) == NULL) {
		report(&b, &policy->profile_at, "cannot create a wolfSSL "
		    "context: out of memory");
		goto fail;
	}

	tc->min_version = policy->min_version;
	tc->max_version = policy->max_version;
	tc->profile = policy->profile;
	tc->prefer_server_ciphers = policy->prefer_server_ciphers != 0;

	set_versions(&b, tc->ctx, listener);
	set_suites(&b, tc);
	set_groups(&b, tc->ctx);
	set_alpn(&b, tc);
	compute_policy_digest(tls, policy, tc->policy_digest);
	if (tls_tickets_attach(tc->ctx, tls, tc->policy_digest) != 0)
		report(&b, &policy->profile_at, "the linked wolfSSL %s "
		    "cannot set the session ticket callback",
		    wolfSSL_lib_version());
	tls_session_cache_attach(tc->ctx, tls);
	if (b.error_count > 0)
		goto fail;
	tc->certificates = tls_certificates_load(tc->ctx, tls, policy,
	    tc->policy_digest, errors, error_count);
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
	atomic_fetch_add(&tc->references, 1);
	return tc;
}

void
tls_context_free(struct tls_context *tc)
{
	if (tc == NULL || atomic_fetch_sub(&tc->references, 1) > 1)
		return;
	if (tc->ctx != NULL)
		wolfSSL_CTX_free(tc->ctx);
	tls_certificates_free(tc->certificates);
	free(tc->alpn);
	free(tc);
}

/* Writes the suites of one protocol family from wolfSSL's list, which is
 * in server preference order.  wolfSSL_CIPHER_get_name() returns IANA names
 * in one build and wolfSSL's own in the other, so each name goes through its
 * suite bytes to the IANA name, which both builds then print alike. */
static void
print_suites(FILE *out, WOLF_STACK_OF(WOLFSSL_CIPHER) *suites, bool tls13)
{
	int count = suites != NULL ? wolfSSL_sk_SSL_CIPHER_num(suites) : 0;
	bool any = false;

	fprintf(out, ";   %s suites:", tls13 ? "TLS 1.3" : "TLS 1.2 and below");
	for (int i = 0; i < count; i++) {
		const char *name = wolfSSL_CIPHER_get_name(
		    wolfSSL_sk_SSL_CIPHER_value(suites, i));
		const char *iana = NULL;
		unsigned char suite0 = 0, suite = 0;
		int flags = 0;

		bool is_tls13;

		/* TLS 1.3 suites are 0x13,0x0X (RFC 8446 appendix B.4).  A name
		 * that wolfSSL cannot look up is an IANA name already, and only
		 * TLS 1.2 and older IANA names contain "_WITH_". */
		if (wolfSSL_get_cipher_suite_from_name(name, &suite0, &suite,
		    &flags) == 0) {
			iana = wolfSSL_get_cipher_name_iana_from_suite(suite0,
			    suite);
			is_tls13 = suite0 == 0x13;
		} else {
			is_tls13 = strstr(name, "_WITH_") == NULL;
		}
		if (is_tls13 != tls13)
			continue;
		fprintf(out, "\n;     %s", iana != NULL ? iana : name);
		any = true;
	}
	fprintf(out, "%s\n", any ? "" : " none");
}

void
tls_context_print(struct tls_context *tc, const char *listener,
    const struct config_policy *policy, FILE *out)
{
	WOLFSSL *ssl = wolfSSL_new(tc->ctx);

	fprintf(out, "; listener %s: policy as applied by wolfSSL %s\n",
	    listener, wolfSSL_lib_version());
	fprintf(out, ";   profile: %s\n", config_profile_name(tc->profile));
	fprintf(out, ";   protocol versions: %s to %s\n",
	    config_tls_version_name(tc->min_version),
	    config_tls_version_name(tc->max_version));
	fprintf(out, ";   suite order: %s\n", tc->suite_order);
	if (ssl == NULL) {
		fprintf(out, ";   cannot read the suites back: out of memory\n");
		return;
	}
	/* The per-connection list is what a handshake will offer. */
	print_suites(out, wolfSSL_get_ciphers_compat(ssl), true);
	print_suites(out, wolfSSL_get_ciphers_compat(ssl), false);
	fprintf(out, ";   groups: %s\n", policy->groups);
	fprintf(out, ";   alpn: %s (a client offering only other protocols "
	    "is refused)\n", tc->alpn[0] != '\0' ? tc->alpn : "none");
	wolfSSL_free(ssl);
	tls_certificates_print(tc->certificates, out);
}

bool
tls_context_is_weakened(const struct tls_context *tc)
{
	return tc->profile == CONFIG_PROFILE_LEGACY;
}

bool
tls_context_certificate(const struct tls_context *tc, size_t index,
    struct tls_certificate_info *info)
{
	return tls_certificates_info(tc->certificates, index, info);
}
