/*
 * The ClientHello reader.  It joins the fragments of the handshake records
 * (RFC 8446 section 5.1 lets a handshake message span records) into a
 * bounded buffer, then walks the message: version, random, session id,
 * cipher suites, compression methods and extensions (RFC 8446 section
 * 4.1.2, RFC 5246 section 7.4.1.2).
 */
#include <string.h>

#include "tls/client_hello.h"

#define RECORD_HANDSHAKE 22
#define HANDSHAKE_CLIENT_HELLO 1
#define EXTENSION_SIGNATURE_ALGORITHMS 13
#define EXTENSION_SUPPORTED_VERSIONS 43

/* A ClientHello larger than this is read as invalid and gets the default
 * certificate; real ones are well under 2 KB, or about 3 KB with a
 * post-quantum key share. */
#define CLIENT_HELLO_MAX 16384

struct cursor {
	const uint8_t *p;
	size_t left;
	bool failed;
};

static unsigned
take(struct cursor *c, size_t n)
{
	unsigned value = 0;

	if (c->failed || c->left < n) {
		c->failed = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		value = value << 8 | c->p[i];
	c->p += n;
	c->left -= n;
	return value;
}

/* Returns a cursor over the next length-prefixed block and skips it. */
static struct cursor
take_block(struct cursor *c, size_t length_size)
{
	struct cursor block = { .failed = true };
	size_t n = take(c, length_size);

	if (c->failed || c->left < n) {
		c->failed = true;
		return block;
	}
	block.p = c->p;
	block.left = n;
	block.failed = false;
	c->p += n;
	c->left -= n;
	return block;
}

static bool
is_ecdhe_ecdsa_suite(unsigned suite)
{
	/* AES-GCM, AES-CBC and ChaCha20-Poly1305 ECDHE-ECDSA suites. */
	return suite == 0xc02b || suite == 0xc02c || suite == 0xcca9 ||
	    suite == 0xc009 || suite == 0xc00a || suite == 0xc023 ||
	    suite == 0xc024;
}

static bool
is_ecdhe_rsa_suite(unsigned suite)
{
	return suite == 0xc02f || suite == 0xc030 || suite == 0xcca8 ||
	    suite == 0xc013 || suite == 0xc014 || suite == 0xc027 ||
	    suite == 0xc028;
}

static void
read_suites(struct cursor suites, struct tls_client_hello *hello)
{
	while (suites.left >= 2) {
		unsigned suite = take(&suites, 2);

		hello->offers_ecdsa_suite |= is_ecdhe_ecdsa_suite(suite);
		hello->offers_rsa_suite |= is_ecdhe_rsa_suite(suite);
	}
}

static void
read_signature_algorithms(struct cursor body, struct tls_client_hello *hello)
{
	struct cursor list = take_block(&body, 2);

	hello->has_signature_algorithms = true;
	while (!list.failed && list.left >= 2) {
		unsigned scheme = take(&list, 2);
		unsigned hash = scheme >> 8, signature = scheme & 0xff;

		/* ecdsa_secp256r1_sha256 (0x0403) to _secp521r1_sha512. */
		if (signature == 3 && hash >= 4 && hash <= 6)
			hello->ecdsa_signatures = true;
		/* rsa_pkcs1_* (0x0401...) and rsa_pss_rsae_* (0x0804...). */
		if ((signature == 1 && hash >= 4 && hash <= 6) ||
		    (hash == 8 && signature >= 4 && signature <= 6))
			hello->rsa_signatures = true;
	}
}

static void
read_supported_versions(struct cursor body, struct tls_client_hello *hello)
{
	struct cursor list = take_block(&body, 1);

	while (!list.failed && list.left >= 2) {
		if (take(&list, 2) == 0x0304)
			hello->offers_tls13 = true;
	}
}

static enum tls_client_hello_result
read_message(struct cursor c, struct tls_client_hello *hello)
{
	struct cursor suites, extensions;

	take(&c, 2);			/* legacy_version */
	take(&c, 32);			/* random */
	take_block(&c, 1);		/* legacy_session_id */
	suites = take_block(&c, 2);
	take_block(&c, 1);		/* legacy_compression_methods */
	if (c.failed)
		return TLS_CLIENT_HELLO_INVALID;
	read_suites(suites, hello);

	/* A hello without extensions is TLS 1.2 without sigalgs. */
	if (c.left == 0)
		return TLS_CLIENT_HELLO_PARSED;
	extensions = take_block(&c, 2);
	while (!extensions.failed && extensions.left > 0) {
		unsigned type = take(&extensions, 2);
		struct cursor body = take_block(&extensions, 2);

		if (extensions.failed)
			return TLS_CLIENT_HELLO_INVALID;
		if (type == EXTENSION_SIGNATURE_ALGORITHMS)
			read_signature_algorithms(body, hello);
		else if (type == EXTENSION_SUPPORTED_VERSIONS)
			read_supported_versions(body, hello);
	}
	return extensions.failed ? TLS_CLIENT_HELLO_INVALID :
	    TLS_CLIENT_HELLO_PARSED;
}

enum tls_client_hello_result
tls_client_hello_parse(const uint8_t *data, size_t len,
    struct tls_client_hello *hello)
{
	static __thread uint8_t message[CLIENT_HELLO_MAX];
	struct cursor records = { .p = data, .left = len };
	size_t used = 0;

	memset(hello, 0, sizeof(*hello));

	/* Join handshake fragments until the message length is known and
	 * reached.  Each round consumes one record, so the loop ends. */
	while (records.left >= 5) {
		unsigned type = take(&records, 1);
		struct cursor fragment;
		size_t message_length;

		take(&records, 2);		/* legacy_record_version */
		if (type != RECORD_HANDSHAKE)
			return TLS_CLIENT_HELLO_INVALID;
		if (records.left < 2 ||
		    (size_t)(records.p[0] << 8 | records.p[1]) > records.left - 2)
			return TLS_CLIENT_HELLO_INCOMPLETE;
		fragment = take_block(&records, 2);
		if (used + fragment.left > sizeof(message))
			return TLS_CLIENT_HELLO_INVALID;
		/* The length check above makes take_block() succeed, so
		 * fragment.p is not NULL. */
		/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
		memcpy(message + used, fragment.p, fragment.left);
		used += fragment.left;

		if (used < 4)
			continue;
		if (message[0] != HANDSHAKE_CLIENT_HELLO)
			return TLS_CLIENT_HELLO_INVALID;
		message_length = (size_t)message[1] << 16 |
		    (size_t)message[2] << 8 | message[3];
		if (message_length + 4 > sizeof(message))
			return TLS_CLIENT_HELLO_INVALID;
		if (used >= message_length + 4) {
			struct cursor body = {
				.p = message + 4, .left = message_length,
			};

			return read_message(body, hello);
		}
	}
	return TLS_CLIENT_HELLO_INCOMPLETE;
}

bool
tls_client_hello_accepts_ecdsa(const struct tls_client_hello *hello)
{
	if (!hello->offers_tls13 && !hello->offers_ecdsa_suite)
		return false;
	if (!hello->has_signature_algorithms)
		return !hello->offers_tls13;
	return hello->ecdsa_signatures;
}
