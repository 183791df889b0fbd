/*
 * Valid PROXY v1 headers are parsed whole or byte by byte, and the bytes
 * after the CRLF are left to the caller.
 */
#include "test/unit/smtp/proxy_parse_test.h"

struct v1_case {
	const char *header;
	bool local;
	const char *source;
	unsigned source_port;
	const char *destination;
	unsigned destination_port;
};

static const struct v1_case cases[] = {
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 56324 465\r\n", false,
	  "192.0.2.7", 56324, "198.51.100.1", 465 },
	{ "PROXY TCP6 2001:db8::7 2001:db8::1 0 65535\r\n", false,
	  "2001:db8::7", 0, "2001:db8::1", 65535 },
	{ "PROXY TCP6 ::ffff:192.0.2.7 ::1 1 2\r\n", false,
	  "::ffff:192.0.2.7", 1, "::1", 2 },
	{ "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", false,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535 },
	{ "PROXY UNKNOWN\r\n", true, NULL, 0, NULL, 0 },
	{ "PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n", true, NULL, 0, NULL, 0 },
};

int
main(void)
{
	static const char after[] = "\x16\x03\x01 and the rest";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct v1_case *c = &cases[i];
		size_t header_len = strlen(c->header);
		char input[256];

		/* The longest case is the 104-byte maximum of two IPv6
		 * addresses with 5-digit ports. */
		CHECK(header_len <= SMTP_PROXY_V1_MAX, "case %zu fits 107 "
		    "bytes", i);
		memcpy(input, c->header, header_len);
		memcpy(input + header_len, after, sizeof(after) - 1);

		for (size_t piece = 1; piece <= 200; piece += 199) {
			struct smtp_proxy_parser p;
			size_t consumed;
			enum smtp_proxy_parse_status st = parse_in_pieces(&p,
			    ACCEPT_ANY, input, header_len + sizeof(after) - 1,
			    piece, &consumed);
			const struct smtp_proxy_result *r =
			    smtp_proxy_parse_result(&p);

			CHECK(st == SMTP_PROXY_PARSE_DONE, "case %zu in pieces "
			    "of %zu: parsed (%s)", i, piece,
			    smtp_proxy_parse_error(&p) ? smtp_proxy_parse_error(&p)
			    : "no error");
			CHECK(consumed == header_len, "case %zu in pieces of "
			    "%zu: consumed %zu of %zu header bytes", i, piece,
			    consumed, header_len);
			if (r == NULL)
				continue;
			CHECK(r->version == 1, "case %zu: version 1", i);
			CHECK(r->local == c->local, "case %zu: local is %d", i,
			    c->local);
			if (c->local)
				continue;
			struct sockaddr_storage src = make_address(c->source,
			    c->source_port);
			struct sockaddr_storage dst = make_address(
			    c->destination, c->destination_port);

			CHECK(same_address(&r->source, &src), "case %zu: source "
			    "%s port %u", i, c->source, c->source_port);
			CHECK(same_address(&r->destination, &dst), "case %zu: "
			    "destination %s port %u", i, c->destination,
			    c->destination_port);
		}
	}

	/* A call after DONE consumes nothing and repeats the status. */
	struct smtp_proxy_parser p;
	size_t consumed;

	parse_in_pieces(&p, SMTP_PROXY_ACCEPT_V1, "PROXY UNKNOWN\r\n", 15, 15,
	    &consumed);
	CHECK(smtp_proxy_parse(&p, (const unsigned char *)"EHLO", 4,
	    &consumed) == SMTP_PROXY_PARSE_DONE && consumed == 0,
	    "a call after DONE consumes nothing");
	return check_done();
}
