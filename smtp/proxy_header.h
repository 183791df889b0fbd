/*
 * PROXY protocol headers (HAProxy's proxy-protocol.txt, versions 1 and 2) that
 * tell the backend the real client address.  Postfix reads them with
 * smtpd_upstream_proxy_protocol = haproxy (v1 since 2.10, v2 since 3.5).
 */
#ifndef SMTP_PROXY_HEADER_H
#define SMTP_PROXY_HEADER_H

#include <stddef.h>
#include <sys/socket.h>

/* Largest header either encoder writes (v1 with two IPv6 addresses: 104). */
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

#endif
