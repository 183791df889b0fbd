/*
 * PROXY v2 headers with the TLS facts as TLVs (HAProxy's proxy-protocol.txt
 * section 2.2): each header is parsed back here as a receiver would, and one
 * is checked byte for byte against the layout of the specification.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "smtp/proxy_header.h"
#include "test/unit/check.h"

#define V2_SIGNATURE \
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a

#define PP2_TYPE_AUTHORITY 0x02
#define PP2_TYPE_SSL 0x20
#define PP2_SUBTYPE_SSL_VERSION 0x21
#define PP2_SUBTYPE_SSL_CIPHER 0x23

static struct sockaddr_storage
make_address(const char *text, unsigned port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1)
			CHECK(false, "test address %s parses", text);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, text, &sin->sin_addr) != 1)
			CHECK(false, "test address %s parses", text);
	}
	return ss;
}

/* A TLV found in a header: where its value starts, and how long it is. */
struct tlv {
	bool found;
	const unsigned char *value;
	size_t len;
};

/* What a receiver reads from a header. */
struct parsed {
	bool valid;		/* signature, version, lengths all add up */
	size_t address_len;	/* 12 for TCP4, 36 for TCP6 */
	struct tlv authority;
	struct tlv ssl;
	unsigned client;	/* PP2_TYPE_SSL fields */
	uint32_t verify;
	struct tlv version;	/* its sub-TLVs */
	struct tlv cipher;
	unsigned unknown;	/* TLVs of any other type */
};

static unsigned
get_uint16_be(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/*
 * Walks the TLVs in [p, end) into parsed; returns false when one runs past
 * end.  Sub-TLVs of PP2_TYPE_SSL are walked with ssl set.
 */
static bool
parse_tlvs(struct parsed *h, const unsigned char *p, const unsigned char *end,
    bool ssl)
{
	while (p < end) {
		unsigned char type;
		size_t len;
		struct tlv *slot = NULL;

		if (end - p < 3)
			return false;
		type = p[0];
		len = get_uint16_be(p + 1);
		p += 3;
		if ((size_t)(end - p) < len)
			return false;

		if (!ssl && type == PP2_TYPE_AUTHORITY)
			slot = &h->authority;
		else if (!ssl && type == PP2_TYPE_SSL)
			slot = &h->ssl;
		else if (ssl && type == PP2_SUBTYPE_SSL_VERSION)
			slot = &h->version;
		else if (ssl && type == PP2_SUBTYPE_SSL_CIPHER)
			slot = &h->cipher;

		if (slot == NULL || slot->found) {
			h->unknown++;
		} else {
			slot->found = true;
			slot->value = p;
			slot->len = len;
		}

		if (slot == &h->ssl) {
			if (len < 5)
				return false;
			h->client = p[0];
			h->verify = (uint32_t)get_uint16_be(p + 1) << 16 |
			    get_uint16_be(p + 3);
			if (!parse_tlvs(h, p + 5, p + len, true))
				return false;
		}
		p += len;
	}
	return true;
}

static struct parsed
parse(const unsigned char *header, size_t len)
{
	static const unsigned char signature[12] = { V2_SIGNATURE };
	struct parsed h;

	memset(&h, 0, sizeof(h));
	if (len < 16 || memcmp(header, signature, 12) != 0 ||
	    header[12] != 0x21 || 16 + get_uint16_be(header + 14) != len)
		return h;
	if (header[13] == 0x11)
		h.address_len = 12;
	else if (header[13] == 0x21)
		h.address_len = 36;
	else
		return h;
	if (len < 16 + h.address_len)
		return h;

	h.valid = parse_tlvs(&h, header + 16 + h.address_len, header + len,
	    false);
	return h;
}

static bool
tlv_equals(const struct tlv *t, const char *s)
{
	return t->found && t->len == strlen(s) &&
	    memcmp(t->value, s, t->len) == 0;
}

static struct sockaddr_storage client4;
static struct sockaddr_storage server4;

static size_t
encode(unsigned char *out, size_t cap, const struct smtp_proxy_tls *tls)
{
	return smtp_proxy_v2_encode_tls(out, cap, (struct sockaddr *)&client4,
	    (struct sockaddr *)&server4, tls);
}

static const struct smtp_proxy_tls typical = {
	.version = "TLSv1.3",
	.cipher = "TLS_AES_256_GCM_SHA384",
	.sni = "mail.example.org",
};

static void
test_typical(void)
{
	unsigned char out[SMTP_PROXY_HEADER_TLS_MAX];
	size_t len = encode(out, sizeof(out), &typical);
	struct parsed h = parse(out, len);

	CHECK(h.valid, "typical: header parses, length field covers the TLVs");
	CHECK(h.address_len == 12, "typical: TCP4 address block");
	CHECK(tlv_equals(&h.authority, "mail.example.org"),
	    "typical: PP2_TYPE_AUTHORITY is the SNI");
	CHECK(h.ssl.found, "typical: PP2_TYPE_SSL present");
	CHECK(h.client == 0x01, "typical: client is PP2_CLIENT_SSL only");
	CHECK(h.verify != 0,
	    "typical: verify is non-zero without a client certificate");
	CHECK(tlv_equals(&h.version, "TLSv1.3"),
	    "typical: PP2_SUBTYPE_SSL_VERSION");
	CHECK(tlv_equals(&h.cipher, "TLS_AES_256_GCM_SHA384"),
	    "typical: PP2_SUBTYPE_SSL_CIPHER");
	CHECK(h.unknown == 0, "typical: no other TLV");
}

/*
 * Section 2.2: after the 12 address bytes of TCP4, each TLV is type, length
 * (big-endian) and value; PP2_TYPE_SSL's value is client, verify (uint32,
 * big-endian), then its sub-TLVs.
 */
static void
test_layout(void)
{
	static const struct smtp_proxy_tls tls = {
		.version = "TLSv1.2",
		.sni = "a.b",
		.client_cert = true,
		.client_cert_verified = true,
	};
	static const unsigned char want[] = {
		V2_SIGNATURE, 0x21, 0x11, 0x00, 0x0c + 6 + 18,
		192, 0, 2, 1, 198, 51, 100, 7, 0x9c, 0x40, 0x02, 0x4b,
		0x02, 0x00, 0x03, 'a', '.', 'b',
		0x20, 0x00, 0x0f, 0x07, 0x00, 0x00, 0x00, 0x00,
		0x21, 0x00, 0x07, 'T', 'L', 'S', 'v', '1', '.', '2',
	};
	unsigned char out[SMTP_PROXY_HEADER_TLS_MAX];
	size_t len = encode(out, sizeof(out), &tls);

	CHECK_BYTES(out, len, want, sizeof(want),
	    "layout: authority, then SSL with a verified certificate");
}

static void
test_client_certificate(void)
{
	struct smtp_proxy_tls tls = typical;
	unsigned char out[SMTP_PROXY_HEADER_TLS_MAX];
	struct parsed h;

	tls.client_cert = true;
	tls.client_cert_verified = true;
	h = parse(out, encode(out, sizeof(out), &tls));
	CHECK(h.client == 0x07,
	    "verified certificate: PP2_CLIENT_SSL, CERT_CONN and CERT_SESS");
	CHECK(h.verify == 0, "verified certificate: verify is 0");

	tls.client_cert_verified = false;
	h = parse(out, encode(out, sizeof(out), &tls));
	CHECK(h.client == 0x07, "unverified certificate: same client flags");
	CHECK(h.verify != 0, "unverified certificate: verify is non-zero");

	tls.client_cert = false;
	tls.client_cert_verified = true;
	h = parse(out, encode(out, sizeof(out), &tls));
	CHECK(h.client == 0x01, "no certificate: PP2_CLIENT_SSL only");
	CHECK(h.verify != 0,
	    "no certificate: verify is non-zero even if marked verified");
}

static void
test_optional_fields(void)
{
	struct smtp_proxy_tls tls = typical;
	unsigned char out[SMTP_PROXY_HEADER_TLS_MAX];
	char sni[SMTP_PROXY_TLS_STRING_MAX + 2];
	struct parsed h;

	tls.sni = NULL;
	h = parse(out, encode(out, sizeof(out), &tls));
	CHECK(h.valid, "NULL SNI: header parses");
	CHECK(!h.authority.found, "NULL SNI: no PP2_TYPE_AUTHORITY");

	tls.sni = "";
	h = parse(out, encode(out, sizeof(out), &tls));
	CHECK(h.valid, "empty SNI: header parses");
	CHECK(!h.authority.found, "empty SNI: no PP2_TYPE_AUTHORITY");

	memset(sni, 'a', SMTP_PROXY_TLS_STRING_MAX);
	sni[SMTP_PROXY_TLS_STRING_MAX] = '\0';
	tls.sni = sni;
	h = parse(out, encode(out, sizeof(out), &tls));
	CHECK(h.authority.len == SMTP_PROXY_TLS_STRING_MAX,
	    "255-byte SNI is sent whole");

	sni[SMTP_PROXY_TLS_STRING_MAX] = 'a';
	sni[SMTP_PROXY_TLS_STRING_MAX + 1] = '\0';
	h = parse(out, encode(out, sizeof(out), &tls));
	CHECK(h.valid, "256-byte SNI: header parses");
	CHECK(!h.authority.found, "256-byte SNI is left out, not cut");
	CHECK(tlv_equals(&h.version, "TLSv1.3"),
	    "256-byte SNI: the SSL TLV is still sent");

	tls = typical;
	tls.version = NULL;
	tls.cipher = "";
	h = parse(out, encode(out, sizeof(out), &tls));
	CHECK(h.valid, "no version or cipher: header parses");
	CHECK(h.ssl.len == 5,
	    "no version or cipher: PP2_TYPE_SSL has client and verify only");
	CHECK(!h.version.found, "no version: no PP2_SUBTYPE_SSL_VERSION");
	CHECK(!h.cipher.found, "empty cipher: no PP2_SUBTYPE_SSL_CIPHER");
}

static void
test_without_tls(void)
{
	unsigned char with_null[SMTP_PROXY_HEADER_TLS_MAX];
	unsigned char plain[SMTP_PROXY_HEADER_MAX];
	size_t null_len = encode(with_null, sizeof(with_null), NULL);
	size_t plain_len = smtp_proxy_v2_encode(plain, sizeof(plain),
	    (struct sockaddr *)&client4, (struct sockaddr *)&server4);
	struct parsed h = parse(with_null, null_len);

	CHECK_BYTES(with_null, null_len, plain, plain_len,
	    "NULL tls gives the header of smtp_proxy_v2_encode");
	CHECK(h.valid, "NULL tls: header parses");
	CHECK(!h.ssl.found, "NULL tls: no PP2_TYPE_SSL");
	CHECK(!h.authority.found, "NULL tls: no PP2_TYPE_AUTHORITY");
}

static void
test_maximum(void)
{
	struct sockaddr_storage client6 = make_address("2001:db8::1", 40000);
	struct sockaddr_storage server6 = make_address("2001:db8::25", 587);
	char text[SMTP_PROXY_TLS_STRING_MAX + 2];
	unsigned char out[SMTP_PROXY_HEADER_TLS_MAX + 1];
	struct smtp_proxy_tls tls = { .version = text, .cipher = text,
	    .sni = text, .client_cert = true };
	struct parsed h;
	size_t len;

	memset(text, 'x', SMTP_PROXY_TLS_STRING_MAX);
	text[SMTP_PROXY_TLS_STRING_MAX] = '\0';
	len = smtp_proxy_v2_encode_tls(out, sizeof(out),
	    (struct sockaddr *)&client6, (struct sockaddr *)&server6, &tls);
	h = parse(out, len);
	CHECK(len == SMTP_PROXY_HEADER_TLS_MAX,
	    "IPv6 and three 255-byte strings fill SMTP_PROXY_HEADER_TLS_MAX"
	    " (length %zu)", len);
	CHECK(h.valid, "the longest header parses");
	CHECK(h.address_len == 36, "the longest header is TCP6");
	CHECK(h.version.len == 255, "the longest header keeps the version");
	CHECK(h.cipher.len == 255, "the longest header keeps the cipher");
	CHECK(h.authority.len == 255, "the longest header keeps the SNI");

	len = smtp_proxy_v2_encode_tls(out, SMTP_PROXY_HEADER_TLS_MAX - 1,
	    (struct sockaddr *)&client6, (struct sockaddr *)&server6, &tls);
	CHECK(len == 0, "one byte short of the longest header gives 0");

	text[SMTP_PROXY_TLS_STRING_MAX] = 'x';
	text[SMTP_PROXY_TLS_STRING_MAX + 1] = '\0';
	tls.sni = NULL;
	CHECK(encode(out, sizeof(out), &tls) == 0,
	    "256-byte version or cipher gives 0");
}

static void
test_buffer_size(void)
{
	unsigned char out[SMTP_PROXY_HEADER_TLS_MAX];
	size_t want_len = encode(out, sizeof(out), &typical);

	CHECK(encode(out, want_len, &typical) == want_len,
	    "fits a buffer of exactly its length");
	CHECK(encode(out, want_len - 1, &typical) == 0,
	    "one byte short gives 0");
	CHECK(encode(out, 0, &typical) == 0, "an empty buffer gives 0");
}

static void
test_unsupported_family(void)
{
	struct sockaddr_un sun;
	unsigned char out[SMTP_PROXY_HEADER_TLS_MAX];

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	CHECK(smtp_proxy_v2_encode_tls(out, sizeof(out),
	    (struct sockaddr *)&sun, (struct sockaddr *)&server4,
	    &typical) == 0,
	    "AF_UNIX client gives 0");
}

int
main(void)
{
	client4 = make_address("192.0.2.1", 40000);
	server4 = make_address("198.51.100.7", 587);

	test_typical();
	test_layout();
	test_client_certificate();
	test_optional_fields();
	test_without_tls();
	test_maximum();
	test_buffer_size();
	test_unsupported_family();
	return check_done();
}
