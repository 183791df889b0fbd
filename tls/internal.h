/* Definitions shared by the files of tls/ and by nothing else. */
#ifndef TLS_INTERNAL_H
#define TLS_INTERNAL_H

/* options.h first: without it wolfSSL's struct layouts differ. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

struct tls_certificates;
struct tls_client_hello;

struct tls_context {
	WOLFSSL_CTX *ctx;
	int min_version;	/* CONFIG_TLS1_2 or CONFIG_TLS1_3 */
	struct tls_certificates *certificates;	/* certificate.c */
};

/* Returns what the ClientHello of the engine behind ssl offers, or NULL
 * when it was not parsed (engine.c). */
const struct tls_client_hello *tls_engine_client_hello(WOLFSSL *ssl);

#endif
