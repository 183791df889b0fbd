/*
 * PROXY protocol v1 and v2 headers checked byte for byte against the layout
 * of HAProxy's proxy-protocol.txt (sections 2.1 and 2.2).
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

/* Client port 40000 and listener port 587, big-endian. */
#define V2_PORTS 0x9c, 0x40, 0x02, 0x4b

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

struct header_case {
	const char *name;
	const char *client;	/* port 40000 */
	const char *server;	/* port 587 */
	const char *v1;
	unsigned char v2[64];
	size_t v2_len;
};

static const struct header_case cases[] = {
	{ "IPv4 is TCP4", "192.0.2.1", "198.51.100.7",
	    "PROXY TCP4 192.0.2.1 198.51.100.7 40000 587\r\n",
	    { V2_SIGNATURE, 0x21, 0x11, 0x00, 0x0c,
	      192, 0, 2, 1, 198, 51, 100, 7, V2_PORTS }, 28 },
	{ "IPv6 is TCP6", "2001:db8::1", "2001:db8:0:1::25",
	    "PROXY TCP6 2001:db8::1 2001:db8:0:1::25 40000 587\r\n",
	    { V2_SIGNATURE, 0x21, 0x21, 0x00, 0x24,
	      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x25,
	      V2_PORTS }, 52 },
	{ "IPv4-mapped IPv6 is TCP4", "::ffff:192.0.2.1", "::ffff:198.51.100.7",
	    "PROXY TCP4 192.0.2.1 198.51.100.7 40000 587\r\n",
	    { V2_SIGNATURE, 0x21, 0x11, 0x00, 0x0c,
	      192, 0, 2, 1, 198, 51, 100, 7, V2_PORTS }, 28 },
	{ "IPv4-mapped client and IPv4 listener is TCP4",
	    "::ffff:192.0.2.1", "198.51.100.7",
	    "PROXY TCP4 192.0.2.1 198.51.100.7 40000 587\r\n",
	    { V2_SIGNATURE, 0x21, 0x11, 0x00, 0x0c,
	      192, 0, 2, 1, 198, 51, 100, 7, V2_PORTS }, 28 },
	{ "IPv4 client and IPv6 listener is TCP6", "192.0.2.1", "2001:db8::25",
	    "PROXY TCP6 ::ffff:c000:201 2001:db8::25 40000 587\r\n",
	    { V2_SIGNATURE, 0x21, 0x21, 0x00, 0x24,
	      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1,
	      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25,
	      V2_PORTS }, 52 },
	{ "IPv4-mapped client and IPv6 listener is TCP6",
	    "::ffff:192.0.2.1", "2001:db8::25",
	    "PROXY TCP6 ::ffff:c000:201 2001:db8::25 40000 587\r\n",
	    { V2_SIGNATURE, 0x21, 0x21, 0x00, 0x24,
	      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1,
	      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25,
	      V2_PORTS }, 52 },
	{ "IPv6 client and IPv4 listener is TCP6", "2001:db8::1", "198.51.100.7",
	    "PROXY TCP6 2001:db8::1 ::ffff:c633:6407 40000 587\r\n",
	    { V2_SIGNATURE, 0x21, 0x21, 0x00, 0x24,
	      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 7,
	      V2_PORTS }, 52 },
};

static void
test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct header_case *c = &cases[i];
		struct sockaddr_storage client = make_address(c->client, 40000);
		struct sockaddr_storage server = make_address(c->server, 587);
		unsigned char v2[SMTP_PROXY_HEADER_MAX];
		char v1[SMTP_PROXY_HEADER_MAX];
		size_t len;

		len = smtp_proxy_v2_encode(v2, sizeof(v2),
		    (struct sockaddr *)&client, (struct sockaddr *)&server);
		CHECK_BYTES(v2, len, c->v2, c->v2_len, "v2 %s", c->name);

		len = smtp_proxy_v1_encode(v1, sizeof(v1),
		    (struct sockaddr *)&client, (struct sockaddr *)&server);
		CHECK_BYTES(v1, len, c->v1, strlen(c->v1), "v1 %s", c->name);
	}
}

static void
test_unsupported_family(void)
{
	struct sockaddr_storage inet = make_address("192.0.2.1", 40000);
	struct sockaddr_un local;
	unsigned char v2[SMTP_PROXY_HEADER_MAX];
	char v1[SMTP_PROXY_HEADER_MAX];

	memset(&local, 0, sizeof(local));
	local.sun_family = AF_UNIX;
	strcpy(local.sun_path, "/run/subtls.sock");

	CHECK(smtp_proxy_v2_encode(v2, sizeof(v2), (struct sockaddr *)&local,
	    (struct sockaddr *)&inet) == 0, "v2 AF_UNIX client gives 0");
	CHECK(smtp_proxy_v2_encode(v2, sizeof(v2), (struct sockaddr *)&inet,
	    (struct sockaddr *)&local) == 0, "v2 AF_UNIX listener gives 0");
	CHECK(smtp_proxy_v1_encode(v1, sizeof(v1), (struct sockaddr *)&local,
	    (struct sockaddr *)&inet) == 0, "v1 AF_UNIX client gives 0");
	CHECK(smtp_proxy_v1_encode(v1, sizeof(v1), (struct sockaddr *)&inet,
	    (struct sockaddr *)&local) == 0, "v1 AF_UNIX listener gives 0");
}

static void
test_small_buffer(void)
{
	struct sockaddr_storage client4 = make_address("192.0.2.1", 40000);
	struct sockaddr_storage server4 = make_address("198.51.100.7", 587);
	struct sockaddr_storage client6 = make_address("2001:db8::1", 40000);
	struct sockaddr_storage server6 = make_address("2001:db8::25", 587);
	const struct sockaddr *c4 = (struct sockaddr *)&client4;
	const struct sockaddr *s4 = (struct sockaddr *)&server4;
	const struct sockaddr *c6 = (struct sockaddr *)&client6;
	const struct sockaddr *s6 = (struct sockaddr *)&server6;
	unsigned char v2[SMTP_PROXY_HEADER_MAX];
	char v1[SMTP_PROXY_HEADER_MAX];
	size_t v1_len = strlen("PROXY TCP4 192.0.2.1 198.51.100.7 40000 587\r\n");

	CHECK(smtp_proxy_v2_encode(v2, 27, c4, s4) == 0,
	    "v2 TCP4 in 27 bytes gives 0");
	CHECK(smtp_proxy_v2_encode(v2, 28, c4, s4) == 28,
	    "v2 TCP4 fits 28 bytes");
	CHECK(smtp_proxy_v2_encode(v2, 51, c6, s6) == 0,
	    "v2 TCP6 in 51 bytes gives 0");
	CHECK(smtp_proxy_v2_encode(v2, 52, c6, s6) == 52,
	    "v2 TCP6 fits 52 bytes");
	CHECK(smtp_proxy_v1_encode(v1, v1_len, c4, s4) == 0,
	    "v1 without room for NUL gives 0");
	CHECK(smtp_proxy_v1_encode(v1, v1_len + 1, c4, s4) == v1_len,
	    "v1 fits length + 1 bytes");
	CHECK(v1[v1_len] == '\0', "v1 is NUL-terminated");
}

/* The longest v1 header, two full-length IPv6 addresses, fits the maximum. */
static void
test_longest_v1_fits(void)
{
	static const char want[] = "PROXY TCP6 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe 65535 65535\r\n";
	struct sockaddr_storage client = make_address(
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	struct sockaddr_storage server = make_address(
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535);
	char v1[SMTP_PROXY_HEADER_MAX];
	size_t len;

	len = smtp_proxy_v1_encode(v1, sizeof(v1), (struct sockaddr *)&client,
	    (struct sockaddr *)&server);
	CHECK_BYTES(v1, len, want, sizeof(want) - 1,
	    "v1 longest header fits SMTP_PROXY_HEADER_MAX");
	CHECK(len == 104, "v1 longest header is 104 bytes (got %zu)", len);
}

int
main(void)
{
	test_table();
	test_unsupported_family();
	test_small_buffer();
	test_longest_v1_fits();
	return check_done();
}
