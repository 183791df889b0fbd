/*
 * OCSP stapling from DER response files (RFC 6066 section 8, RFC 6960).
 *
 * The operator's tooling fetches each response and writes it to the file
 * named by ocsp_response.  subtls reads it when it builds the context and
 * when tls_ocsp_reload() runs, and staples it only while it answers for the
 * certificate it follows and its nextUpdate has not passed.
 */
#ifndef TLS_OCSP_H
#define TLS_OCSP_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

struct tls_context;

/*
 * Re-reads the OCSP response file of every certificate of ctx.  A response
 * that cannot be read, answers for another certificate, or is stale
 * replaces the old one with nothing, and is reported to warnings as
 * "file: warning: ..." with the certificate's subject.  Returns the number
 * of certificates that now have a response to staple.  Sessions in flight
 * keep what they were sent.
 */
unsigned tls_ocsp_reload(struct tls_context *ctx, FILE *warnings);

#endif
