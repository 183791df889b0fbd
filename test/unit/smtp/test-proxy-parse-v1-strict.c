/*
 * Invalid PROXY v1 headers are rejected, each with its reason, before the
 * parser reads past 107 bytes.
 */
#include "test/unit/smtp/proxy_parse_test.h"

struct bad_case {
	const char *header;
	const char *reason;	/* a part of the expected error text */
};

static const struct bad_case cases[] = {
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 56324 465\n", "bare LF" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 56324 465\rX\r\n", "CR that" },
	{ "PROXY TCP5 192.0.2.7 198.51.100.1 56324 465\r\n", "not TCP4" },
	{ "PROXY tcp4 192.0.2.7 198.51.100.1 56324 465\r\n", "not TCP4" },
	{ "PROXY  TCP4 192.0.2.7 198.51.100.1 56324 465\r\n", "not TCP4" },
	{ "PROXY TCP4 192.0.2.7  198.51.100.1 56324 465\r\n", "empty" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 56324 465 \r\n", "more than" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 56324\r\n", "fewer than" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 56324 465 9\r\n", "more than" },
	{ "PROXY TCP4 2001:db8::7 198.51.100.1 56324 465\r\n", "IPv4" },
	{ "PROXY TCP4 192.0.2.7 2001:db8::1 56324 465\r\n", "IPv4" },
	{ "PROXY TCP6 192.0.2.7 2001:db8::1 56324 465\r\n", "IPv6" },
	{ "PROXY TCP4 192.0.2.256 198.51.100.1 56324 465\r\n", "IPv4" },
	{ "PROXY TCP4 192.0.2 198.51.100.1 56324 465\r\n", "IPv4" },
	{ "PROXY TCP4 192.000.2.7 198.51.100.1 56324 465\r\n", "IPv4" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 056324 465\r\n", "port" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 00 465\r\n", "port" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 65536 465\r\n", "port" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 -1 465\r\n", "port" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 +1 465\r\n", "port" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 1 99999999999999999999\r\n",
	  "port" },
	{ "PROXY TCP4 192.0.2.7 198.51.100.1 56324 465\t\r\n", "control" },
	{ "PROXY UNKNOWN \x80\r\n", "non-ASCII" },
	{ "PROXY UNKNOWNX\r\n", "not TCP4" },
	{ "PROXY\r\n", "does not start" },
	{ "PROXY-TCP4 192.0.2.7 198.51.100.1 56324 465\r\n", "does not start" },
	{ "POST / HTTP/1.1\r\n", "does not start" },
	{ "EHLO client.example\r\n", "plaintext" },
	{ "\x16\x03\x01\x02\x00\x01", "TLS handshake record" },
	{ "\x00PROXY", "neither version" },
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		size_t len = strlen(c->header);

		if (c->header[0] == '\0')
			len = 6;	/* the NUL-led case */
		for (size_t piece = 1; piece <= 200; piece += 199) {
			struct smtp_proxy_parser p;
			size_t consumed;
			enum smtp_proxy_parse_status st = parse_in_pieces(&p,
			    ACCEPT_ANY, c->header, len, piece, &consumed);
			const char *error = smtp_proxy_parse_error(&p);

			CHECK(st == SMTP_PROXY_PARSE_ERROR, "case %zu in "
			    "pieces of %zu: rejected", i, piece);
			CHECK(error != NULL, "case %zu: an error text is set", i);
			CHECK(error != NULL && strstr(error, c->reason) != NULL,
			    "case %zu: error \"%s\" names \"%s\"", i,
			    error != NULL ? error : "(none)", c->reason);
			CHECK(smtp_proxy_parse_result(&p) == NULL,
			    "case %zu: no result", i);
		}
	}

	/* A line without CRLF fails at byte 107 at the latest, and a line
	 * of exactly 107 bytes is still read to its end. */
	char line[300];
	struct smtp_proxy_parser p;
	size_t consumed;

	memset(line, 'A', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	CHECK(parse_in_pieces(&p, ACCEPT_ANY, line, sizeof(line), 1,
	    &consumed) == SMTP_PROXY_PARSE_ERROR, "an endless v1 line is "
	    "rejected");
	CHECK(consumed <= SMTP_PROXY_V1_MAX, "it is rejected after %zu bytes, "
	    "within 107", consumed);
	CHECK(strstr(smtp_proxy_parse_error(&p), "107") != NULL,
	    "the error names the 107-byte limit");

	memcpy(line + 105, "\r\n", 2);
	CHECK(parse_in_pieces(&p, ACCEPT_ANY, line, 107, 1, &consumed) ==
	    SMTP_PROXY_PARSE_DONE && consumed == 107,
	    "a 107-byte UNKNOWN line is accepted");
	memcpy(line + 105, "A\r\n", 3);
	CHECK(parse_in_pieces(&p, ACCEPT_ANY, line, 108, 1, &consumed) ==
	    SMTP_PROXY_PARSE_ERROR, "a 108-byte line is rejected");
	return check_done();
}
