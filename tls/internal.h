/* Definitions shared by the files of tls/ and by nothing else. */
#ifndef TLS_INTERNAL_H
#define TLS_INTERNAL_H

/* options.h first: without it wolfSSL's struct layouts differ. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <stdatomic.h>
#include <stdbool.h>

#include "config/config.h"

struct tls_certificates;
struct tls_client_hello;

#define TLS_POLICY_DIGEST_SIZE 32

struct tls_context {
	WOLFSSL_CTX *ctx;
	int min_version;	/* CONFIG_TLS1_0 to CONFIG_TLS1_3 */
	int max_version;
	int profile;		/* enum config_profile */
	bool prefer_server_ciphers;
	char suite_order[256];	/* for "subtls -t": whose order, and why */
	char *alpn;		/* ids joined by ',' for wolfSSL_UseALPN(); ""
				 * for none */
	atomic_uint references;	/* the server's and one per engine; engines
				 * of several worker threads share it */
	struct tls_certificates *certificates;	/* certificate.c */
	/* SHA-256 over what a resumed session must still satisfy (suites,
	 * versions, client certificate checks): tickets and cached sessions
	 * made under another policy do not resume here. */
	unsigned char policy_digest[TLS_POLICY_DIGEST_SIZE];
};

/* Sets the ticket callback (tickets.c) and the ticket lifetime on ctx, and
 * binds its tickets to policy_digest (TLS_POLICY_DIGEST_SIZE bytes that
 * must outlive ctx).  Returns -1 when wolfSSL refuses. */
int tls_tickets_attach(WOLFSSL_CTX *ctx, const struct config_tls *policy,
    const unsigned char *policy_digest);

/* The policy digest that tls_tickets_attach() bound to the context of ssl,
 * or NULL. */
const unsigned char *tls_tickets_policy_digest(WOLFSSL *ssl);

/* Stores TLS 1.2 sessions of ctx in the process's session-ID cache
 * (session_cache.c), which keeps them for ticket_lifetime. */
void tls_session_cache_attach(WOLFSSL_CTX *ctx,
    const struct config_tls *policy);

/* Returns what the ClientHello of the engine behind ssl offers, or NULL
 * when it was not parsed (engine.c). */
const struct tls_client_hello *tls_engine_client_hello(WOLFSSL *ssl);

#endif
