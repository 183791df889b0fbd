/* Definitions shared by the files of tls/ and by nothing else. */
#ifndef TLS_INTERNAL_H
#define TLS_INTERNAL_H

/* options.h first: without it wolfSSL's struct layouts differ. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

struct tls_context {
	WOLFSSL_CTX *ctx;
	int min_version;	/* CONFIG_TLS1_2 or CONFIG_TLS1_3 */
};

#endif
