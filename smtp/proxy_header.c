/*
 * PROXY protocol v1 and v2 headers, as specified in HAProxy's
 * doc/proxy-protocol.txt.
 *
 * One header carries a single address family, so both encoders first reduce
 * the two socket addresses to one.  An IPv4-mapped IPv6 address (how a
 * dual-stack listener sees an IPv4 client) becomes IPv4.  If the families
 * still differ, the IPv4 side is mapped to IPv6.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "smtp/proxy_header.h"

/* An address and port, reduced from a struct sockaddr. */
struct endpoint {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char address[16];	/* 4 or 16 bytes, network byte order */
	uint16_t port;			/* host byte order */
};

/* The v2 signature (proxy-protocol.txt section 2.2). */
static const unsigned char proxy_v2_signature[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

#define PROXY_V2_FIXED_LEN 16		/* signature, ver_cmd, fam, len */
#define PROXY_V2_VERSION_PROXY 0x21	/* version 2, command PROXY */
#define PROXY_V2_VERSION_LOCAL 0x20	/* version 2, command LOCAL */
#define PROXY_V2_UNSPEC 0x00		/* AF_UNSPEC, UNSPEC transport */
#define PROXY_V2_TCP4 0x11		/* AF_INET, SOCK_STREAM */
#define PROXY_V2_TCP6 0x21		/* AF_INET6, SOCK_STREAM */

static const unsigned char ipv4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/*
 * Copies the address and port out of sa, whose real type is struct
 * sockaddr_in or struct sockaddr_in6 as given by sa_family.  The scope id of a
 * link-local IPv6 address is dropped because neither header version carries
 * it.  Returns false for any other family.
 */
static bool
endpoint_from_sockaddr(struct endpoint *e, const struct sockaddr *sa)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&sin, sa, sizeof(sin));
		e->family = AF_INET;
		memcpy(e->address, &sin.sin_addr, 4);
		e->port = ntohs(sin.sin_port);
		return true;

	case AF_INET6:
		memcpy(&sin6, sa, sizeof(sin6));
		e->port = ntohs(sin6.sin6_port);
		if (memcmp(&sin6.sin6_addr, ipv4_mapped_prefix,
		    sizeof(ipv4_mapped_prefix)) == 0) {
			e->family = AF_INET;
			memcpy(e->address, sin6.sin6_addr.s6_addr + 12, 4);
		} else {
			e->family = AF_INET6;
			memcpy(e->address, &sin6.sin6_addr, 16);
		}
		return true;

	default:
		return false;
	}
}

static void
endpoint_map_to_ipv6(struct endpoint *e)
{
	if (e->family == AF_INET6)
		return;

	memmove(e->address + 12, e->address, 4);
	memcpy(e->address, ipv4_mapped_prefix, sizeof(ipv4_mapped_prefix));
	e->family = AF_INET6;
}

/* Fills source and destination in one family, or returns false. */
static bool
endpoints_from_sockaddrs(struct endpoint *source, struct endpoint *destination,
    const struct sockaddr *client, const struct sockaddr *server)
{
	if (!endpoint_from_sockaddr(source, client) ||
	    !endpoint_from_sockaddr(destination, server))
		return false;

	if (source->family != destination->family) {
		endpoint_map_to_ipv6(source);
		endpoint_map_to_ipv6(destination);
	}
	return true;
}

static size_t
endpoint_address_len(const struct endpoint *e)
{
	return e->family == AF_INET ? 4 : 16;
}

static unsigned char *
put_uint16_be(unsigned char *p, uint16_t value)
{
	p[0] = (unsigned char)(value >> 8);
	p[1] = (unsigned char)(value & 0xff);
	return p + 2;
}

/* TLV types and flags of proxy-protocol.txt section 2.2. */
#define PP2_TYPE_AUTHORITY 0x02
#define PP2_TYPE_SSL 0x20
#define PP2_SUBTYPE_SSL_VERSION 0x21
#define PP2_SUBTYPE_SSL_CIPHER 0x23
#define PP2_CLIENT_SSL 0x01
#define PP2_CLIENT_CERT_CONN 0x02
#define PP2_CLIENT_CERT_SESS 0x04

#define PP2_TLV_HEADER_LEN 3		/* type, length_hi, length_lo */
#define PP2_SSL_FIXED_LEN 5		/* client, verify */

/* verify is non-zero unless a certificate was presented and verified. */
#define PP2_VERIFY_OK 0
#define PP2_VERIFY_NOT_OK 1

static bool
is_given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* Returns the length of a TLV holding s, or 0 when s is NULL or "". */
static size_t
string_tlv_len(const char *s)
{
	return is_given(s) ? PP2_TLV_HEADER_LEN + strlen(s) : 0;
}

static unsigned char *
put_string_tlv(unsigned char *p, unsigned char type, const char *s)
{
	size_t len = strlen(s);

	*p++ = type;
	p = put_uint16_be(p, (uint16_t)len);
	memcpy(p, s, len);
	return p + len;
}

static bool
tls_strings_fit(const struct smtp_proxy_tls *tls)
{
	return (tls->version == NULL ||
	    strlen(tls->version) <= SMTP_PROXY_TLS_STRING_MAX) &&
	    (tls->cipher == NULL ||
	    strlen(tls->cipher) <= SMTP_PROXY_TLS_STRING_MAX);
}

/* The SNI is left out when it is longer than any DNS name can be. */
static const char *
tls_authority(const struct smtp_proxy_tls *tls)
{
	if (!is_given(tls->sni) ||
	    strlen(tls->sni) > SMTP_PROXY_TLS_STRING_MAX)
		return NULL;
	return tls->sni;
}

/* Returns the length of the PP2_TYPE_SSL value: fields and sub-TLVs. */
static size_t
tls_ssl_value_len(const struct smtp_proxy_tls *tls)
{
	return PP2_SSL_FIXED_LEN + string_tlv_len(tls->version) +
	    string_tlv_len(tls->cipher);
}

static unsigned char *
put_tls_tlvs(unsigned char *p, const struct smtp_proxy_tls *tls)
{
	const char *authority = tls_authority(tls);
	unsigned char client = PP2_CLIENT_SSL;
	uint32_t verify = PP2_VERIFY_NOT_OK;

	if (authority != NULL)
		p = put_string_tlv(p, PP2_TYPE_AUTHORITY, authority);

	if (tls->client_cert) {
		client |= PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS;
		if (tls->client_cert_verified)
			verify = PP2_VERIFY_OK;
	}
	*p++ = PP2_TYPE_SSL;
	p = put_uint16_be(p, (uint16_t)tls_ssl_value_len(tls));
	*p++ = client;
	p = put_uint16_be(p, (uint16_t)(verify >> 16));
	p = put_uint16_be(p, (uint16_t)(verify & 0xffff));
	if (is_given(tls->version))
		p = put_string_tlv(p, PP2_SUBTYPE_SSL_VERSION, tls->version);
	if (is_given(tls->cipher))
		p = put_string_tlv(p, PP2_SUBTYPE_SSL_CIPHER, tls->cipher);
	return p;
}

size_t
smtp_proxy_v2_encode_tls(unsigned char *out, size_t cap,
    const struct sockaddr *client, const struct sockaddr *server,
    const struct smtp_proxy_tls *tls)
{
	struct endpoint source;
	struct endpoint destination;
	size_t address_len;
	size_t payload_len;
	unsigned char *p;

	if (!endpoints_from_sockaddrs(&source, &destination, client, server))
		return 0;
	if (tls != NULL && !tls_strings_fit(tls))
		return 0;
	address_len = endpoint_address_len(&source);
	payload_len = 2 * address_len + 2 * 2;
	if (tls != NULL) {
		payload_len += string_tlv_len(tls_authority(tls)) +
		    PP2_TLV_HEADER_LEN + tls_ssl_value_len(tls);
	}
	if (PROXY_V2_FIXED_LEN + payload_len > cap)
		return 0;

	/* Section 2.2: addresses, then ports, all in network byte order. */
	memcpy(out, proxy_v2_signature, sizeof(proxy_v2_signature));
	p = out + sizeof(proxy_v2_signature);
	*p++ = PROXY_V2_VERSION_PROXY;
	*p++ = source.family == AF_INET ? PROXY_V2_TCP4 : PROXY_V2_TCP6;
	p = put_uint16_be(p, (uint16_t)payload_len);
	memcpy(p, source.address, address_len);
	p += address_len;
	memcpy(p, destination.address, address_len);
	p += address_len;
	p = put_uint16_be(p, source.port);
	p = put_uint16_be(p, destination.port);
	if (tls != NULL)
		p = put_tls_tlvs(p, tls);
	return (size_t)(p - out);
}

size_t
smtp_proxy_v2_encode(unsigned char *out, size_t cap,
    const struct sockaddr *client, const struct sockaddr *server)
{
	return smtp_proxy_v2_encode_tls(out, cap, client, server, NULL);
}

/*
 * Writes the address as section 2.1 of proxy-protocol.txt requires: IPv4 in
 * decimal without leading zeros, IPv6 as hexadecimal groups with at most one
 * "::".  inet_ntop() does both, except that it writes an IPv4-mapped address
 * with a dotted IPv4 tail, which is not hexadecimal groups.
 */
static bool
endpoint_format_address(const struct endpoint *e, char *text, size_t cap)
{
	const unsigned char *a = e->address;

	if (e->family == AF_INET6 && memcmp(a, ipv4_mapped_prefix,
	    sizeof(ipv4_mapped_prefix)) == 0) {
		int n = snprintf(text, cap, "::ffff:%x:%x",
		    (unsigned)(a[12] << 8 | a[13]),
		    (unsigned)(a[14] << 8 | a[15]));

		return n > 0 && (size_t)n < cap;
	}
	return inet_ntop(e->family, a, text, (socklen_t)cap) != NULL;
}

/*
 * Section 2.1 of proxy-protocol.txt: "PROXY", the protocol, both addresses,
 * both ports, separated by single spaces and ended by CRLF.  out is
 * NUL-terminated, and the NUL must fit in cap too.
 */
size_t
smtp_proxy_v1_encode(char *out, size_t cap, const struct sockaddr *client,
    const struct sockaddr *server)
{
	struct endpoint source;
	struct endpoint destination;
	char source_text[INET6_ADDRSTRLEN];
	char destination_text[INET6_ADDRSTRLEN];
	int n;

	if (!endpoints_from_sockaddrs(&source, &destination, client, server))
		return 0;
	if (!endpoint_format_address(&source, source_text,
	    sizeof(source_text)) ||
	    !endpoint_format_address(&destination, destination_text,
	    sizeof(destination_text)))
		return 0;

	n = snprintf(out, cap, "PROXY %s %s %s %u %u\r\n",
	    source.family == AF_INET ? "TCP4" : "TCP6", source_text,
	    destination_text, (unsigned)source.port,
	    (unsigned)destination.port);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}

size_t
smtp_proxy_v2_encode_local(unsigned char *out, size_t cap)
{
	unsigned char *p = out;

	if (cap < PROXY_V2_FIXED_LEN)
		return 0;
	memcpy(p, proxy_v2_signature, sizeof(proxy_v2_signature));
	p += sizeof(proxy_v2_signature);
	*p++ = PROXY_V2_VERSION_LOCAL;
	*p++ = PROXY_V2_UNSPEC;
	p = put_uint16_be(p, 0);
	return (size_t)(p - out);
}

size_t
smtp_proxy_v1_encode_unknown(char *out, size_t cap)
{
	static const char line[] = "PROXY UNKNOWN\r\n";

	if (cap < sizeof(line))
		return 0;
	memcpy(out, line, sizeof(line));
	return sizeof(line) - 1;
}
