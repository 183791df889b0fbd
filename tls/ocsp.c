/*
 * Reading, checking and stapling one certificate's OCSP response.
 */
#include <stdlib.h>
#include <string.h>

#include "tls/staple.h"

/* After tls/internal.h, which includes wolfssl/options.h first. */
#include <wolfssl/ocsp.h>
#include <wolfssl/openssl/ocsp.h>

/* Real responses are a few KB; a larger file is not a response. */
#define RESPONSE_MAX (64 * 1024)

static unsigned char *
read_response(const char *path, size_t *len)
{
	FILE *file = fopen(path, "rbe");
	unsigned char *der;

	if (file == NULL)
		return NULL;
	der = malloc(RESPONSE_MAX);
	if (der != NULL)
		*len = fread(der, 1, RESPONSE_MAX, file);
	fclose(file);
	if (der != NULL && (*len == 0 || *len == RESPONSE_MAX)) {
		free(der);
		der = NULL;
	}
	return der;
}

static bool
to_time(const WOLFSSL_ASN1_TIME *asn1, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (asn1 == NULL || wolfSSL_ASN1_TIME_to_tm(asn1, &tm) !=
	    WOLFSSL_SUCCESS)
		return false;
	*out = timegm(&tm);
	return true;
}

/* Returns NULL when der reports the status "good" for leaf, with its
 * nextUpdate in *next_update, or the reason why not. */
static const char *
check_response(const unsigned char *der, size_t len, WOLFSSL_X509 *leaf,
    WOLFSSL_X509 *issuer, time_t now, time_t *next_update)
{
	const unsigned char *cursor = der;
	OcspResponse *response = NULL;
	WOLFSSL_OCSP_BASICRESP *basic = NULL;
	WOLFSSL_OCSP_CERTID *id = NULL;
	WOLFSSL_ASN1_TIME *this_update = NULL, *next = NULL, *revoked = NULL;
	const char *reason = NULL;
	int status = 0, crl_reason = 0;

	/* wolfSSL 5.5.4 checks thisUpdate and nextUpdate while decoding, so
	 * a stale response fails here already. */
	response = wolfSSL_d2i_OCSP_RESPONSE(NULL, &cursor, (int)len);
	if (response == NULL)
		reason = "it is stale (nextUpdate passed) or not a DER OCSP "
		    "response";
	else if (wolfSSL_OCSP_response_status(response) !=
	    OCSP_RESPONSE_STATUS_SUCCESSFUL)
		reason = "the responder did not answer successfully";
	else if ((basic = wolfSSL_OCSP_response_get1_basic(response)) == NULL)
		reason = "not a basic OCSP response";
	else if ((id = wolfSSL_OCSP_cert_to_id(NULL, leaf, issuer)) == NULL)
		reason = "cannot build the certificate's OCSP id";
	else if (wolfSSL_OCSP_resp_find_status(basic, id, &status, &crl_reason,
	    &revoked, &this_update, &next) != WOLFSSL_SUCCESS)
		reason = "it answers for another certificate";
	else if (status != V_OCSP_CERTSTATUS_GOOD)
		reason = "its certificate status is not good";
	else if (next == NULL || !to_time(next, next_update))
		reason = "it has no nextUpdate";
	else if (*next_update <= now)
		reason = "it is stale: its nextUpdate has passed";

	wolfSSL_OCSP_CERTID_free(id);
	wolfSSL_OCSP_BASICRESP_free(basic);
	wolfSSL_OCSP_RESPONSE_free(response);
	wolfSSL_ERR_clear_error();
	return reason;
}

void
tls_staple_clear(struct tls_staple *staple)
{
	free(staple->der);
	staple->der = NULL;
	staple->len = 0;
}

bool
tls_staple_load(struct tls_staple *staple, WOLFSSL_X509 *leaf,
    WOLFSSL_X509 *issuer, const char *subject, time_t now, FILE *warnings)
{
	const char *reason = NULL;
	unsigned char *der = NULL;
	time_t next_update = 0;
	size_t len = 0;

	tls_staple_clear(staple);
	if (staple->path == NULL) {
		snprintf(staple->status, sizeof(staple->status), "off");
		return false;
	}

	if (issuer == NULL)
		reason = "the certificate file does not contain the issuer, "
		    "which the response is checked against";
	else if ((der = read_response(staple->path, &len)) == NULL)
		reason = "cannot read it, or it is empty or over 64 KB";
	else
		reason = check_response(der, len, leaf, issuer, now,
		    &next_update);

	if (reason != NULL) {
		free(der);
		snprintf(staple->status, sizeof(staple->status),
		    "not stapled: %s", reason);
		fprintf(warnings, "%s: warning: OCSP response for %s not "
		    "stapled: %s\n", staple->path, subject, reason);
		return false;
	}
	staple->der = der;
	staple->len = len;
	staple->next_update = next_update;
	snprintf(staple->status, sizeof(staple->status), "on, %s, next update "
	    "in %lld hours", staple->path,
	    (long long)(next_update - now) / 3600);
	return true;
}

/* Hands wolfSSL a copy of the response, which it frees with the
 * connection.  A response that went stale since it was read is left out,
 * because a client would reject it.  noack_return sends no status. */
static int
staple_response(WOLFSSL *ssl, void *arg)
{
	const struct tls_staple *staple = arg;
	unsigned char *copy;

	if (staple->der == NULL || time(NULL) >= staple->next_update)
		return noack_return;
	copy = malloc(staple->len);
	if (copy == NULL)
		return noack_return;
	memcpy(copy, staple->der, staple->len);
	if (wolfSSL_set_tlsext_status_ocsp_resp(ssl, copy, (int)staple->len) !=
	    WOLFSSL_SUCCESS) {
		free(copy);
		return noack_return;
	}
	/* wolfSSL owns copy now, which the analyzer cannot know. */
	return 0;	/* SSL_TLSEXT_ERR_OK */ /* NOLINT(clang-analyzer-unix.Malloc) */
}

bool
tls_staple_enable(struct tls_staple *staple, WOLFSSL_CTX *ctx)
{
	bool enabled = wolfSSL_CTX_set_tlsext_status_cb(ctx,
	    staple_response) == WOLFSSL_SUCCESS &&
	    wolfSSL_CTX_set_tlsext_status_arg(ctx, staple) == WOLFSSL_SUCCESS;

	wolfSSL_ERR_clear_error();
	return enabled;
}
