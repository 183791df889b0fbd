/*
 * The Received: header subtls adds to each message: its exact text, the
 * checks on the client's HELO, escaping of what the client sent, and folding
 * within the line limits of RFC 5322 section 2.1.1.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "smtp/trace.h"
#include "test/unit/check.h"

/* Fri, 4 Dec 2026 23:06:32 +0000 */
#define WHEN 1796425592

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

static struct sockaddr_storage client_ipv4;

/* The session of the header's documentation. */
static struct smtp_trace
full_trace(void)
{
	struct smtp_trace t = {
		.client = (struct sockaddr *)&client_ipv4,
		.helo = "mail.example.org",
		.by = "mx.example.org",
		.listener = "submissions",
		.tls_version = "TLSv1.3",
		.cipher = "TLS_AES_256_GCM_SHA384",
		.sni = "mx.example.org",
		.user = "alice",
		.authenticated = true,
		.id = "0123456789abcdef",
		.when = WHEN,
	};

	return t;
}

static size_t
encode(char *out, const struct smtp_trace *t)
{
	return smtp_trace_header(out, SMTP_TRACE_HEADER_MAX, t);
}

/*
 * Checks the form of every header: CRLF at the end of each line and nowhere
 * else, continuation lines that start with a tab, lines within 998
 * characters, and comment parentheses that balance outside quoted pairs.
 */
static void
check_form(const char *name, const char *out, size_t len, size_t line_max)
{
	size_t line_start = 0;
	size_t longest = 0;
	bool crlf_only = true;
	bool tabs = true;
	int depth = 0;
	bool balanced = true;

	for (size_t i = 0; i < len; i++) {
		if (out[i] == '\\') {
			i++;
			continue;
		}
		if (out[i] == '(')
			depth++;
		if (out[i] == ')' && --depth < 0)
			balanced = false;
		if (out[i] == '\r' && (i + 1 >= len || out[i + 1] != '\n'))
			crlf_only = false;
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			crlf_only = false;
		if (out[i] != '\n')
			continue;
		if (i - 1 - line_start > longest)
			longest = i - 1 - line_start;
		line_start = i + 1;
		if (line_start < len && out[line_start] != '\t')
			tabs = false;
	}

	if (CHECK(len >= 2, "%s: not empty", name))
		CHECK(strncmp(out + len - 2, "\r\n", 2) == 0,
		    "%s: ends in CRLF", name);
	CHECK(crlf_only, "%s: no bare CR or LF", name);
	CHECK(tabs, "%s: continuation lines start with a tab", name);
	CHECK(longest <= line_max, "%s: longest line %zu <= %zu", name, longest,
	    line_max);
	CHECK(balanced, "%s: no ) outside a comment", name);
	CHECK(depth == 0, "%s: every comment is closed", name);
	CHECK(strlen(out) == len, "%s: NUL-terminated, no NUL inside", name);
}

static void
check_header(const char *name, const struct smtp_trace *t, const char *want)
{
	char out[SMTP_TRACE_HEADER_MAX];
	size_t len = encode(out, t);

	CHECK_BYTES(out, len, want, strlen(want), "%s", name);
	check_form(name, out, len, 78);
}

static void
test_documented_example(void)
{
	struct smtp_trace t = full_trace();

	check_header("documented example", &t,
	    "Received: from mail.example.org ([192.0.2.1] port 40000)\r\n"
	    "\tby mx.example.org (subtls) with ESMTPSA id 0123456789abcdef\r\n"
	    "\t(listener submissions, TLSv1.3 cipher TLS_AES_256_GCM_SHA384,\r\n"
	    "\tsni mx.example.org, user alice);\r\n"
	    "\tFri, 4 Dec 2026 23:06:32 +0000\r\n");
}

static void
test_protocol(void)
{
	struct smtp_trace t = full_trace();

	t.authenticated = false;
	t.user = NULL;
	check_header("not authenticated is ESMTPS", &t,
	    "Received: from mail.example.org ([192.0.2.1] port 40000)\r\n"
	    "\tby mx.example.org (subtls) with ESMTPS id 0123456789abcdef\r\n"
	    "\t(listener submissions, TLSv1.3 cipher TLS_AES_256_GCM_SHA384,\r\n"
	    "\tsni mx.example.org);\r\n"
	    "\tFri, 4 Dec 2026 23:06:32 +0000\r\n");
}

static void
test_addresses(void)
{
	struct sockaddr_storage ipv6 = make_address("2001:db8::1", 40000);
	struct sockaddr_storage mapped = make_address("::ffff:192.0.2.1", 1);
	struct smtp_trace t = full_trace();

	t.listener = t.tls_version = t.cipher = t.sni = t.user = NULL;

	t.client = (struct sockaddr *)&ipv6;
	check_header("IPv6 address literal", &t,
	    "Received: from mail.example.org ([IPv6:2001:db8::1] port 40000)\r\n"
	    "\tby mx.example.org (subtls) with ESMTPSA id 0123456789abcdef;\r\n"
	    "\tFri, 4 Dec 2026 23:06:32 +0000\r\n");

	t.client = (struct sockaddr *)&mapped;
	check_header("IPv4-mapped IPv6 is IPv4", &t,
	    "Received: from mail.example.org ([192.0.2.1] port 1)\r\n"
	    "\tby mx.example.org (subtls) with ESMTPSA id 0123456789abcdef;\r\n"
	    "\tFri, 4 Dec 2026 23:06:32 +0000\r\n");
}

static void
test_optional_items(void)
{
	struct smtp_trace t = full_trace();

	t.sni = "";
	t.user = NULL;
	check_header("empty SNI and no user are left out", &t,
	    "Received: from mail.example.org ([192.0.2.1] port 40000)\r\n"
	    "\tby mx.example.org (subtls) with ESMTPSA id 0123456789abcdef\r\n"
	    "\t(listener submissions, TLSv1.3 cipher TLS_AES_256_GCM_SHA384);\r\n"
	    "\tFri, 4 Dec 2026 23:06:32 +0000\r\n");

	t = full_trace();
	t.tls_version = NULL;
	t.sni = NULL;
	check_header("cipher without version", &t,
	    "Received: from mail.example.org ([192.0.2.1] port 40000)\r\n"
	    "\tby mx.example.org (subtls) with ESMTPSA id 0123456789abcdef\r\n"
	    "\t(listener submissions, cipher TLS_AES_256_GCM_SHA384,"
	    " user alice);\r\n"
	    "\tFri, 4 Dec 2026 23:06:32 +0000\r\n");

	t = full_trace();
	t.listener = NULL;
	t.cipher = NULL;
	t.sni = NULL;
	t.user = NULL;
	check_header("version alone", &t,
	    "Received: from mail.example.org ([192.0.2.1] port 40000)\r\n"
	    "\tby mx.example.org (subtls) with ESMTPSA id 0123456789abcdef\r\n"
	    "\t(TLSv1.3);\r\n"
	    "\tFri, 4 Dec 2026 23:06:32 +0000\r\n");
}

struct helo_case {
	const char *name;
	const char *helo;
	const char *from;	/* the first line without "Received: " */
};

static const struct helo_case helo_cases[] = {
	{ "no HELO", NULL, "from unknown ([192.0.2.1] port 40000)" },
	{ "empty HELO", "", "from unknown ([192.0.2.1] port 40000)" },
	{ "single label", "client", "from client ([192.0.2.1] port 40000)" },
	{ "digits and hyphens", "1-a.b-2.example",
	    "from 1-a.b-2.example ([192.0.2.1] port 40000)" },
	{ "IPv4 literal", "[192.0.2.7]",
	    "from [192.0.2.7] ([192.0.2.1] port 40000)" },
	{ "IPv6 literal", "[IPv6:2001:db8::7]",
	    "from [IPv6:2001:db8::7] ([192.0.2.1] port 40000)" },
	{ "IPv6 literal tag in lower case", "[ipv6:2001:db8::7]",
	    "from [ipv6:2001:db8::7] ([192.0.2.1] port 40000)" },
	{ "IPv6 literal without tag", "[2001:db8::7]",
	    "from unknown ([192.0.2.1] port 40000, helo [2001:db8::7])" },
	{ "IPv4 literal out of range", "[300.0.2.7]",
	    "from unknown ([192.0.2.1] port 40000, helo [300.0.2.7])" },
	{ "leading hyphen", "-a.example",
	    "from unknown ([192.0.2.1] port 40000, helo -a.example)" },
	{ "trailing hyphen", "a-.example",
	    "from unknown ([192.0.2.1] port 40000, helo a-.example)" },
	{ "empty label", "a..example",
	    "from unknown ([192.0.2.1] port 40000, helo a..example)" },
	{ "trailing dot", "example.org.",
	    "from unknown ([192.0.2.1] port 40000, helo example.org.)" },
	{ "underscore", "my_host",
	    "from unknown ([192.0.2.1] port 40000, helo my_host)" },
	{ "parentheses and backslash are escaped", "a(b)c\\d",
	    "from unknown ([192.0.2.1] port 40000, helo a\\(b\\)c\\\\d)" },
	{ "controls, space and 8-bit become ?", "a\tb c\x7f\xc3\xa9\r\n",
	    "from unknown ([192.0.2.1] port 40000, helo a?b?c?????" ")" },
	{ "an early ) cannot end the comment", "x) by evil.example (",
	    "from unknown ([192.0.2.1] port 40000,"
	    " helo x\\)?by?evil.example?\\()" },
};

static void
test_helo(void)
{
	struct smtp_trace t = full_trace();

	t.listener = t.tls_version = t.cipher = t.sni = t.user = NULL;
	for (size_t i = 0; i < sizeof(helo_cases) / sizeof(helo_cases[0]);
	    i++) {
		const struct helo_case *c = &helo_cases[i];
		char want[1024];

		t.helo = c->helo;
		snprintf(want, sizeof(want), "Received: %s\r\n"
		    "\tby mx.example.org (subtls) with ESMTPSA id"
		    " 0123456789abcdef;\r\n"
		    "\tFri, 4 Dec 2026 23:06:32 +0000\r\n", c->from);
		check_header(c->name, &t, want);
	}
}

static void
test_domain_label_length(void)
{
	char helo[80];
	char out[SMTP_TRACE_HEADER_MAX];
	struct smtp_trace t = full_trace();
	size_t len;

	t.helo = helo;
	memset(helo, 'a', 63);
	strcpy(helo + 63, ".example");
	len = encode(out, &t);
	CHECK(len > 0, "a 63-byte label encodes");
	CHECK(strncmp(out, "Received: from aaa", 18) == 0,
	    "a 63-byte label is a domain");

	memset(helo, 'a', 64);
	strcpy(helo + 64, ".example");
	len = encode(out, &t);
	CHECK(len > 0, "a 64-byte label encodes");
	CHECK(strncmp(out, "Received: from unknown", 22) == 0,
	    "a 64-byte label is not a domain");
}

/* Returns the length of the run of c right after the first label in s. */
static size_t
run_after(const char *s, const char *label, char c)
{
	const char *p = strstr(s, label);
	size_t n = 0;

	if (p == NULL)
		return 0;
	for (p += strlen(label); p[n] == c; n++)
		;
	return n;
}

static void
test_long_fields(void)
{
	char long_sni[301];
	char long_user[301];
	char out[SMTP_TRACE_HEADER_MAX];
	struct smtp_trace t = full_trace();
	size_t len;

	memset(long_sni, 's', 300);
	long_sni[300] = '\0';
	memset(long_user, 'u', 300);
	long_user[300] = '\0';

	t.sni = long_sni;
	t.user = long_user;
	len = encode(out, &t);
	CHECK(len > 0, "300-byte SNI and user encode");
	CHECK(run_after(out, "sni ", 's') == SMTP_TRACE_FIELD_MAX,
	    "SNI is cut at 255 bytes");
	CHECK(run_after(out, "user ", 'u') == SMTP_TRACE_FIELD_MAX,
	    "user is cut at 255 bytes");
	CHECK(strstr(out, "\tsni ") != NULL, "the long SNI starts a line");
	CHECK(strstr(out, "\tuser ") != NULL, "the long user starts a line");
	check_form("300-byte SNI and user", out, len, 998);
}

/* Every field at its maximum, made of bytes that escaping doubles. */
static void
test_worst_case(void)
{
	struct sockaddr_storage ipv6 = make_address(
	    "2001:db8:1234:5678:9abc:def0:1234:5678", 65535);
	char escaped[SMTP_TRACE_FIELD_MAX + 1];
	char by[256];
	char id[SMTP_TRACE_ID_MAX + 1];
	char out[SMTP_TRACE_HEADER_MAX];
	struct smtp_trace t = full_trace();
	size_t len;

	memset(escaped, '(', SMTP_TRACE_FIELD_MAX);
	escaped[SMTP_TRACE_FIELD_MAX] = '\0';
	for (size_t i = 0; i < 255; i++)
		by[i] = i % 64 == 63 ? '.' : 'b';
	by[255] = '\0';
	memset(id, 'i', SMTP_TRACE_ID_MAX);
	id[SMTP_TRACE_ID_MAX] = '\0';

	t.client = (struct sockaddr *)&ipv6;
	t.helo = escaped;
	t.by = by;
	t.id = id;
	t.listener = t.tls_version = t.cipher = t.sni = t.user = escaped;
	t.when = 253402300799;	/* Fri, 31 Dec 9999 23:59:59 +0000 */
	len = encode(out, &t);
	CHECK(len > 0, "worst case encodes (length %zu)", len);
	CHECK(len < SMTP_TRACE_HEADER_MAX,
	    "worst case fits SMTP_TRACE_HEADER_MAX with its NUL");
	check_form("worst case", out, len, 998);
}

static void
test_dates(void)
{
	static const struct {
		time_t when;
		const char *date;
	} dates[] = {
		{ 0, "Thu, 1 Jan 1970 00:00:00 +0000" },
		{ 1709208000, "Thu, 29 Feb 2024 12:00:00 +0000" },
		{ WHEN, "Fri, 4 Dec 2026 23:06:32 +0000" },
		{ 253402300799, "Fri, 31 Dec 9999 23:59:59 +0000" },
	};
	char out[SMTP_TRACE_HEADER_MAX];
	struct smtp_trace t = full_trace();

	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		char want[64];
		size_t len;

		t.when = dates[i].when;
		len = encode(out, &t);
		snprintf(want, sizeof(want), "\r\n\t%s\r\n", dates[i].date);
		if (CHECK(len > strlen(want), "date %s: header encodes",
		    dates[i].date))
			CHECK(strcmp(out + len - strlen(want), want) == 0,
			    "date %s: last line", dates[i].date);
	}

	t.when = 253402300800;
	CHECK(encode(out, &t) == 0, "year 10000 gives 0");
}

static void
test_invalid_arguments(void)
{
	struct sockaddr_un sun;
	char out[SMTP_TRACE_HEADER_MAX];
	char id[SMTP_TRACE_ID_MAX + 2];
	struct smtp_trace t = full_trace();

	t.by = "mx example.org";
	CHECK(encode(out, &t) == 0, "by with a space gives 0");
	t.by = "";
	CHECK(encode(out, &t) == 0, "empty by gives 0");

	t = full_trace();
	t.id = "a b";
	CHECK(encode(out, &t) == 0, "id with a space gives 0");
	t.id = "";
	CHECK(encode(out, &t) == 0, "empty id gives 0");
	memset(id, 'i', SMTP_TRACE_ID_MAX + 1);
	id[SMTP_TRACE_ID_MAX + 1] = '\0';
	t.id = id;
	CHECK(encode(out, &t) == 0, "65-byte id gives 0");

	t = full_trace();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	t.client = (struct sockaddr *)&sun;
	CHECK(encode(out, &t) == 0, "AF_UNIX client gives 0");
}

static void
test_buffer_size(void)
{
	char out[SMTP_TRACE_HEADER_MAX];
	struct smtp_trace t = full_trace();
	size_t want_len = encode(out, &t);

	CHECK(smtp_trace_header(out, want_len + 1, &t) == want_len,
	    "fits a buffer of length + 1");
	CHECK(smtp_trace_header(out, want_len, &t) == 0,
	    "a buffer without room for the NUL gives 0");
	CHECK(smtp_trace_header(out, 30, &t) == 0,
	    "a buffer cut in the first line gives 0");
	CHECK(smtp_trace_header(out, 0, &t) == 0, "an empty buffer gives 0");
}

int
main(void)
{
	client_ipv4 = make_address("192.0.2.1", 40000);

	test_documented_example();
	test_protocol();
	test_addresses();
	test_optional_items();
	test_helo();
	test_domain_label_length();
	test_long_fields();
	test_worst_case();
	test_dates();
	test_invalid_arguments();
	test_buffer_size();
	return check_done();
}
