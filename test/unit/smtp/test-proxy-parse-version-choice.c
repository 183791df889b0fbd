/*
 * A listener that accepts only one PROXY version rejects the other at the
 * first byte, and a connection without a header is rejected at its first
 * byte too.
 */
#include "smtp/proxy_header.h"
#include "test/unit/smtp/proxy_parse_test.h"

int
main(void)
{
	static const char v1[] = "PROXY TCP4 192.0.2.7 198.51.100.1 1 2\r\n";
	unsigned char v2[SMTP_PROXY_HEADER_MAX];
	struct sockaddr_storage src = make_address("192.0.2.7", 1);
	struct sockaddr_storage dst = make_address("198.51.100.1", 2);
	size_t v2_len = smtp_proxy_v2_encode(v2, sizeof(v2),
	    (struct sockaddr *)&src, (struct sockaddr *)&dst);
	struct smtp_proxy_parser p;
	size_t consumed;

	CHECK(parse_in_pieces(&p, SMTP_PROXY_ACCEPT_V1, v1, strlen(v1), 64,
	    &consumed) == SMTP_PROXY_PARSE_DONE, "v1 only accepts v1");
	CHECK(parse_in_pieces(&p, SMTP_PROXY_ACCEPT_V2, v2, v2_len, 64,
	    &consumed) == SMTP_PROXY_PARSE_DONE, "v2 only accepts v2");

	CHECK(parse_in_pieces(&p, SMTP_PROXY_ACCEPT_V1, v2, v2_len, 64,
	    &consumed) == SMTP_PROXY_PARSE_ERROR, "v1 only rejects v2");
	CHECK(consumed == 0, "at the first byte");
	CHECK(strcmp(smtp_proxy_parse_error(&p), "a PROXY v2 header where "
	    "only v1 is accepted") == 0, "the error names both versions: %s",
	    smtp_proxy_parse_error(&p));

	CHECK(parse_in_pieces(&p, SMTP_PROXY_ACCEPT_V2, v1, strlen(v1), 64,
	    &consumed) == SMTP_PROXY_PARSE_ERROR, "v2 only rejects v1");
	CHECK(strcmp(smtp_proxy_parse_error(&p), "a PROXY v1 header where "
	    "only v2 is accepted") == 0, "the error names both versions: %s",
	    smtp_proxy_parse_error(&p));

	CHECK(parse_in_pieces(&p, ACCEPT_ANY, "EHLO x\r\n", 8, 64,
	    &consumed) == SMTP_PROXY_PARSE_ERROR && consumed == 0,
	    "an EHLO without a header is rejected at its first byte");
	CHECK(parse_in_pieces(&p, ACCEPT_ANY, "\x16\x03\x01", 3, 64,
	    &consumed) == SMTP_PROXY_PARSE_ERROR && consumed == 0,
	    "a ClientHello without a header is rejected at its first byte");

	/* An empty read changes nothing. */
	smtp_proxy_parser_init(&p, ACCEPT_ANY);
	CHECK(smtp_proxy_parse(&p, (const unsigned char *)"", 0, &consumed) ==
	    SMTP_PROXY_PARSE_MORE && consumed == 0, "an empty read needs more");
	CHECK(smtp_proxy_parse_error(&p) == NULL, "and sets no error");
	return check_done();
}
