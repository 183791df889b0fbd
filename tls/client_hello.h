/*
 * A small reader of the TLS ClientHello, for choosing between an ECDSA and
 * an RSA certificate.  wolfSSL 5.5.4 does not show the client's cipher
 * suites or signature algorithms to the servername callback, so the engine
 * collects the first records the client sends and hands them here.
 *
 * Pure code: bytes in, facts out; no wolfSSL, no allocation.
 */
#ifndef TLS_CLIENT_HELLO_H
#define TLS_CLIENT_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The facts of one ClientHello that certificate selection needs. */
struct tls_client_hello {
	bool offers_tls13;		/* supported_versions lists 0x0304 */
	bool offers_ecdsa_suite;	/* a TLS 1.2 ECDHE-ECDSA suite */
	bool offers_rsa_suite;		/* a TLS 1.2 ECDHE-RSA suite */
	bool has_signature_algorithms;	/* the extension is present */
	bool ecdsa_signatures;		/* it lists ecdsa_secp*r1_sha* */
	bool rsa_signatures;		/* it lists rsa_pkcs1 or rsa_pss_rsae */
};

enum tls_client_hello_result {
	TLS_CLIENT_HELLO_INCOMPLETE,	/* more bytes are needed */
	TLS_CLIENT_HELLO_PARSED,
	TLS_CLIENT_HELLO_INVALID,	/* not a ClientHello subtls can read */
};

/*
 * Parses the TLS records in data[0..len) that carry the ClientHello, which
 * may span several handshake records.  Fills *hello when the result is
 * TLS_CLIENT_HELLO_PARSED.
 */
enum tls_client_hello_result tls_client_hello_parse(const uint8_t *data,
    size_t len, struct tls_client_hello *hello);

/*
 * Returns true when the client can verify an ECDSA certificate: it offers
 * TLS 1.3 or an ECDHE-ECDSA suite, and its signature_algorithms (when
 * present) list an ECDSA scheme.  Without the extension a TLS 1.2 client
 * that offers an ECDHE-ECDSA suite accepts ECDSA with SHA-1 (RFC 5246
 * section 7.4.1.4.1).
 */
bool tls_client_hello_accepts_ecdsa(const struct tls_client_hello *hello);

#endif
