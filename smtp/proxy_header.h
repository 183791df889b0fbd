/*
 * PROXY protocol headers (HAProxy's proxy-protocol.txt, versions 1 and 2) that
 * tell the backend the real client address.  Postfix reads them with
 * smtpd_upstream_proxy_protocol = haproxy (v1 since 2.10, v2 since 3.5).
 */
#ifndef SMTP_PROXY_HEADER_H
#define SMTP_PROXY_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * Largest header smtp_proxy_v2_encode() or smtp_proxy_v1_encode() writes (v1
 * with two IPv6 addresses: 104).  TLVs need SMTP_PROXY_HEADER_TLS_MAX.
 */
#define SMTP_PROXY_HEADER_MAX 108

/*
 * Encodes a PROXY v2 header (command PROXY, transport STREAM) for a TCP
 * connection from client to server (the listener's own address).  IPv4-mapped
 * IPv6 addresses (::ffff:a.b.c.d) are written as IPv4; when one side is IPv4
 * and the other IPv6, both are written as IPv6.  Returns the header's length,
 * or 0 when an address family is neither AF_INET nor AF_INET6 or cap is too
 * small.
 */
size_t smtp_proxy_v2_encode(unsigned char *out, size_t cap,
    const struct sockaddr *client, const struct sockaddr *server);

/*
 * Same for a v1 text header ("PROXY TCP4 src dst sport dport\r\n").  out is
 * NUL-terminated; the NUL must fit in cap too but is not counted in the
 * returned length.  An IPv4 address mapped to IPv6 for a mixed pair is
 * written as hexadecimal groups ("::ffff:c000:201"), as proxy-protocol.txt
 * section 2.1 requires for IPv6.
 */
size_t smtp_proxy_v1_encode(char *out, size_t cap,
    const struct sockaddr *client, const struct sockaddr *server);

/* Maximum length of each string that smtp_proxy_v2_encode_tls() writes. */
#define SMTP_PROXY_TLS_STRING_MAX 255

/*
 * Largest header smtp_proxy_v2_encode_tls() writes: the fixed part, two IPv6
 * addresses and ports, PP2_TYPE_AUTHORITY, and PP2_TYPE_SSL with its client
 * and verify fields and two sub-TLVs, each string at its maximum.
 */
#define SMTP_PROXY_HEADER_TLS_MAX (16 + 36 +				\
	3 + SMTP_PROXY_TLS_STRING_MAX +					\
	3 + 5 + 2 * (3 + SMTP_PROXY_TLS_STRING_MAX))

/* The TLS facts of the client's connection. */
struct smtp_proxy_tls {
	const char *version;		/* "TLSv1.3", or NULL */
	const char *cipher;		/* "TLS_AES_256_GCM_SHA384", or NULL */
	const char *sni;		/* server name the client sent, NULL or
					 * "" when none */
	bool client_cert;		/* the client presented a certificate in
					 * this connection's handshake */
	bool client_cert_verified;	/* and it was verified */
};

/*
 * Encodes a PROXY v2 header like smtp_proxy_v2_encode(), followed by TLVs
 * (proxy-protocol.txt section 2.2) for the TLS facts in tls, which the length
 * field covers:
 *
 *   PP2_TYPE_AUTHORITY (0x02)  the SNI, when given and at most
 *                              SMTP_PROXY_TLS_STRING_MAX bytes; a longer
 *                              name is left out rather than cut
 *   PP2_TYPE_SSL (0x20)        client: PP2_CLIENT_SSL (0x01), plus
 *                              PP2_CLIENT_CERT_CONN (0x02) and
 *                              PP2_CLIENT_CERT_SESS (0x04) when the client
 *                              presented a certificate; verify: 0 only when
 *                              a certificate was presented and verified,
 *                              otherwise 1; then the sub-TLVs
 *                              PP2_SUBTYPE_SSL_VERSION (0x21) and
 *                              PP2_SUBTYPE_SSL_CIPHER (0x23), each when given
 *
 * Section 2.2.6 defines verify as zero only for a presented and verified
 * certificate.  HAProxy's own sender (make_proxy_line_v2()) also writes 0
 * when no certificate was presented, which a receiver that reads verify
 * without the client flags would take for a verified certificate.
 *
 * With tls NULL the header has no TLVs, as from smtp_proxy_v2_encode().
 * Returns the header's length, or 0 when an address family is neither
 * AF_INET nor AF_INET6, version or cipher is longer than
 * SMTP_PROXY_TLS_STRING_MAX, or cap is too small.  A buffer of
 * SMTP_PROXY_HEADER_TLS_MAX bytes is always large enough.
 */
size_t smtp_proxy_v2_encode_tls(unsigned char *out, size_t cap,
    const struct sockaddr *client, const struct sockaddr *server,
    const struct smtp_proxy_tls *tls);

/*
 * Encodes a PROXY v2 header with command LOCAL and no addresses, which
 * proxy-protocol.txt section 2.2 defines for a proxy's own connections such
 * as health checks: the backend uses the real socket addresses.  Returns 16,
 * or 0 when cap is smaller.
 */
size_t smtp_proxy_v2_encode_local(unsigned char *out, size_t cap);

/*
 * Encodes the v1 header "PROXY UNKNOWN\r\n" (proxy-protocol.txt section
 * 2.1), the v1 form of the same.  out is NUL-terminated; returns the length
 * without the NUL, or 0 when cap is too small.
 */
size_t smtp_proxy_v1_encode_unknown(char *out, size_t cap);

#endif
