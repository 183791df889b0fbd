/*
 * One certificate's OCSP response as tls/ keeps it, internal to tls/.
 */
#ifndef TLS_STAPLE_H
#define TLS_STAPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "tls/internal.h"

struct tls_staple {
	char *path;			/* the ocsp_response file, or NULL */
	unsigned char *der;		/* the response to staple, or NULL */
	size_t len;
	time_t next_update;		/* stop stapling after this */
	char status[160];		/* for subtls -t: "on, ..." or why not */
};

/*
 * Reads staple->path and keeps the response when it is a successful OCSP
 * response with a status "good" for leaf as issued by issuer, and its
 * nextUpdate is after now.  Otherwise drops any older response, writes
 * the reason to warnings as "path: warning: ..." naming subject, and
 * returns false.
 */
bool tls_staple_load(struct tls_staple *staple, WOLFSSL_X509 *leaf,
    WOLFSSL_X509 *issuer, const char *subject, time_t now, FILE *warnings);

/* Installs the status callback that staples the response on ctx. */
bool tls_staple_enable(struct tls_staple *staple, WOLFSSL_CTX *ctx);

void tls_staple_clear(struct tls_staple *staple);

#endif
