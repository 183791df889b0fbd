/*
 * Loading, checking and choosing the server's certificates (see
 * certificate.h for the model: one WOLFSSL_CTX per certificate, switched in
 * the servername callback).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tls/certificate.h"
#include "tls/client_hello.h"
#include "tls/ocsp.h"
#include "tls/staple.h"

/* After tls/internal.h, which includes wolfssl/options.h first. */
#include <wolfssl/openssl/evp.h>

#define CHAIN_MAX 8
#define FILE_MAX (1024 * 1024)
#define DAY_SECONDS (24 * 3600)

/* One certificate chain with its key, on its own context. */
struct certificate {
	WOLFSSL_CTX *ctx;
	const char *path;		/* owned by the config */
	bool is_ecdsa;
	int bits;
	char subject[256];
	char issuer[256];
	char sans[256];			/* DNS names joined by ", " */
	bool has_expiry;
	long long seconds_left;		/* at load; negative: expired */
	long long not_after;		/* unix seconds, when has_expiry */
	long days_left;			/* whole days of seconds_left */

	/* Kept for checking OCSP responses on reload; issuer_x509 is NULL
	 * when the file holds only the leaf. */
	WOLFSSL_X509 *leaf;
	WOLFSSL_X509 *issuer_x509;
	struct tls_staple staple;
};

struct certificate_set {
	const char *name;		/* NULL for the default set */
	struct certificate *items;
	size_t count;
};

struct tls_certificates {
	struct certificate_set fallback;	/* the [tls] certificates */
	struct certificate_set *named;		/* one per [sni NAME] */
	size_t named_count;
	bool strict_sni;
	bool tls13_allowed;		/* the listener's max_version is 1.3 */
	int verify_mode;		/* WOLFSSL_VERIFY_* for every context */
	WOLFSSL_CTX *stapling_base;	/* the base context with stapling, or
					 * NULL when no certificate has an
					 * ocsp_response */
	char cipher_list[2048];		/* the policy's, read from ctx */
};

struct load {
	const struct config_tls *policy;
	const struct config_policy *effective;	/* the listener's policy */
	const unsigned char *policy_digest;	/* see struct tls_context */
	FILE *errors;
	unsigned error_count;
	time_t now;
};

__attribute__((format(printf, 4, 5)))
static void
report(struct load *l, const struct config_position *at, bool is_error,
    const char *fmt, ...)
{
	va_list ap;

	if (at->line > 0)
		fprintf(l->errors, "%s:%u: ", at->file, at->line);
	else
		fprintf(l->errors, "%s: ", at->file);
	if (!is_error)
		fputs("warning: ", l->errors);
	va_start(ap, fmt);
	vfprintf(l->errors, fmt, ap);
	va_end(ap);
	fputc('\n', l->errors);
	if (is_error)
		l->error_count++;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *file = fopen(path, "re");
	char *text = NULL;

	if (file == NULL)
		return NULL;
	text = malloc(FILE_MAX + 1);
	if (text != NULL) {
		*len = fread(text, 1, FILE_MAX, file);
		text[*len] = '\0';
	}
	fclose(file);
	return text;
}

/* Parses the PEM certificates of path in file order.  Returns how many. */
static size_t
read_chain(const char *path, WOLFSSL_X509 **chain)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	size_t len, count = 0;
	char *text = read_file(path, &len);
	char *p = text;

	if (text == NULL)
		return 0;
	while (count < CHAIN_MAX && (p = strstr(p, begin)) != NULL) {
		char *stop = strstr(p, end);

		if (stop == NULL)
			break;
		stop += sizeof(end) - 1;
		chain[count] = wolfSSL_X509_load_certificate_buffer(
		    (const unsigned char *)p, (int)(stop - p),
		    WOLFSSL_FILETYPE_PEM);
		if (chain[count] == NULL)
			break;
		count++;
		p = stop;
	}
	free(text);
	wolfSSL_ERR_clear_error();
	return count;
}

static void
name_text(WOLFSSL_X509_NAME *name, char *out, size_t size)
{
	if (name == NULL || wolfSSL_X509_NAME_oneline(name, out, (int)size) ==
	    NULL)
		snprintf(out, size, "(none)");
}

static void
describe(struct certificate *c, WOLFSSL_X509 *leaf, time_t now)
{
	WOLFSSL_EVP_PKEY *key = wolfSSL_X509_get_pubkey(leaf);
	WOLFSSL_ASN1_TIME *not_after = wolfSSL_X509_get_notAfter(leaf);
	struct tm tm;
	size_t used = 0;
	char *san;

	name_text(wolfSSL_X509_get_subject_name(leaf), c->subject,
	    sizeof(c->subject));
	name_text(wolfSSL_X509_get_issuer_name(leaf), c->issuer,
	    sizeof(c->issuer));
	if (key != NULL) {
		c->is_ecdsa = wolfSSL_EVP_PKEY_base_id(key) == EVP_PKEY_EC;
		c->bits = wolfSSL_EVP_PKEY_bits(key);
		wolfSSL_EVP_PKEY_free(key);
	}

	c->sans[0] = '\0';
	while ((san = wolfSSL_X509_get_next_altname(leaf)) != NULL) {
		int written = snprintf(c->sans + used, sizeof(c->sans) - used,
		    "%s%s", used > 0 ? ", " : "", san);

		if (written < 0 || (size_t)written >= sizeof(c->sans) - used)
			break;
		used += (size_t)written;
	}

	memset(&tm, 0, sizeof(tm));
	c->has_expiry = not_after != NULL &&
	    wolfSSL_ASN1_TIME_to_tm(not_after, &tm) == WOLFSSL_SUCCESS;
	if (c->has_expiry) {
		c->not_after = (long long)timegm(&tm);
		c->seconds_left = c->not_after - (long long)now;
		c->days_left = (long)(c->seconds_left / DAY_SECONDS);
	}
}

/*
 * Checks that each certificate of the file is issued and signed by the one
 * after it.  The last one's issuer may be missing: a root is not sent
 * (RFC 8446 section 4.4.2), but a leaf alone whose issuer is not in the
 * file is also how a missing intermediate looks, so that gets a warning.
 */
static void
check_chain(struct load *l, const struct config_certificate *pair,
    const struct certificate *c, WOLFSSL_X509 **chain, size_t count)
{
	for (size_t i = 0; i + 1 < count; i++) {
		WOLFSSL_EVP_PKEY *issuer_key = wolfSSL_X509_get_pubkey(
		    chain[i + 1]);
		char subject[256];
		bool signed_by_next = issuer_key != NULL &&
		    wolfSSL_X509_verify(chain[i], issuer_key) ==
		    WOLFSSL_SUCCESS;

		wolfSSL_EVP_PKEY_free(issuer_key);
		wolfSSL_ERR_clear_error();
		if (signed_by_next)
			continue;
		name_text(wolfSSL_X509_get_subject_name(chain[i]), subject,
		    sizeof(subject));
		report(l, &pair->certificate_at, true, "certificate %s "
		    "(subject %s): certificate %zu of the chain is not signed "
		    "by the one after it (allowed: leaf first, then each "
		    "issuer in order)", pair->certificate, subject, i + 1);
		return;
	}
	if (count == 1 && wolfSSL_X509_NAME_cmp(
	    wolfSSL_X509_get_subject_name(chain[0]),
	    wolfSSL_X509_get_issuer_name(chain[0])) != 0)
		report(l, &pair->certificate_at, false, "certificate %s "
		    "(subject %s) contains no issuer certificate: clients "
		    "need %s in their trust store, or add the intermediate "
		    "after the leaf", pair->certificate, c->subject,
		    c->issuer);
}

static void
check_expiry(struct load *l, const struct config_certificate *pair,
    const struct certificate *c)
{
	long long warn_seconds = (long long)(l->policy->expiry_warning_ms /
	    1000);

	if (!c->has_expiry)
		report(l, &pair->certificate_at, true, "certificate %s "
		    "(subject %s): cannot read its expiry date",
		    pair->certificate, c->subject);
	else if (c->seconds_left <= 0)
		report(l, &pair->certificate_at, true, "certificate %s "
		    "(subject %s) has expired (allowed: a certificate that is "
		    "valid now)", pair->certificate, c->subject);
	else if (c->seconds_left < warn_seconds)
		report(l, &pair->certificate_at, false, "certificate %s "
		    "(subject %s) expires in %ld days, within expiry_warning "
		    "(%lld days)", pair->certificate, c->subject, c->days_left,
		    warn_seconds / DAY_SECONDS);
}

static const char *
wolfssl_error_text(char *buf, size_t size)
{
	unsigned long code = wolfSSL_ERR_get_error();

	/* An empty queue would print as "ok". */
	if (code == 0)
		snprintf(buf, size, "no PEM data of a type wolfSSL can use "
		    "(an encrypted or unsupported key?)");
	else
		wolfSSL_ERR_error_string_n(code, buf, size);
	wolfSSL_ERR_clear_error();
	return buf;
}

/* Loads chain and key onto ctx and sets what every context shares: the
 * version floor and the client certificate check. */
static bool
set_up_context(struct load *l, WOLFSSL_CTX *ctx,
    const struct config_certificate *pair, int verify_mode)
{
	const struct config_tls *policy = l->policy;
	char err[WOLFSSL_MAX_ERROR_SZ];

	if (wolfSSL_CTX_use_certificate_chain_file(ctx, pair->certificate) !=
	    WOLFSSL_SUCCESS) {
		report(l, &pair->certificate_at, true, "cannot load the "
		    "certificate chain %s: %s (expected PEM, leaf certificate "
		    "first)", pair->certificate,
		    wolfssl_error_text(err, sizeof(err)));
		return false;
	}
	if (wolfSSL_CTX_use_PrivateKey_file(ctx, pair->key,
	    WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
		report(l, &pair->key_at, true, "cannot load the private key "
		    "%s: %s (expected an unencrypted PEM key)", pair->key,
		    wolfssl_error_text(err, sizeof(err)));
		return false;
	}
	if (wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS) {
		wolfSSL_ERR_clear_error();
		report(l, &pair->key_at, true, "the private key %s does not "
		    "match the certificate %s", pair->key, pair->certificate);
		return false;
	}

	if (policy->client_ca != NULL && wolfSSL_CTX_load_verify_locations(
	    ctx, policy->client_ca, NULL) != WOLFSSL_SUCCESS) {
		report(l, &policy->client_ca_at, true, "cannot load the client "
		    "CA certificates %s: %s (expected PEM)", policy->client_ca,
		    wolfssl_error_text(err, sizeof(err)));
		return false;
	}
	wolfSSL_CTX_set_verify(ctx, verify_mode, NULL);
	/* The base context validated the groups and versions already; a
	 * session switched here keeps the listener's policy. */
	(void)wolfSSL_CTX_set1_curves_list(ctx, l->effective->groups);
	(void)wolfSSL_CTX_set_max_proto_version(ctx,
	    l->effective->max_version);
	(void)wolfSSL_CTX_set_min_proto_version(ctx,
	    l->effective->min_version);
	/* A session switched to this context must seal and open tickets with
	 * the same keys, or it would not resume. */
	(void)tls_tickets_attach(ctx, policy, l->policy_digest);
	tls_session_cache_attach(ctx, policy);
	/* With an RSA certificate on TLS 1.2, wolfSSL would ask only for RSA
	 * client certificates; list ECDSA too. */
	if (verify_mode != WOLFSSL_VERIFY_NONE)
		(void)wolfSSL_CTX_set1_sigalgs_list(ctx,
		    "RSA+SHA256:RSA+SHA384:RSA-PSS+SHA256:RSA-PSS+SHA384:"
		    "ECDSA+SHA256:ECDSA+SHA384");
	wolfSSL_ERR_clear_error();
	return true;
}

/*
 * wolfSSL 5.5.4 fails a handshake that requests status unless the issuing
 * CA is loaded into the context, so it is loaded here.  That also makes
 * the CA trusted for client certificates, which is why config/check.c
 * rejects ocsp_response together with verify_client.
 */
static void
set_up_stapling(struct load *l, struct certificate *c,
    const struct config_certificate *pair)
{
	const unsigned char *der;
	int length = 0;

	snprintf(c->staple.status, sizeof(c->staple.status), "off");
	if (pair->ocsp_response == NULL)
		return;
	c->staple.path = strdup(pair->ocsp_response);
	if (c->staple.path == NULL) {
		report(l, &pair->ocsp_response_at, true, "out of memory");
		return;
	}
	(void)tls_staple_load(&c->staple, c->leaf, c->issuer_x509, c->subject,
	    l->now, l->errors);
	if (c->issuer_x509 == NULL)
		return;

	der = wolfSSL_X509_get_der(c->issuer_x509, &length);
	if (der == NULL || wolfSSL_CTX_load_verify_buffer(c->ctx, der, length,
	    WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS ||
	    !tls_staple_enable(&c->staple, c->ctx)) {
		wolfSSL_ERR_clear_error();
		report(l, &pair->ocsp_response_at, true, "cannot enable OCSP "
		    "stapling for %s in the linked wolfSSL %s",
		    pair->certificate, wolfSSL_lib_version());
	}
}

static void
load_certificate(struct load *l, struct certificate *c,
    const struct config_certificate *pair, int verify_mode)
{
	WOLFSSL_X509 *chain[CHAIN_MAX];
	size_t count;

	c->path = pair->certificate;
	count = read_chain(pair->certificate, chain);
	if (count == 0) {
		report(l, &pair->certificate_at, true, "certificate %s: no "
		    "PEM certificate found (expected PEM, leaf certificate "
		    "first)", pair->certificate);
		return;
	}
	describe(c, chain[0], l->now);
	check_chain(l, pair, c, chain, count);
	check_expiry(l, pair, c);
	c->leaf = chain[0];
	c->issuer_x509 = count > 1 ? chain[1] : NULL;
	for (size_t i = c->issuer_x509 != NULL ? 2 : 1; i < count; i++)
		wolfSSL_X509_free(chain[i]);

	c->ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
	if (c->ctx == NULL) {
		report(l, &pair->certificate_at, true, "cannot create a "
		    "wolfSSL context: out of memory");
		return;
	}
	if (set_up_context(l, c->ctx, pair, verify_mode))
		set_up_stapling(l, c, pair);
}

static void
load_set(struct load *l, struct certificate_set *set, const char *name,
    const struct config_certificates *pairs, int verify_mode)
{
	set->name = name;
	set->items = calloc(pairs->count, sizeof(*set->items));
	if (set->items == NULL && pairs->count > 0) {
		report(l, &pairs->items[0].certificate_at, true,
		    "out of memory");
		return;
	}
	set->count = pairs->count;
	for (size_t i = 0; i < pairs->count; i++)
		load_certificate(l, &set->items[i], &pairs->items[i],
		    verify_mode);
}

/* Matches a server name against a section name; "*.example.org" stands for
 * exactly one label (RFC 6125 section 6.4.3). */
static bool
name_matches(const char *pattern, const char *name)
{
	const char *dot;

	if (strncmp(pattern, "*.", 2) != 0)
		return strcasecmp(pattern, name) == 0;
	dot = strchr(name, '.');
	return dot != NULL && dot != name && strcasecmp(pattern + 1, dot) == 0;
}

/* An exact name wins over a wildcard. */
static const struct certificate_set *
find_set(const struct tls_certificates *all, const char *name)
{
	const struct certificate_set *wildcard = NULL;

	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < all->named_count; i++) {
		const struct certificate_set *set = &all->named[i];

		if (!name_matches(set->name, name))
			continue;
		if (set->name[0] != '*')
			return set;
		if (wildcard == NULL)
			wildcard = set;
	}
	return wildcard;
}

/* ECDSA when the client can verify it, RSA otherwise; a ClientHello that
 * could not be read gets the first RSA certificate, which every client of
 * the default suites accepts. */
static const struct certificate *
choose(const struct tls_certificates *all, const struct certificate_set *set,
    const struct tls_client_hello *hello)
{
	struct tls_client_hello capped;
	bool want_ecdsa;

	/* A client that offers TLS 1.3 on a listener capped at TLS 1.2 gets
	 * TLS 1.2, so it must be judged by its TLS 1.2 suites. */
	if (hello != NULL && !all->tls13_allowed && hello->offers_tls13) {
		capped = *hello;
		capped.offers_tls13 = false;
		hello = &capped;
	}
	want_ecdsa = hello != NULL && tls_client_hello_accepts_ecdsa(hello);

	for (size_t i = 0; i < set->count; i++) {
		if (set->items[i].is_ecdsa == want_ecdsa)
			return &set->items[i];
	}
	return &set->items[0];
}

/*
 * The servername callback.  wolfSSL runs it after reading the ClientHello's
 * extensions, with or without SNI, and before it picks a suite, so the
 * suites are recomputed for the new certificate's key type here (without
 * wolfSSL_set_cipher_list TLS 1.2 ECDSA suites stay unusable).
 */
static int
select_certificate(WOLFSSL *ssl, int *alert, void *arg)
{
	const struct tls_certificates *all = arg;
	const char *name = wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME);
	const struct certificate_set *set = find_set(all, name);
	const struct certificate *chosen;

	if (set == NULL && all->strict_sni) {
		*alert = unrecognized_name;
		return fatal_return;
	}
	if (set == NULL)
		set = &all->fallback;

	chosen = choose(all, set, tls_engine_client_hello(ssl));
	if (wolfSSL_set_SSL_CTX(ssl, chosen->ctx) == NULL ||
	    wolfSSL_set_cipher_list(ssl, all->cipher_list) != WOLFSSL_SUCCESS) {
		wolfSSL_ERR_clear_error();
		*alert = internal_error;
		return fatal_return;
	}
	wolfSSL_set_verify(ssl, all->verify_mode, NULL);
	return 0;
}

static bool
trust_issuer(WOLFSSL_CTX *ctx, const struct certificate *c)
{
	const unsigned char *der;
	int length = 0;

	if (c->staple.path == NULL || c->issuer_x509 == NULL)
		return true;
	der = wolfSSL_X509_get_der(c->issuer_x509, &length);
	return der != NULL && wolfSSL_CTX_load_verify_buffer(ctx, der, length,
	    WOLFSSL_FILETYPE_ASN1) == WOLFSSL_SUCCESS;
}

/*
 * wolfSSL reads the ClientHello's status_request with the context the
 * connection starts on, before the servername callback switches, and
 * ignores it unless stapling is on there.  So when one certificate has an
 * ocsp_response, a copy of the base context gets stapling and every
 * issuer of a stapled certificate, and tls_certificates_prepare() starts
 * TLS 1.2 clients on it.  The response comes from the chosen
 * certificate's context.
 */
static void
enable_base_stapling(struct load *l, struct tls_certificates *all,
    const struct config_tls *policy)
{
	struct config_position nowhere = { .file = "subtls", .line = 0 };
	bool needed = false, trusted = true;
	WOLFSSL_CTX *ctx;

	for (size_t s = 0; s <= all->named_count; s++) {
		struct certificate_set *set = s == 0 ? &all->fallback :
		    &all->named[s - 1];

		for (size_t i = 0; i < set->count; i++)
			needed |= set->items[i].staple.path != NULL;
	}
	if (!needed)
		return;

	ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
	all->stapling_base = ctx;
	if (ctx == NULL) {
		report(l, &nowhere, true, "cannot create a wolfSSL context: "
		    "out of memory");
		return;
	}
	if (!set_up_context(l, ctx, &policy->certificates.items[0],
	    all->verify_mode))
		return;
	wolfSSL_CTX_set_servername_arg(ctx, all);
	wolfSSL_CTX_set_tlsext_servername_callback(ctx, select_certificate);

	for (size_t s = 0; s <= all->named_count; s++) {
		struct certificate_set *set = s == 0 ? &all->fallback :
		    &all->named[s - 1];

		for (size_t i = 0; i < set->count; i++)
			trusted &= trust_issuer(ctx, &set->items[i]);
	}
	if (!trusted || !tls_staple_enable(&all->fallback.items[0].staple,
	    ctx)) {
		wolfSSL_ERR_clear_error();
		report(l, &nowhere, true, "cannot enable OCSP stapling in the "
		    "linked wolfSSL %s", wolfSSL_lib_version());
	}
}

/* Reads back the suites set on ctx, in order, as wolfSSL names them. */
static void
read_cipher_list(WOLFSSL_CTX *ctx, char *out, size_t size)
{
	WOLFSSL *ssl = wolfSSL_new(ctx);
	WOLF_STACK_OF(WOLFSSL_CIPHER) *suites;
	int count;

	out[0] = '\0';
	if (ssl == NULL)
		return;
	suites = wolfSSL_get_ciphers_compat(ssl);
	count = suites != NULL ? wolfSSL_sk_SSL_CIPHER_num(suites) : 0;
	for (int i = 0; i < count; i++) {
		const char *name = wolfSSL_CIPHER_get_name(
		    wolfSSL_sk_SSL_CIPHER_value(suites, i));

		if (out[0] != '\0')
			strncat(out, ":", size - strlen(out) - 1);
		strncat(out, name, size - strlen(out) - 1);
	}
	wolfSSL_free(ssl);
}

static int
verify_mode_of(enum config_verify_client mode)
{
	switch (mode) {
	case CONFIG_VERIFY_CLIENT_OPTIONAL:
		return WOLFSSL_VERIFY_PEER;
	case CONFIG_VERIFY_CLIENT_REQUIRE:
		return WOLFSSL_VERIFY_PEER |
		    WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	case CONFIG_VERIFY_CLIENT_OFF:
		break;
	}
	return WOLFSSL_VERIFY_NONE;
}

struct tls_certificates *
tls_certificates_load(WOLFSSL_CTX *ctx, const struct config_tls *policy,
    const struct config_policy *effective,
    const unsigned char *policy_digest, FILE *errors, unsigned *error_count)
{
	struct load l = {
		.policy = policy, .effective = effective,
		.policy_digest = policy_digest, .errors = errors,
		.now = time(NULL),
	};
	struct tls_certificates *all = calloc(1, sizeof(*all));
	struct config_position nowhere = { .file = "subtls", .line = 0 };

	if (all == NULL || policy->certificates.count == 0) {
		report(&l, &nowhere, true, "no certificate to load");
		goto fail;
	}
	all->strict_sni = policy->strict_sni;
	all->tls13_allowed = effective->max_version >= CONFIG_TLS1_3;
	all->verify_mode = verify_mode_of(policy->verify_client);
	read_cipher_list(ctx, all->cipher_list, sizeof(all->cipher_list));

	load_set(&l, &all->fallback, NULL, &policy->certificates,
	    all->verify_mode);
	all->named = calloc(policy->sni_count + 1, sizeof(*all->named));
	if (all->named == NULL) {
		report(&l, &nowhere, true, "out of memory");
		goto fail;
	}
	all->named_count = policy->sni_count;
	for (size_t i = 0; i < policy->sni_count; i++)
		load_set(&l, &all->named[i], policy->snis[i].name,
		    &policy->snis[i].certificates, all->verify_mode);

	/* The base context serves when the callback does not switch. */
	if (l.error_count == 0 &&
	    set_up_context(&l, ctx, &policy->certificates.items[0],
	    all->verify_mode))
		enable_base_stapling(&l, all, policy);
	wolfSSL_CTX_set_servername_arg(ctx, all);
	wolfSSL_CTX_set_tlsext_servername_callback(ctx, select_certificate);
	if (l.error_count > 0)
		goto fail;
	return all;

fail:
	tls_certificates_free(all);
	*error_count += l.error_count;
	return NULL;
}

static void
free_set(struct certificate_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		struct certificate *c = &set->items[i];

		if (c->ctx != NULL)
			wolfSSL_CTX_free(c->ctx);
		wolfSSL_X509_free(c->leaf);
		wolfSSL_X509_free(c->issuer_x509);
		tls_staple_clear(&c->staple);
		free(c->staple.path);
	}
	free(set->items);
}

void
tls_certificates_prepare(struct tls_certificates *all, WOLFSSL *ssl,
    const struct tls_client_hello *hello)
{
	if (all == NULL || all->stapling_base == NULL || hello == NULL ||
	    (hello->offers_tls13 && all->tls13_allowed))
		return;
	if (wolfSSL_set_SSL_CTX(ssl, all->stapling_base) == NULL ||
	    wolfSSL_set_cipher_list(ssl, all->cipher_list) != WOLFSSL_SUCCESS)
		wolfSSL_ERR_clear_error();
}

void
tls_certificates_free(struct tls_certificates *all)
{
	if (all == NULL)
		return;
	if (all->stapling_base != NULL)
		wolfSSL_CTX_free(all->stapling_base);
	free_set(&all->fallback);
	for (size_t i = 0; i < all->named_count; i++)
		free_set(&all->named[i]);
	free(all->named);
	free(all);
}

bool
tls_certificates_info(const struct tls_certificates *all, size_t index,
    struct tls_certificate_info *info)
{
	const struct certificate_set *set = &all->fallback;
	const struct certificate *c;

	for (size_t i = 0; index >= set->count; i++) {
		index -= set->count;
		if (i >= all->named_count)
			return false;
		set = &all->named[i];
	}
	c = &set->items[index];
	info->path = c->path;
	info->subject = c->subject;
	info->has_expiry = c->has_expiry;
	info->not_after = c->not_after;
	return true;
}

static void
print_set(const struct certificate_set *set, FILE *out)
{
	for (size_t i = 0; i < set->count; i++) {
		const struct certificate *c = &set->items[i];

		fprintf(out, "; certificate %s%s%s\n", c->path,
		    set->name != NULL ? " for " : "",
		    set->name != NULL ? set->name : "");
		fprintf(out, ";   key: %s %d bits\n", c->is_ecdsa ? "ECDSA" :
		    "RSA", c->bits);
		fprintf(out, ";   subject: %s\n", c->subject);
		fprintf(out, ";   SANs: %s\n", c->sans[0] != '\0' ? c->sans :
		    "(none)");
		fprintf(out, ";   issuer: %s\n", c->issuer);
		fprintf(out, ";   days to expiry: %ld\n", c->days_left);
		fprintf(out, ";   OCSP stapling: %s\n", c->staple.status);
	}
}

void
tls_certificates_print(const struct tls_certificates *all, FILE *out)
{
	print_set(&all->fallback, out);
	for (size_t i = 0; i < all->named_count; i++)
		print_set(&all->named[i], out);
}

static unsigned
reload_set(struct certificate_set *set, FILE *warnings, time_t now)
{
	unsigned stapled = 0;

	for (size_t i = 0; i < set->count; i++) {
		struct certificate *c = &set->items[i];

		if (c->staple.path != NULL && c->issuer_x509 != NULL &&
		    tls_staple_load(&c->staple, c->leaf, c->issuer_x509, c->subject,
		    now, warnings))
			stapled++;
	}
	return stapled;
}

unsigned
tls_ocsp_reload(struct tls_context *ctx, FILE *warnings)
{
	struct tls_certificates *all = ctx->certificates;
	time_t now = time(NULL);
	unsigned stapled;

	stapled = reload_set(&all->fallback, warnings, now);
	for (size_t i = 0; i < all->named_count; i++)
		stapled += reload_set(&all->named[i], warnings, now);
	return stapled;
}
