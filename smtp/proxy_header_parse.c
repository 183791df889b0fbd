/*
 * The receiving side of the PROXY protocol: a byte-at-a-time state machine
 * for both versions, following HAProxy's proxy-protocol.txt.  The first byte
 * decides the version ('P' for v1, CR for the v2 signature), so a client
 * that sends a ClientHello or an EHLO at once is rejected at that byte.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "smtp/proxy_header_parse.h"

/* The v2 signature (proxy-protocol.txt section 2.2). */
static const unsigned char v2_signature[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
};

#define V1_PREFIX "PROXY "
#define V1_PREFIX_LEN 6
#define V2_FIXED_LEN 16
#define V2_COMMAND_LOCAL 0x0
#define V2_COMMAND_PROXY 0x1

/* The v2 family and transport byte: family in the high nibble. */
#define V2_UNSPEC 0x00
#define V2_TCP4 0x11
#define V2_UDP4 0x12
#define V2_TCP6 0x21
#define V2_UDP6 0x22
#define V2_UNIX_STREAM 0x31
#define V2_UNIX_DGRAM 0x32

/* The address blocks of TCP over IPv4 and IPv6: two addresses, two ports. */
#define V2_TCP4_ADDRESS_LEN 12
#define V2_TCP6_ADDRESS_LEN 36

void
smtp_proxy_parser_init(struct smtp_proxy_parser *p, unsigned versions)
{
	memset(p, 0, sizeof(*p));
	p->versions = versions;
	p->status = SMTP_PROXY_PARSE_MORE;
}

static enum smtp_proxy_parse_status
fail(struct smtp_proxy_parser *p, const char *error)
{
	p->status = SMTP_PROXY_PARSE_ERROR;
	p->error = error;
	return p->status;
}

static enum smtp_proxy_parse_status
finish(struct smtp_proxy_parser *p)
{
	p->status = SMTP_PROXY_PARSE_DONE;
	return p->status;
}

/* Chooses the version from the first byte of the connection. */
static enum smtp_proxy_parse_status
choose_version(struct smtp_proxy_parser *p, unsigned char byte)
{
	if (byte == (unsigned char)V1_PREFIX[0]) {
		if ((p->versions & SMTP_PROXY_ACCEPT_V1) == 0)
			return fail(p, "a PROXY v1 header where only v2 is "
			    "accepted");
		p->version = 1;
	} else if (byte == v2_signature[0]) {
		if ((p->versions & SMTP_PROXY_ACCEPT_V2) == 0)
			return fail(p, "a PROXY v2 header where only v1 is "
			    "accepted");
		p->version = 2;
	} else if (byte == 0x16)
		return fail(p, "no PROXY header: the connection starts with "
		    "a TLS handshake record");
	else if (byte >= 0x20 && byte <= 0x7e)
		return fail(p, "no PROXY header: the connection starts with "
		    "plaintext");
	else
		return fail(p, "no PROXY header: the first byte starts "
		    "neither version");
	p->result.version = p->version;
	return p->status;
}

/* Parses a decimal port of 0 to 65535 without leading zeros. */
static bool
parse_v1_port(const char *text, unsigned *port)
{
	size_t len = strlen(text);
	unsigned value = 0;

	if (len == 0 || len > 5 || (len > 1 && text[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (value > 65535)
		return false;
	*port = value;
	return true;
}

/* Stores a numeric address and port of family in out. */
static bool
set_v1_address(struct sockaddr_storage *out, int family, const char *text,
    const char *port_text, const char **error)
{
	unsigned port;

	memset(out, 0, sizeof(*out));
	if (!parse_v1_port(port_text, &port)) {
		*error = "a v1 port is not a decimal number from 0 to 65535 "
		    "without leading zeros";
		return false;
	}
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)out;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, text, &in->sin_addr) != 1) {
			*error = "a v1 address is not an IPv4 address as TCP4 "
			    "requires";
			return false;
		}
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, text, &in6->sin6_addr) != 1) {
			*error = "a v1 address is not an IPv6 address as TCP6 "
			    "requires";
			return false;
		}
	}
	return true;
}

/*
 * Parses the complete v1 line in p->buf, which ends in CRLF.  The fields
 * after the protocol are separated by exactly one space each.
 */
static enum smtp_proxy_parse_status
parse_v1_line(struct smtp_proxy_parser *p)
{
	char *line = (char *)p->buf + V1_PREFIX_LEN;
	char *fields[4];
	size_t count = 0;
	int family;
	const char *error = NULL;

	p->buf[p->len - 2] = '\0';	/* the CR */
	if (strncmp(line, "UNKNOWN", 7) == 0 &&
	    (line[7] == '\0' || line[7] == ' ')) {
		p->result.local = true;
		return finish(p);
	}
	if (strncmp(line, "TCP4 ", 5) == 0)
		family = AF_INET;
	else if (strncmp(line, "TCP6 ", 5) == 0)
		family = AF_INET6;
	else
		return fail(p, "the v1 protocol is not TCP4, TCP6 or UNKNOWN");

	for (char *field = line + 5; field != NULL && count < 4; count++) {
		char *space = strchr(field, ' ');

		fields[count] = field;
		if (space != NULL)
			*space = '\0';
		if (*field == '\0')
			return fail(p, "a v1 field is empty: the fields must "
			    "be separated by one space");
		field = space != NULL ? space + 1 : NULL;
		if (count == 3 && space != NULL)
			return fail(p, "the v1 header has more than four "
			    "fields after the protocol");
	}
	if (count != 4)
		return fail(p, "the v1 header has fewer than four fields "
		    "after the protocol");

	if (!set_v1_address(&p->result.source, family, fields[0], fields[2],
	    &error) ||
	    !set_v1_address(&p->result.destination, family, fields[1],
	    fields[3], &error))
		return fail(p, error);
	return finish(p);
}

/* Reads one byte of a v1 header.  Returns MORE until the LF arrives. */
static enum smtp_proxy_parse_status
read_v1_byte(struct smtp_proxy_parser *p, unsigned char byte)
{
	if (p->len < V1_PREFIX_LEN) {
		if (byte != (unsigned char)V1_PREFIX[p->len])
			return fail(p, "the v1 header does not start with "
			    "\"PROXY \"");
		p->buf[p->len++] = byte;
		return p->status;
	}
	if (byte == '\n') {
		if (p->buf[p->len - 1] != '\r')
			return fail(p, "the v1 header ends in a bare LF, not "
			    "CRLF");
		p->buf[p->len++] = byte;
		return parse_v1_line(p);
	}
	if (p->buf[p->len - 1] == '\r')
		return fail(p, "the v1 header has a CR that is not followed "
		    "by LF");
	if (byte != '\r' && (byte < 0x20 || byte > 0x7e))
		return fail(p, "the v1 header contains a control character "
		    "or a non-ASCII byte");
	/* This byte and the LF still due must fit in the 107 bytes. */
	if (p->len + 2 > SMTP_PROXY_V1_MAX)
		return fail(p, "the v1 header has no CRLF within 107 bytes");
	p->buf[p->len++] = byte;
	return p->status;
}

/* Checks the 16 fixed bytes of a v2 header and plans the rest. */
static enum smtp_proxy_parse_status
check_v2_fixed(struct smtp_proxy_parser *p)
{
	unsigned version = p->buf[12] >> 4;
	unsigned command = p->buf[12] & 0x0F;
	unsigned family = p->buf[13];
	size_t length = ((size_t)p->buf[14] << 8) | p->buf[15];

	if (version != 2)
		return fail(p, "the v2 header's version field is not 2");
	if (command != V2_COMMAND_LOCAL && command != V2_COMMAND_PROXY)
		return fail(p, "the v2 command is neither LOCAL nor PROXY");
	if (length > SMTP_PROXY_V2_LENGTH_MAX)
		return fail(p, "the v2 header is longer than 2048 bytes after "
		    "its fixed part");

	/* Section 2.2: a receiver must discard the address block of a LOCAL
	 * command, whatever family it names. */
	if (command == V2_COMMAND_LOCAL) {
		p->result.local = true;
	} else {
		switch (family) {
		case V2_TCP4:
			p->v2_address_len = V2_TCP4_ADDRESS_LEN;
			p->v2_walk_tlvs = true;
			break;
		case V2_TCP6:
			p->v2_address_len = V2_TCP6_ADDRESS_LEN;
			p->v2_walk_tlvs = true;
			break;
		case V2_UNSPEC:
			p->result.local = true;
			break;
		case V2_UDP4:
		case V2_UDP6:
		case V2_UNIX_DGRAM:
			return fail(p, "the v2 transport is DGRAM (UDP), not "
			    "STREAM");
		case V2_UNIX_STREAM:
			return fail(p, "the v2 family is AF_UNIX, not "
			    "AF_INET or AF_INET6");
		default:
			return fail(p, "the v2 family and transport byte is "
			    "not defined by the specification");
		}
	}
	if (length < p->v2_address_len)
		return fail(p, "the v2 length is shorter than its address "
		    "block");
	p->v2_left = length;
	p->len = 0;
	return p->v2_left == 0 ? finish(p) : p->status;
}

/* Decodes the address block of TCP4 or TCP6 stored in p->buf. */
static void
decode_v2_addresses(struct smtp_proxy_parser *p)
{
	const unsigned char *b = p->buf;

	memset(&p->result.source, 0, sizeof(p->result.source));
	memset(&p->result.destination, 0, sizeof(p->result.destination));
	if (p->v2_address_len == V2_TCP4_ADDRESS_LEN) {
		struct sockaddr_in *src = (struct sockaddr_in *)&p->result.source;
		struct sockaddr_in *dst =
		    (struct sockaddr_in *)&p->result.destination;

		src->sin_family = dst->sin_family = AF_INET;
		memcpy(&src->sin_addr, b, 4);
		memcpy(&dst->sin_addr, b + 4, 4);
		memcpy(&src->sin_port, b + 8, 2);
		memcpy(&dst->sin_port, b + 10, 2);
	} else {
		struct sockaddr_in6 *src =
		    (struct sockaddr_in6 *)&p->result.source;
		struct sockaddr_in6 *dst =
		    (struct sockaddr_in6 *)&p->result.destination;

		src->sin6_family = dst->sin6_family = AF_INET6;
		memcpy(&src->sin6_addr, b, 16);
		memcpy(&dst->sin6_addr, b + 16, 16);
		memcpy(&src->sin6_port, b + 32, 2);
		memcpy(&dst->sin6_port, b + 34, 2);
	}
}

/*
 * Consumes TLV bytes (section 2.2.1: type, 16-bit length, value) from data,
 * at most p->v2_left.  Returns the bytes used, or 0 after an error.
 */
static size_t
walk_tlvs(struct smtp_proxy_parser *p, const unsigned char *data, size_t len)
{
	size_t used = 0;

	while (used < len && p->v2_left > 0) {
		if (p->tlv_value_left > 0) {
			size_t n = len - used;

			if (n > p->tlv_value_left)
				n = p->tlv_value_left;
			p->tlv_value_left -= n;
			p->v2_left -= n;
			used += n;
			continue;
		}
		p->tlv_head[p->tlv_head_len++] = data[used++];
		p->v2_left--;
		if (p->tlv_head_len < sizeof(p->tlv_head))
			continue;
		p->tlv_head_len = 0;
		p->tlv_value_left = ((size_t)p->tlv_head[1] << 8) |
		    p->tlv_head[2];
		if (p->tlv_value_left > p->v2_left) {
			fail(p, "a v2 TLV runs past the end of the header");
			return 0;
		}
	}
	if (p->v2_left == 0 && p->tlv_head_len != 0) {
		fail(p, "a v2 TLV runs past the end of the header");
		return 0;
	}
	return used;
}

/* Reads v2 bytes after the version is known.  Returns the bytes used. */
static size_t
read_v2(struct smtp_proxy_parser *p, const unsigned char *data, size_t len)
{
	size_t used = 0;

	while (used < len && p->status == SMTP_PROXY_PARSE_MORE) {
		bool fixed_done = p->v2_left > 0 || p->result.local ||
		    p->v2_address_len > 0;

		if (!fixed_done) {
			unsigned char byte = data[used++];

			if (p->len < sizeof(v2_signature) &&
			    byte != v2_signature[p->len]) {
				fail(p, "the v2 signature is invalid");
				break;
			}
			p->buf[p->len++] = byte;
			if (p->len == V2_FIXED_LEN)
				check_v2_fixed(p);
			continue;
		}

		if (p->len < p->v2_address_len) {
			size_t n = p->v2_address_len - p->len;

			if (n > len - used)
				n = len - used;
			memcpy(p->buf + p->len, data + used, n);
			p->len += n;
			p->v2_left -= n;
			used += n;
			if (p->len == p->v2_address_len)
				decode_v2_addresses(p);
		} else if (p->v2_walk_tlvs) {
			size_t n = walk_tlvs(p, data + used, len - used);

			if (p->status == SMTP_PROXY_PARSE_ERROR)
				break;
			used += n;
		} else {
			size_t n = len - used;

			if (n > p->v2_left)
				n = p->v2_left;
			p->v2_left -= n;
			used += n;
		}
		if (p->v2_left == 0)
			finish(p);
	}
	return used;
}

enum smtp_proxy_parse_status
smtp_proxy_parse(struct smtp_proxy_parser *p, const unsigned char *data,
    size_t len, size_t *consumed)
{
	size_t used = 0;

	*consumed = 0;
	if (p->status != SMTP_PROXY_PARSE_MORE)
		return p->status;
	if (p->version == 0 && len > 0 &&
	    choose_version(p, data[0]) != SMTP_PROXY_PARSE_MORE)
		return p->status;

	if (p->version == 1) {
		while (used < len && p->status == SMTP_PROXY_PARSE_MORE)
			read_v1_byte(p, data[used++]);
	} else if (p->version == 2)
		used = read_v2(p, data, len);
	*consumed = used;
	return p->status;
}

const struct smtp_proxy_result *
smtp_proxy_parse_result(const struct smtp_proxy_parser *p)
{
	return p->status == SMTP_PROXY_PARSE_DONE ? &p->result : NULL;
}

const char *
smtp_proxy_parse_error(const struct smtp_proxy_parser *p)
{
	return p->error;
}
