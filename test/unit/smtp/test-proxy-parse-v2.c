/*
 * Valid PROXY v2 headers, as subtls's own encoder writes them (with and
 * without TLVs) and as LOCAL or UNSPEC, are parsed whole or byte by byte,
 * and the bytes after the header are left to the caller.
 */
#include "smtp/proxy_header.h"
#include "test/unit/smtp/proxy_parse_test.h"

#define TRAILER "\x16\x03\x01\x00\x05hello"
#define TRAILER_LEN 10

static void
check_round_trip(const char *name, const unsigned char *header, size_t len,
    const struct sockaddr_storage *src, const struct sockaddr_storage *dst)
{
	unsigned char input[SMTP_PROXY_HEADER_TLS_MAX + TRAILER_LEN];

	memcpy(input, header, len);
	memcpy(input + len, TRAILER, TRAILER_LEN);
	for (size_t piece = 1; piece <= 4096; piece *= 4096) {
		struct smtp_proxy_parser p;
		size_t consumed;
		enum smtp_proxy_parse_status st = parse_in_pieces(&p,
		    ACCEPT_ANY, input, len + TRAILER_LEN, piece, &consumed);
		const struct smtp_proxy_result *r = smtp_proxy_parse_result(&p);

		CHECK(st == SMTP_PROXY_PARSE_DONE, "%s in pieces of %zu: "
		    "parsed (%s)", name, piece, smtp_proxy_parse_error(&p) ?
		    smtp_proxy_parse_error(&p) : "no error");
		CHECK(consumed == len, "%s in pieces of %zu: consumed %zu of "
		    "%zu header bytes", name, piece, consumed, len);
		if (r == NULL)
			continue;
		CHECK(r->version == 2, "%s: version 2", name);
		CHECK(r->local == (src == NULL), "%s: local is %d", name,
		    src == NULL);
		if (src == NULL)
			continue;
		CHECK(same_address(&r->source, src), "%s: source address",
		    name);
		CHECK(same_address(&r->destination, dst), "%s: destination "
		    "address", name);
	}
}

int
main(void)
{
	unsigned char header[SMTP_PROXY_HEADER_TLS_MAX];
	struct sockaddr_storage src4 = make_address("192.0.2.7", 56324);
	struct sockaddr_storage dst4 = make_address("198.51.100.1", 465);
	struct sockaddr_storage src6 = make_address("2001:db8::7", 1);
	struct sockaddr_storage dst6 = make_address("2001:db8::1", 587);
	struct smtp_proxy_tls tls = {
		.version = "TLSv1.3",
		.cipher = "TLS_AES_256_GCM_SHA384",
		.sni = "mail.example.org",
		.client_cert = true,
		.client_cert_verified = true,
	};
	size_t n;

	n = smtp_proxy_v2_encode(header, sizeof(header),
	    (struct sockaddr *)&src4, (struct sockaddr *)&dst4);
	check_round_trip("TCP4", header, n, &src4, &dst4);

	n = smtp_proxy_v2_encode(header, sizeof(header),
	    (struct sockaddr *)&src6, (struct sockaddr *)&dst6);
	check_round_trip("TCP6", header, n, &src6, &dst6);

	n = smtp_proxy_v2_encode_tls(header, sizeof(header),
	    (struct sockaddr *)&src4, (struct sockaddr *)&dst4, &tls);
	CHECK(n > 16 + 12, "the TLS header has TLVs (%zu bytes)", n);
	check_round_trip("TCP4 with TLVs", header, n, &src4, &dst4);

	n = smtp_proxy_v2_encode_tls(header, sizeof(header),
	    (struct sockaddr *)&src6, (struct sockaddr *)&dst6, &tls);
	check_round_trip("TCP6 with TLVs", header, n, &src6, &dst6);

	n = smtp_proxy_v2_encode_local(header, sizeof(header));
	check_round_trip("LOCAL", header, n, NULL, NULL);

	/* LOCAL may carry an address block, which is discarded. */
	n = smtp_proxy_v2_encode(header, sizeof(header),
	    (struct sockaddr *)&src4, (struct sockaddr *)&dst4);
	header[12] = 0x20;
	check_round_trip("LOCAL with TCP4 addresses", header, n, NULL, NULL);

	/* PROXY with family UNSPEC carries no usable address. */
	header[12] = 0x21;
	header[13] = 0x00;
	check_round_trip("PROXY UNSPEC", header, n, NULL, NULL);

	/* A zero-length TLV and a TLV of the largest accepted header. */
	static unsigned char big[16 + SMTP_PROXY_V2_LENGTH_MAX];
	size_t big_len = sizeof(big);
	size_t tlv_len = SMTP_PROXY_V2_LENGTH_MAX - 12 - 3 - 3;

	n = smtp_proxy_v2_encode(big, sizeof(big),
	    (struct sockaddr *)&src4, (struct sockaddr *)&dst4);
	memcpy(big + n, "\x04\x00\x00", 3);	/* PP2_TYPE_NOOP, empty */
	big[n + 3] = 0xEA;
	big[n + 4] = (unsigned char)(tlv_len >> 8);
	big[n + 5] = (unsigned char)(tlv_len & 0xFF);
	memset(big + n + 6, 'v', tlv_len);
	big[14] = SMTP_PROXY_V2_LENGTH_MAX >> 8;
	big[15] = SMTP_PROXY_V2_LENGTH_MAX & 0xFF;

	struct smtp_proxy_parser p;
	size_t consumed;

	enum smtp_proxy_parse_status st = parse_in_pieces(&p, ACCEPT_ANY, big,
	    big_len, 7, &consumed);

	CHECK(st == SMTP_PROXY_PARSE_DONE, "a header of the largest accepted "
	    "length is parsed");
	CHECK(consumed == big_len, "all its %zu bytes are consumed", big_len);
	return check_done();
}
