/*
 * The server-side wolfSSL context built from a listener's effective policy.
 *
 * Listeners with equal policies share one context (proxy/main.c).  It owns
 * the certificate chain and key, the ALPN list,
 * the version floor and an explicit AEAD-only suite list: wolfSSL's defaults
 * would accept TLS 1.1 and RC4, 3DES and NULL suites, so nothing here is left
 * to them.
 */
#ifndef TLS_CONTEXT_H
#define TLS_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

struct tls_context;

/* Initializes wolfSSL once per process, before any other call here. */
int tls_library_init(void);
void tls_library_cleanup(void);

/* Frees what wolfSSL keeps per thread; a worker thread calls it before it
 * ends.  Debian's wolfSSL package keeps a fixed-point ECC cache per thread
 * that uses ECC (FP_ECC), which stays allocated after the thread exits
 * unless the thread frees it. */
void tls_thread_cleanup(void);

/* The linked wolfSSL's version, e.g. "5.5.4". */
const char *tls_library_version(void);

/*
 * Builds the context for policy with the certificate and key of tls.
 * listener names the listener in messages (NULL for [tls]).  Every problem
 * (unreadable PEM, a key that does not match the certificate, a suite,
 * group or protocol version the linked wolfSSL lacks) is written to errors
 * as "file:line: message" with the position of the offending key.  Returns
 * NULL and adds the number of errors to *error_count on failure.
 */
struct tls_context *tls_context_new(const struct config_tls *tls,
    const struct config_policy *policy, const char *listener, FILE *errors,
    unsigned *error_count);

/*
 * A context is reference-counted, so that a reload can replace the server's
 * context while sessions in flight keep theirs.  tls_context_new() returns
 * one reference, and tls_context_ref() adds one (each engine takes one).
 * tls_context_free() drops one and frees the context with the last.
 */
struct tls_context *tls_context_ref(struct tls_context *ctx);
void tls_context_free(struct tls_context *ctx);

/*
 * Writes the effective policy of listener as wolfSSL applies it: profile,
 * version range, TLS 1.3 and TLS 1.2 suites in server preference order (read
 * back from wolfSSL), groups and ALPN, as comment lines that diff cleanly
 * between hosts.
 */
void tls_context_print(struct tls_context *ctx, const char *listener,
    const struct config_policy *policy, FILE *out);

/* One loaded certificate, for the metrics and the readiness check.  The
 * strings belong to the context. */
struct tls_certificate_info {
	const char *path;		/* the certificate line's file */
	const char *subject;		/* the leaf's subject, one line */
	bool has_expiry;		/* notAfter could be read */
	long long not_after;		/* the leaf's notAfter, unix seconds */
};

/* Fills info for the certificate at index (0, 1, ...) of ctx.  Returns
 * false past the last one. */
bool tls_context_certificate(const struct tls_context *ctx, size_t index,
    struct tls_certificate_info *info);

/* Returns whether ctx allows what profile legacy adds (TLS 1.0 and 1.1,
 * AES-CBC suites), for the warning at every start. */
bool tls_context_is_weakened(const struct tls_context *ctx);

#endif
