/*
 * The XCLIENT line subtls sends to a backend: attributes and address forms of
 * Postfix's XCLIENT_README, xtext (RFC 3461 section 4), the 512-byte command
 * line limit, and the EHLO argument that becomes the HELO value.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "smtp/xclient.h"
#include "test/unit/check.h"

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

struct xclient_case {
	const char *name;
	const char *client;	/* port 40000 */
	const char *helo;
	const char *want;
};

static const struct xclient_case cases[] = {
	{ "IPv4 with HELO", "192.0.2.1", "mail.example.org",
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000"
	    " HELO=mail.example.org\r\n" },
	{ "IPv6 gets the IPV6: prefix", "2001:db8::1", "mail.example.org",
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=IPV6:2001:db8::1 PORT=40000"
	    " HELO=mail.example.org\r\n" },
	{ "IPv4-mapped IPv6 is IPv4", "::ffff:192.0.2.1", "mail.example.org",
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000"
	    " HELO=mail.example.org\r\n" },
	{ "NULL HELO is left out", "192.0.2.1", NULL,
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000\r\n" },
	{ "empty HELO is left out", "192.0.2.1", "",
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000\r\n" },
	{ "address literal HELO", "192.0.2.1", "[192.0.2.1]",
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000"
	    " HELO=[192.0.2.1]\r\n" },
	{ "xtext encodes plus, equals and space", "192.0.2.1", "a+b=c d",
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000"
	    " HELO=a+2Bb+3Dc+20d\r\n" },
	{ "xtext keeps 33 and 126", "192.0.2.1", "!x~",
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000"
	    " HELO=!x~\r\n" },
	{ "xtext encodes controls and 8-bit bytes in upper-case hex",
	    "192.0.2.1", "\x01\x1f\x7f\x80\xfe\xff",
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000"
	    " HELO=+01+1F+7F+80+FE+FF\r\n" },
	{ "CRLF in HELO cannot start a new command", "192.0.2.1",
	    "x\r\nMAIL FROM:<a@example.org>",
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000"
	    " HELO=x+0D+0AMAIL+20FROM:<a@example.org>\r\n" },
};

static void
test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct xclient_case *c = &cases[i];
		struct sockaddr_storage client = make_address(c->client, 40000);
		char out[SMTP_XCLIENT_LINE_MAX + 1];
		size_t len;

		len = smtp_xclient_encode(out, sizeof(out),
		    (struct sockaddr *)&client, c->helo);
		CHECK_BYTES(out, len, c->want, strlen(c->want), "%s", c->name);
		CHECK(out[len] == '\0', "%s: NUL-terminated", c->name);
	}
}

static size_t
encode_ipv4(char *out, size_t cap, const char *helo)
{
	struct sockaddr_storage client = make_address("192.0.2.1", 40000);

	return smtp_xclient_encode(out, cap, (struct sockaddr *)&client, helo);
}

static bool
has_helo(const char *line)
{
	return strstr(line, " HELO=") != NULL;
}

static void
test_helo_length(void)
{
	const char *fixed =
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000";
	size_t room = SMTP_XCLIENT_LINE_MAX - strlen(fixed) -
	    strlen(" HELO=") - strlen("\r\n");
	char helo[SMTP_XCLIENT_LINE_MAX];
	char out[SMTP_XCLIENT_LINE_MAX + 1];
	size_t plus;
	size_t len;

	memset(helo, 'a', SMTP_XCLIENT_HELO_MAX);
	helo[SMTP_XCLIENT_HELO_MAX] = '\0';
	len = encode_ipv4(out, sizeof(out), helo);
	CHECK(len == strlen(fixed) + strlen(" HELO=") + 255 + 2,
	    "a 255-byte HELO is sent whole (length %zu)", len);
	CHECK(has_helo(out), "a 255-byte HELO is sent");

	memset(helo, 'a', SMTP_XCLIENT_HELO_MAX + 1);
	helo[SMTP_XCLIENT_HELO_MAX + 1] = '\0';
	len = encode_ipv4(out, sizeof(out), helo);
	CHECK(len == strlen(fixed) + 2, "a 256-byte HELO is left out");
	CHECK(!has_helo(out), "a 256-byte HELO is not cut");

	/* Each '+' takes 3 bytes of xtext: fill the line to exactly 512. */
	plus = room / 3;
	memset(helo, '+', plus);
	memset(helo + plus, 'a', room % 3);
	helo[plus + room % 3] = '\0';
	len = encode_ipv4(out, sizeof(out), helo);
	CHECK(len == SMTP_XCLIENT_LINE_MAX,
	    "a HELO whose xtext fills the line to 512 is sent (length %zu)",
	    len);
	CHECK(has_helo(out), "the HELO that fills the line is there");

	helo[plus + room % 3] = 'a';
	helo[plus + room % 3 + 1] = '\0';
	len = encode_ipv4(out, sizeof(out), helo);
	CHECK(len == strlen(fixed) + 2,
	    "one byte more leaves HELO out (length %zu)", len);
	CHECK(!has_helo(out), "the HELO that would pass 512 is not cut");

	memset(helo, '=', SMTP_XCLIENT_HELO_MAX);
	helo[SMTP_XCLIENT_HELO_MAX] = '\0';
	len = encode_ipv4(out, sizeof(out), helo);
	CHECK(len == strlen(fixed) + 2,
	    "255 bytes that all need xtext still give a line (length %zu)",
	    len);
	CHECK(!has_helo(out), "their 765 bytes of xtext are left out");
}

static void
test_longest_address(void)
{
	struct sockaddr_storage client = make_address(
	    "2001:db8:1234:5678:9abc:def0:1234:5678", 65535);
	char helo[SMTP_XCLIENT_HELO_MAX + 1];
	char out[SMTP_XCLIENT_LINE_MAX + 1];
	size_t len;

	memset(helo, 'a', SMTP_XCLIENT_HELO_MAX);
	helo[SMTP_XCLIENT_HELO_MAX] = '\0';
	len = smtp_xclient_encode(out, sizeof(out), (struct sockaddr *)&client,
	    helo);
	CHECK(len == strlen("XCLIENT NAME=[UNAVAILABLE] ADDR=IPV6:"
	    "2001:db8:1234:5678:9abc:def0:1234:5678 PORT=65535 HELO=") +
	    SMTP_XCLIENT_HELO_MAX + 2,
	    "long IPv6 address, port 65535 and 255-byte HELO fit (length %zu)",
	    len);
	CHECK(has_helo(out), "with the longest address the HELO is still sent");
}

static void
test_buffer_size(void)
{
	const char *want =
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000"
	    " HELO=mail.example.org\r\n";
	size_t want_len = strlen(want);
	char out[SMTP_XCLIENT_LINE_MAX + 1];

	CHECK(encode_ipv4(out, want_len + 1, "mail.example.org") == want_len,
	    "fits a buffer of length + 1");
	CHECK(encode_ipv4(out, want_len, "mail.example.org") == 0,
	    "a buffer without room for the NUL gives 0");
	CHECK(encode_ipv4(out, want_len - 2, "mail.example.org") == 0,
	    "a buffer without room for CRLF gives 0");
	CHECK(encode_ipv4(out, 20, "mail.example.org") == 0,
	    "a buffer cut in the address gives 0");
	CHECK(encode_ipv4(out, 0, "mail.example.org") == 0,
	    "an empty buffer gives 0");
}

static void
test_unsupported_family(void)
{
	struct sockaddr_un sun;
	char out[SMTP_XCLIENT_LINE_MAX + 1];

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	CHECK(smtp_xclient_encode(out, sizeof(out), (struct sockaddr *)&sun,
	    "mail.example.org") == 0, "AF_UNIX client gives 0");
}

struct argument_case {
	const char *name;
	const char *line;
	size_t len;		/* 0: strlen(line) */
	const char *want;	/* NULL: no argument */
};

static const struct argument_case argument_cases[] = {
	{ "EHLO", "EHLO mail.example.org\r\n", 0, "mail.example.org" },
	{ "HELO", "HELO mail.example.org\r\n", 0, "mail.example.org" },
	{ "verb in lower case", "ehlo client\r\n", 0, "client" },
	{ "blanks before the argument", "EHLO \t mail\r\n", 0, "mail" },
	{ "first word only", "EHLO mail extra words\r\n", 0, "mail" },
	{ "tab ends the argument", "EHLO mail\tx\r\n", 0, "mail" },
	{ "bare LF", "EHLO mail\n", 0, "mail" },
	{ "no line end", "EHLO mail", 0, "mail" },
	{ "len cuts the argument", "EHLO mail.example.org\r\n", 9, "mail" },
	{ "NUL ends the argument", "EHLO ma\0il\r\n", 12, "ma" },
	{ "address literal", "EHLO [192.0.2.1]\r\n", 0, "[192.0.2.1]" },
	{ "no argument", "EHLO\r\n", 0, NULL },
	{ "only blanks", "EHLO  \r\n", 0, NULL },
	{ "verb alone without CRLF", "EHLO", 0, NULL },
	{ "longer verb", "EHLOX mail\r\n", 0, NULL },
	{ "other verb", "MAIL FROM:<a@example.org>\r\n", 0, NULL },
	{ "short line", "EHL", 0, NULL },
	{ "empty line", "", 0, NULL },
};

static void
test_helo_argument(void)
{
	for (size_t i = 0; i < sizeof(argument_cases) /
	    sizeof(argument_cases[0]); i++) {
		const struct argument_case *c = &argument_cases[i];
		size_t line_len = c->len != 0 ? c->len : strlen(c->line);
		const char *arg = NULL;
		size_t len;

		len = smtp_helo_argument(c->line, line_len, &arg);
		if (c->want == NULL) {
			CHECK(len == 0, "argument: %s gives 0", c->name);
			CHECK(arg == NULL, "argument: %s leaves arg alone",
			    c->name);
		} else {
			CHECK_BYTES(arg != NULL ? arg : "", len, c->want,
			    strlen(c->want), "argument: %s", c->name);
		}
	}
}

int
main(void)
{
	test_table();
	test_helo_length();
	test_longest_address();
	test_buffer_size();
	test_unsupported_family();
	test_helo_argument();
	return check_done();
}
