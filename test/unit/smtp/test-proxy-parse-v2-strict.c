/*
 * Invalid PROXY v2 headers are rejected with their reason: a wrong
 * signature, version or command, AF_UNIX or UDP, a length shorter than the
 * addresses or above the limit, and TLVs that overrun the header.
 */
#include "test/unit/smtp/proxy_parse_test.h"

#define SIG 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, \
	0x54, 0x0A
#define TCP4_BLOCK 192, 0, 2, 7, 198, 51, 100, 1, 0xDC, 0x04, 0x01, 0xD1

struct bad_case {
	const char *name;
	unsigned char bytes[40];
	size_t len;
	const char *reason;	/* a part of the expected error text */
};

static const struct bad_case cases[] = {
	{ "signature", { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55,
	  0x49, 0x54, 0x0B, 0x21, 0x11, 0, 12, TCP4_BLOCK }, 28, "signature" },
	{ "version 1 bits", { SIG, 0x11, 0x11, 0, 12, TCP4_BLOCK }, 28,
	  "version field" },
	{ "version 3", { SIG, 0x31, 0x11, 0, 12, TCP4_BLOCK }, 28,
	  "version field" },
	{ "command 2", { SIG, 0x22, 0x11, 0, 12, TCP4_BLOCK }, 28,
	  "neither LOCAL nor PROXY" },
	{ "UDP4", { SIG, 0x21, 0x12, 0, 12, TCP4_BLOCK }, 28, "DGRAM" },
	{ "UDP6", { SIG, 0x21, 0x22, 0, 36 }, 16, "DGRAM" },
	{ "AF_UNIX stream", { SIG, 0x21, 0x31, 0, 216 }, 16, "AF_UNIX" },
	{ "AF_UNIX dgram", { SIG, 0x21, 0x32, 0, 216 }, 16, "DGRAM" },
	{ "INET unspec transport", { SIG, 0x21, 0x10, 0, 12, TCP4_BLOCK }, 28,
	  "not defined" },
	{ "family 4", { SIG, 0x21, 0x41, 0, 12, TCP4_BLOCK }, 28,
	  "not defined" },
	{ "TCP4 too short", { SIG, 0x21, 0x11, 0, 11, TCP4_BLOCK }, 27,
	  "shorter than its address" },
	{ "TCP6 with TCP4 length", { SIG, 0x21, 0x21, 0, 12, TCP4_BLOCK }, 28,
	  "shorter than its address" },
	{ "length above limit", { SIG, 0x21, 0x11, 0x08, 0x01 }, 16,
	  "longer than 2048" },
	{ "LOCAL above limit", { SIG, 0x20, 0x00, 0xFF, 0xFF }, 16,
	  "longer than 2048" },
	{ "TLV value overruns", { SIG, 0x21, 0x11, 0, 17, TCP4_BLOCK, 0x04,
	  0x00, 0x03, 'a', 'b' }, 33, "TLV runs past" },
	{ "TLV head cut", { SIG, 0x21, 0x11, 0, 14, TCP4_BLOCK, 0x04, 0x00 },
	  30, "TLV runs past" },
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];

		for (size_t piece = 1; piece <= 64; piece *= 64) {
			struct smtp_proxy_parser p;
			size_t consumed;
			enum smtp_proxy_parse_status st = parse_in_pieces(&p,
			    ACCEPT_ANY, c->bytes, c->len, piece, &consumed);
			const char *error = smtp_proxy_parse_error(&p);

			CHECK(st == SMTP_PROXY_PARSE_ERROR, "%s in pieces of "
			    "%zu: rejected", c->name, piece);
			CHECK(error != NULL, "%s: an error text is set", c->name);
			CHECK(error != NULL && strstr(error, c->reason) != NULL,
			    "%s: error \"%s\" names \"%s\"", c->name,
			    error != NULL ? error : "(none)", c->reason);
		}
	}
	return check_done();
}
