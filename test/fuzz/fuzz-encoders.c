/*
 * libFuzzer target: what subtls writes to the backend about its client,
 * with every field taken from the input: the PROXY header (versions 1 and 2,
 * with TLS TLVs), the XCLIENT line and the Received: trace header.
 *
 * Each encoder writes into a heap buffer of exactly cap bytes, so
 * AddressSanitizer catches a write past cap.  The harness checks the form
 * of the output.  PROXY v2 length fields must match and its TLVs must end
 * where the header ends.  The v1 line and the XCLIENT line must be printable
 * ASCII ending in CRLF.  Trace header lines must be folded with CRLF and a
 * tab and stay within 998 characters (RFC 5322 section 2.1.1).  A buffer one
 * byte too small must give 0.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "smtp/proxy_header.h"
#include "smtp/trace.h"
#include "smtp/xclient.h"
#include "test/fuzz/fuzz.h"

/* The input, read front to back.  Reads past its end give zeros. */
struct input {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static uint8_t
take_byte(struct input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static void
take_bytes(struct input *in, void *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)out)[i] = take_byte(in);
}

/*
 * Takes a string: a length byte, then that many bytes, of which at most max
 * are kept, up to the first NUL.  A length byte of 0xff gives NULL.
 */
static const char *
take_string(struct input *in, char *out, size_t max)
{
	uint8_t len = take_byte(in);
	size_t n = 0;
	bool ended = false;

	if (len == 0xff)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = (char)take_byte(in);

		if (c == '\0')
			ended = true;
		if (!ended && n < max)
			out[n++] = c;
	}
	out[n] = '\0';
	return out;
}

/* Fills an address of the family the input picks, mostly IPv4 or IPv6. */
static void
take_address(struct input *in, struct sockaddr_storage *ss)
{
	uint8_t family = take_byte(in);

	memset(ss, 0, sizeof(*ss));
	if (family % 8 < 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		take_bytes(in, &sin->sin_port, sizeof(sin->sin_port));
		take_bytes(in, &sin->sin_addr, sizeof(sin->sin_addr));
	} else if (family % 8 < 7) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		take_bytes(in, &sin6->sin6_port, sizeof(sin6->sin6_port));
		take_bytes(in, &sin6->sin6_addr, sizeof(sin6->sin6_addr));

		/* Make IPv4-mapped addresses (::ffff:a.b.c.d) common. */
		if (family & 0x80) {
			memset(&sin6->sin6_addr, 0, 10);
			memset((uint8_t *)&sin6->sin6_addr + 10, 0xff, 2);
		}
	} else {
		ss->ss_family = family & 0x40 ? AF_UNIX : AF_UNSPEC;
	}
}

static bool
is_ip(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET || ss->ss_family == AF_INET6;
}

/* Checks that a line of len bytes is printable ASCII ending in CRLF. */
static void
check_text_line(const char *line, size_t len)
{
	FUZZ_ASSERT(len >= 2);
	FUZZ_ASSERT(line[len - 2] == '\r' && line[len - 1] == '\n');
	FUZZ_ASSERT(line[len] == '\0');
	for (size_t i = 0; i < len - 2; i++)
		FUZZ_ASSERT(line[i] >= 0x20 && line[i] < 0x7f);
}

/* Walks the TLVs after the 16-byte fixed part and the addresses. */
static void
check_v2_tlvs(const unsigned char *h, size_t len)
{
	size_t pos = 16 + (h[13] >> 4 == 1 ? 12 : 36);

	while (pos < len) {
		size_t tlv_len;

		FUZZ_ASSERT(pos + 3 <= len);
		tlv_len = (size_t)h[pos + 1] << 8 | h[pos + 2];
		FUZZ_ASSERT(pos + 3 + tlv_len <= len);
		pos += 3 + tlv_len;
	}
	FUZZ_ASSERT(pos == len);
}

static void
fuzz_proxy(const struct sockaddr_storage *client,
    const struct sockaddr_storage *server, const struct smtp_proxy_tls *tls,
    size_t cap)
{
	static const unsigned char signature[12] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a,
	};
	const struct sockaddr *c = (const struct sockaddr *)client;
	const struct sockaddr *s = (const struct sockaddr *)server;
	unsigned char *v2 = malloc(cap), *v2_tls = malloc(cap);
	char *v1 = malloc(cap);
	size_t len;

	FUZZ_ASSERT(v1 != NULL && v2 != NULL && v2_tls != NULL);

	len = smtp_proxy_v2_encode(v2, cap, c, s);
	FUZZ_ASSERT(len <= cap && len <= SMTP_PROXY_HEADER_MAX);
	if (len > 0) {
		FUZZ_ASSERT(is_ip(client) && is_ip(server));
		FUZZ_ASSERT(memcmp(v2, signature, sizeof(signature)) == 0);
		FUZZ_ASSERT(((size_t)v2[14] << 8 | v2[15]) == len - 16);
		check_v2_tlvs(v2, len);
		FUZZ_ASSERT(smtp_proxy_v2_encode(v2, len - 1, c, s) == 0);
	}

	len = smtp_proxy_v2_encode_tls(v2_tls, cap, c, s, tls);
	FUZZ_ASSERT(len <= cap && len <= SMTP_PROXY_HEADER_TLS_MAX);
	if (len > 0) {
		FUZZ_ASSERT(memcmp(v2_tls, signature, sizeof(signature)) == 0);
		FUZZ_ASSERT(((size_t)v2_tls[14] << 8 | v2_tls[15]) == len - 16);
		check_v2_tlvs(v2_tls, len);
		FUZZ_ASSERT(smtp_proxy_v2_encode_tls(v2_tls, len - 1, c, s,
		    tls) == 0);
	}

	len = smtp_proxy_v1_encode(v1, cap, c, s);
	FUZZ_ASSERT(len < cap || len == 0);
	FUZZ_ASSERT(len <= SMTP_PROXY_HEADER_MAX);
	if (len > 0) {
		FUZZ_ASSERT(memcmp(v1, "PROXY TCP", 9) == 0);
		check_text_line(v1, len);
		FUZZ_ASSERT(smtp_proxy_v1_encode(v1, len, c, s) == 0);
	}
	free(v1);
	free(v2);
	free(v2_tls);
}

static void
fuzz_xclient(const struct sockaddr_storage *client, const char *helo,
    size_t cap)
{
	const struct sockaddr *c = (const struct sockaddr *)client;
	char *line = malloc(cap);
	size_t len;

	FUZZ_ASSERT(line != NULL);
	len = smtp_xclient_encode(line, cap, c, helo);
	FUZZ_ASSERT(len < cap || len == 0);
	FUZZ_ASSERT(len <= SMTP_XCLIENT_LINE_MAX);
	if (len > 0) {
		FUZZ_ASSERT(is_ip(client));
		FUZZ_ASSERT(memcmp(line, "XCLIENT ", 8) == 0);
		check_text_line(line, len);
		FUZZ_ASSERT(smtp_xclient_encode(line, len, c, helo) == 0);
	}
	free(line);

	if (helo != NULL) {
		const char *arg = NULL;
		size_t helo_len = strlen(helo);
		size_t arg_len = smtp_helo_argument(helo, helo_len, &arg);

		if (arg_len > 0) {
			FUZZ_ASSERT(arg >= helo);
			FUZZ_ASSERT(arg + arg_len <= helo + helo_len);
		}
	}
}

/* Checks the folding of a trace header: CRLF TAB between lines, 998 max. */
static void
check_trace(const char *header, size_t len)
{
	size_t line_start = 0;

	FUZZ_ASSERT(memcmp(header, "Received: from ", 15) == 0);
	FUZZ_ASSERT(header[len] == '\0');
	FUZZ_ASSERT(len >= 2 && header[len - 2] == '\r' &&
	    header[len - 1] == '\n');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)header[i];

		if (c == '\r') {
			FUZZ_ASSERT(header[i + 1] == '\n');
			FUZZ_ASSERT(i + 2 == len || header[i + 2] == '\t');
			FUZZ_ASSERT(i - line_start <= 998);
			line_start = i + 2;
			i++;
			continue;
		}
		FUZZ_ASSERT(c != '\n');
		FUZZ_ASSERT(c == '\t' || (c >= 0x20 && c < 0x7f));
	}
}

static void
fuzz_trace(struct smtp_trace *t, size_t cap)
{
	char *header = malloc(cap);
	size_t len;

	FUZZ_ASSERT(header != NULL);
	len = smtp_trace_header(header, cap, t);
	FUZZ_ASSERT(len < cap || len == 0);
	if (len > 0) {
		FUZZ_ASSERT(len < SMTP_TRACE_HEADER_MAX);
		check_trace(header, len);
		FUZZ_ASSERT(smtp_trace_header(header, len, t) == 0);
	}
	free(header);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };
	struct sockaddr_storage client, server;
	char helo[300], sni[300], version[300], cipher[300];
	char by[300], listener[300], user[300], id[100];
	struct smtp_proxy_tls tls;
	struct smtp_trace t;
	uint8_t flags, small;
	size_t cap;

	flags = take_byte(&in);
	small = take_byte(&in);
	take_address(&in, &client);
	take_address(&in, &server);

	memset(&tls, 0, sizeof(tls));
	tls.version = take_string(&in, version, 256);
	tls.cipher = take_string(&in, cipher, 256);
	tls.sni = take_string(&in, sni, 256);
	tls.client_cert = flags & 1;
	tls.client_cert_verified = flags & 2;

	memset(&t, 0, sizeof(t));
	t.client = (const struct sockaddr *)&client;
	t.helo = take_string(&in, helo, 256);
	t.by = take_string(&in, by, 256);
	t.listener = take_string(&in, listener, 256);
	t.user = take_string(&in, user, 256);
	t.id = take_string(&in, id, 66);
	t.tls_version = tls.version;
	t.cipher = tls.cipher;
	t.sni = tls.sni;
	t.authenticated = flags & 4;
	take_bytes(&in, &t.when, sizeof(t.when));
	if (t.by == NULL)
		t.by = "mx.example.org";
	if (t.id == NULL)
		t.id = "0123456789abcdef";

	/* Mostly buffers of the documented size, sometimes smaller ones. */
	cap = flags & 8 ? 1 + small : SMTP_PROXY_HEADER_TLS_MAX;
	fuzz_proxy(&client, &server, flags & 16 ? NULL : &tls, cap);
	cap = flags & 8 ? 1 + small * 2 : SMTP_XCLIENT_LINE_MAX + 1;
	fuzz_xclient(&client, t.helo, cap);
	cap = flags & 8 ? 1 + small * 16 : SMTP_TRACE_HEADER_MAX;
	fuzz_trace(&t, cap);
	return 0;
}
