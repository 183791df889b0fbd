/*
 * Receiving a PROXY protocol header (HAProxy's proxy-protocol.txt, versions
 * 1 and 2), as a listener behind a load balancer does with accept_proxy.
 *
 * The parser is incremental: bytes may arrive in pieces of any size.  It
 * never consumes a byte past the end of the header, because what follows
 * belongs to the TLS handshake or to the SMTP dialogue.  Memory is bounded:
 * a v1 line is at most SMTP_PROXY_V1_MAX bytes, and the TLVs of a v2 header
 * are checked for structure and skipped without being stored.
 */
#ifndef SMTP_PROXY_HEADER_PARSE_H
#define SMTP_PROXY_HEADER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The maximum length of a v1 line, CRLF included (proxy-protocol.txt
 * section 2.1). */
#define SMTP_PROXY_V1_MAX 107

/*
 * The largest v2 length field accepted: the address block and the TLVs
 * after the 16 fixed bytes.  Two IPv6 addresses take 36 bytes.  The TLVs
 * of HAProxy and of the cloud load balancers (AWS, Azure, GCP), each an
 * id or a few TLS facts, are far smaller than this.
 */
#define SMTP_PROXY_V2_LENGTH_MAX 2048

/* The header versions a listener accepts, as a bit set. */
#define SMTP_PROXY_ACCEPT_V1 0x1u
#define SMTP_PROXY_ACCEPT_V2 0x2u

enum smtp_proxy_parse_status {
	SMTP_PROXY_PARSE_MORE,		/* the header is not complete yet */
	SMTP_PROXY_PARSE_DONE,		/* complete; the result is set */
	SMTP_PROXY_PARSE_ERROR,		/* invalid; the error text is set */
};

/* The addresses a complete header carries. */
struct smtp_proxy_result {
	int version;			/* 1 or 2 */

	/*
	 * True for a header without addresses: v2 command LOCAL (a load
	 * balancer's own health check), v2 family UNSPEC, or v1 UNKNOWN.
	 * The connection's own addresses then apply.
	 */
	bool local;

	/* The client's address and the address it connected to, as
	 * struct sockaddr_in or sockaddr_in6 with ports; unset when local. */
	struct sockaddr_storage source;
	struct sockaddr_storage destination;
};

/* The state of one header being read.  Only the functions below touch it. */
struct smtp_proxy_parser {
	unsigned versions;		/* SMTP_PROXY_ACCEPT_* */
	int version;			/* 0 until the first byte decides */
	unsigned char buf[SMTP_PROXY_V1_MAX + 1];
	size_t len;			/* bytes stored in buf */
	size_t v2_address_len;		/* the address block to store */
	size_t v2_left;			/* bytes of the v2 header still due
					 * after the fixed part */
	bool v2_walk_tlvs;		/* check the TLV structure of the rest */
	unsigned char tlv_head[3];	/* type and length of the next TLV */
	size_t tlv_head_len;
	size_t tlv_value_left;		/* bytes of the current TLV value */
	enum smtp_proxy_parse_status status;
	const char *error;
	struct smtp_proxy_result result;
};

/* Prepares p for a new connection that may send the versions in the bit
 * set versions (SMTP_PROXY_ACCEPT_V1, SMTP_PROXY_ACCEPT_V2 or both). */
void smtp_proxy_parser_init(struct smtp_proxy_parser *p, unsigned versions);

/*
 * Reads up to len bytes of data into the header.  *consumed is set to the
 * bytes used, which is all of them on SMTP_PROXY_PARSE_MORE and never more
 * than the header on SMTP_PROXY_PARSE_DONE: data + *consumed is the first
 * byte after it.  On SMTP_PROXY_PARSE_ERROR, smtp_proxy_parse_error() gives
 * the reason.  Once DONE or ERROR is returned, later calls return the same
 * status and consume nothing.
 *
 * Version 1 must be "PROXY TCP4 src dst sport dport\r\n" with TCP4 and
 * IPv4 addresses or TCP6 and IPv6 addresses, single spaces, and decimal
 * ports from 0 to 65535 without leading zeros; "PROXY UNKNOWN" followed by
 * printable text and CRLF is accepted as local.  Version 2 must have the
 * 12-byte signature, version 2, command LOCAL or PROXY, and with PROXY the
 * family INET or INET6 over STREAM, or UNSPEC (taken as local).  AF_UNIX
 * and DGRAM (UDP) are rejected: an SMTP client connects over TCP, so such
 * a header comes from a misconfigured sender.  A header of a version that
 * the listener does not accept is an error too.
 */
enum smtp_proxy_parse_status smtp_proxy_parse(struct smtp_proxy_parser *p,
    const unsigned char *data, size_t len, size_t *consumed);

/* Returns the parsed addresses; valid only after SMTP_PROXY_PARSE_DONE. */
const struct smtp_proxy_result *smtp_proxy_parse_result(
    const struct smtp_proxy_parser *p);

/* Returns why parsing failed, a sentence fragment such as "the v1 header
 * has no CRLF within 107 bytes", or NULL before an error. */
const char *smtp_proxy_parse_error(const struct smtp_proxy_parser *p);

#endif
