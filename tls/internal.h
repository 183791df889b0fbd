/* Definitions shared by the files of tls/ and by nothing else. */
#ifndef TLS_INTERNAL_H
#define TLS_INTERNAL_H

/* options.h first: without it wolfSSL's struct layouts differ. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

struct tls_context {
	WOLFSSL_CTX *ctx;
};

#endif
