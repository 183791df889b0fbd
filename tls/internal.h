/* Definitions shared by the files of tls/ and by nothing else. */
#ifndef TLS_INTERNAL_H
#define TLS_INTERNAL_H

/* options.h first: without it wolfSSL's struct layouts differ. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <stdbool.h>

struct tls_context {
	WOLFSSL_CTX *ctx;
	int min_version;	/* CONFIG_TLS1_0 to CONFIG_TLS1_3 */
	int max_version;
	int profile;		/* enum config_profile */
	bool prefer_server_ciphers;
	char *alpn;		/* ids joined by ',' for wolfSSL_UseALPN(); ""
				 * for none */
};

#endif
