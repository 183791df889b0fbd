/*
 * Whether the linked wolfSSL can apply a policy's protocol versions.
 *
 * Debian's libwolfssl 5.5.4 is built without TLS 1.0 (no
 * WOLFSSL_ALLOW_TLSV10), so profile legacy cannot work with it.  The check
 * takes the compiled-in versions as arguments so that a unit test can run
 * it for a wolfSSL with and without TLS 1.0.
 */
#ifndef TLS_VERSIONS_H
#define TLS_VERSIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"

/* Protocol versions that a wolfSSL build has compiled in. */
struct tls_versions_available {
	bool tls10, tls11, tls12, tls13;
	const char *library;		/* for messages, e.g. "5.5.4" */
};

/*
 * Writes one "file:line: message (allowed: ...)" line to errors for each
 * version from policy->min_version to policy->max_version that available
 * lacks, at the line of min_version (or of the profile that set it).
 * listener names the listener whose policy it is, or NULL for [tls].
 * Returns the number of errors written.
 */
unsigned tls_versions_check(const struct config_policy *policy,
    const struct tls_versions_available *available, const char *listener,
    FILE *errors);

/* Fills available from the linked wolfSSL. */
void tls_versions_linked(struct tls_versions_available *available);

#endif
