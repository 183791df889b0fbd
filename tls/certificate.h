/*
 * The server's certificates: the default ones of [tls] and those of each
 * [sni NAME] section, and the choice of one per connection.
 *
 * Each certificate gets its own WOLFSSL_CTX, because a wolfSSL 5.5.4
 * context contains one certificate.  The servername callback, which wolfSSL
 * also runs for a ClientHello without SNI, picks the certificate set by
 * name and then the ECDSA or RSA certificate by what the ClientHello
 * offers, and moves the connection onto that certificate's context.
 * Internal to tls/.
 */
#ifndef TLS_CERTIFICATE_H
#define TLS_CERTIFICATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"
#include "tls/context.h"
#include "tls/internal.h"

struct tls_certificates;

/*
 * Loads and checks every certificate of policy and installs the selection
 * callback on ctx, whose suites must already be set.  The first default
 * certificate is also loaded onto ctx itself.  Every problem is written to
 * errors as "file:line: ..." with the file and subject.  Errors are
 * unreadable files, a key that does not match, a broken chain and an
 * expired certificate.  Warnings are expiry within expiry_warning, a chain
 * of one certificate whose issuer is not in the file, and an unusable OCSP
 * response.  Returns NULL and adds the number of errors to *error_count on
 * failure.
 */
struct tls_certificates *tls_certificates_load(WOLFSSL_CTX *ctx,
    const struct config_tls *policy, const struct config_policy *effective,
    const unsigned char *policy_digest, FILE *errors, unsigned *error_count);

void tls_certificates_free(struct tls_certificates *certificates);

/*
 * Prepares ssl for the ClientHello that hello describes (NULL: it could
 * not be read), before wolfSSL parses it.  A TLS 1.2 client may get the
 * context that staples OCSP responses.  wolfSSL 5.5.4 leaks about 5 KB
 * per TLS 1.3 handshake that requests status from a context with
 * stapling, so TLS 1.3 clients never meet one.
 */
void tls_certificates_prepare(struct tls_certificates *certificates,
    WOLFSSL *ssl, const struct tls_client_hello *hello);

/* Fills info for the certificate at index, counting the [tls] ones first
 * and then each [sni NAME] section's.  Returns false past the last one. */
bool tls_certificates_info(const struct tls_certificates *certificates,
    size_t index, struct tls_certificate_info *info);

/* Writes one comment block per certificate: key type and size, subject,
 * SANs, issuer, days to expiry and OCSP stapling. */
void tls_certificates_print(const struct tls_certificates *certificates,
    FILE *out);

#endif
