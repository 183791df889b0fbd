/*
 * The ClientHello reader: each case builds a ClientHello from its suites,
 * signature algorithms and versions, and checks whether the client would
 * get the ECDSA certificate.  Also: a hello split over two records, a
 * hello cut short, and records that are not a handshake.
 */
#include <stdint.h>
#include <string.h>

#include "test/unit/check.h"
#include "tls/client_hello.h"

#define END 0xffff

struct hello_bytes {
	uint8_t data[2048];
	size_t len;
};

static void
put(struct hello_bytes *b, unsigned value, size_t size)
{
	for (size_t i = size; i > 0; i--)
		b->data[b->len++] = (uint8_t)(value >> (8 * (i - 1)));
}

/* Writes a 2-byte length-prefixed list of 2-byte values ending at END. */
static void
put_list(struct hello_bytes *b, const unsigned *values, size_t length_size)
{
	size_t count = 0;

	while (values[count] != END)
		count++;
	put(b, (unsigned)(2 * count), length_size);
	for (size_t i = 0; i < count; i++)
		put(b, values[i], 2);
}

/* Builds the handshake message: a NULL list leaves its extension out. */
static struct hello_bytes
build_message(const unsigned *suites, const unsigned *sigalgs,
    const unsigned *versions)
{
	struct hello_bytes body = { .len = 0 }, extensions = { .len = 0 };
	struct hello_bytes message = { .len = 0 };

	put(&body, 0x0303, 2);
	for (int i = 0; i < 32; i++)
		put(&body, 0x2a, 1);
	put(&body, 0, 1);			/* empty session id */
	put_list(&body, suites, 2);
	put(&body, 1, 1);
	put(&body, 0, 1);			/* null compression */

	if (sigalgs != NULL) {
		struct hello_bytes list = { .len = 0 };

		put_list(&list, sigalgs, 2);
		put(&extensions, 13, 2);
		put(&extensions, (unsigned)list.len, 2);
		memcpy(extensions.data + extensions.len, list.data, list.len);
		extensions.len += list.len;
	}
	if (versions != NULL) {
		struct hello_bytes list = { .len = 0 };

		put_list(&list, versions, 1);
		put(&extensions, 43, 2);
		put(&extensions, (unsigned)list.len, 2);
		memcpy(extensions.data + extensions.len, list.data, list.len);
		extensions.len += list.len;
	}
	put(&body, (unsigned)extensions.len, 2);
	memcpy(body.data + body.len, extensions.data, extensions.len);
	body.len += extensions.len;

	put(&message, 1, 1);			/* client_hello */
	put(&message, (unsigned)body.len, 3);
	memcpy(message.data + message.len, body.data, body.len);
	message.len += body.len;
	return message;
}

/* Wraps message[from, to) in one handshake record. */
static void
put_record(struct hello_bytes *out, const struct hello_bytes *message,
    size_t from, size_t to)
{
	put(out, 22, 1);
	put(out, 0x0301, 2);
	put(out, (unsigned)(to - from), 2);
	memcpy(out->data + out->len, message->data + from, to - from);
	out->len += to - from;
}

static struct hello_bytes
build_hello(const unsigned *suites, const unsigned *sigalgs,
    const unsigned *versions)
{
	struct hello_bytes message = build_message(suites, sigalgs, versions);
	struct hello_bytes records = { .len = 0 };

	put_record(&records, &message, 0, message.len);
	return records;
}

static const unsigned tls13_and_both[] = {
	0x1301, 0x1302, 0xc02b, 0xc02f, END,
};
static const unsigned tls12_rsa_only[] = { 0xc02f, 0xc030, END };
static const unsigned tls12_ecdsa_only[] = { 0xc02b, END };
static const unsigned tls12_both[] = { 0xc02b, 0xc02f, END };
static const unsigned sigalgs_rsa[] = { 0x0804, 0x0401, END };
static const unsigned sigalgs_ecdsa[] = { 0x0403, END };
static const unsigned sigalgs_both[] = { 0x0403, 0x0804, 0x0401, END };
static const unsigned versions_13_12[] = { 0x0304, 0x0303, END };

struct choice_case {
	const char *name;
	const unsigned *suites, *sigalgs, *versions;
	bool ecdsa;
};

static const struct choice_case choice_cases[] = {
	{ "TLS 1.3 client with ECDSA and RSA schemes gets ECDSA",
	  tls13_and_both, sigalgs_both, versions_13_12, true },
	{ "TLS 1.3 client with only RSA schemes gets RSA",
	  tls13_and_both, sigalgs_rsa, versions_13_12, false },
	{ "TLS 1.3 client with only ECDSA schemes gets ECDSA",
	  tls13_and_both, sigalgs_ecdsa, versions_13_12, true },
	{ "TLS 1.2 client with only ECDHE-RSA suites gets RSA",
	  tls12_rsa_only, sigalgs_both, NULL, false },
	{ "TLS 1.2 client with only ECDHE-ECDSA suites gets ECDSA",
	  tls12_ecdsa_only, sigalgs_both, NULL, true },
	{ "TLS 1.2 client with both suites and RSA schemes gets RSA",
	  tls12_both, sigalgs_rsa, NULL, false },
	{ "TLS 1.2 client without signature_algorithms, ECDSA suite",
	  tls12_ecdsa_only, NULL, NULL, true },
	{ "TLS 1.2 client without signature_algorithms, RSA suites",
	  tls12_rsa_only, NULL, NULL, false },
	{ "TLS 1.3 client without signature_algorithms gets RSA",
	  tls13_and_both, NULL, versions_13_12, false },
};

static void
check_choices(void)
{
	for (size_t i = 0; i < sizeof(choice_cases) / sizeof(choice_cases[0]);
	    i++) {
		const struct choice_case *c = &choice_cases[i];
		struct hello_bytes b = build_hello(c->suites, c->sigalgs,
		    c->versions);
		struct tls_client_hello hello;
		enum tls_client_hello_result result =
		    tls_client_hello_parse(b.data, b.len, &hello);

		CHECK(result == TLS_CLIENT_HELLO_PARSED, "%s: parsed",
		    c->name);
		CHECK(tls_client_hello_accepts_ecdsa(&hello) == c->ecdsa,
		    "%s", c->name);
	}
}

static void
check_fragmented_hello(void)
{
	struct hello_bytes message = build_message(tls13_and_both,
	    sigalgs_rsa, versions_13_12);
	struct hello_bytes records = { .len = 0 };
	struct hello_bytes before;
	struct tls_client_hello hello;
	size_t first_record;

	put_record(&records, &message, 0, 10);
	first_record = records.len;
	put_record(&records, &message, 10, message.len);
	before = records;

	CHECK(tls_client_hello_parse(records.data, first_record, &hello) ==
	    TLS_CLIENT_HELLO_INCOMPLETE, "first of two records: incomplete");
	CHECK(tls_client_hello_parse(records.data, records.len, &hello) ==
	    TLS_CLIENT_HELLO_PARSED, "two records: parsed");
	CHECK(hello.offers_tls13, "two records: TLS 1.3 offered");
	CHECK(hello.rsa_signatures, "two records: RSA schemes offered");
	CHECK(!hello.ecdsa_signatures, "two records: no ECDSA schemes");
	CHECK_BYTES(records.data, records.len, before.data, before.len,
	    "two records: input left unchanged");
}

static void
check_short_and_foreign_input(void)
{
	struct hello_bytes b = build_hello(tls12_both, sigalgs_both, NULL);
	struct tls_client_hello hello;
	static const uint8_t alert[] = { 21, 3, 3, 0, 2, 2, 40 };
	static const uint8_t smtp[] = "EHLO client.example.org\r\n";

	CHECK(tls_client_hello_parse(b.data, 3, &hello) ==
	    TLS_CLIENT_HELLO_INCOMPLETE, "record header cut short: incomplete");
	CHECK(tls_client_hello_parse(b.data, b.len - 1, &hello) ==
	    TLS_CLIENT_HELLO_INCOMPLETE, "last byte missing: incomplete");
	CHECK(tls_client_hello_parse(alert, sizeof(alert), &hello) ==
	    TLS_CLIENT_HELLO_INVALID, "an alert record: invalid");
	CHECK(tls_client_hello_parse(smtp, sizeof(smtp) - 1, &hello) ==
	    TLS_CLIENT_HELLO_INVALID, "plaintext SMTP: invalid");

	/* A suite list length that runs past the message. */
	b.data[5 + 4 + 2 + 32 + 1] = 0x7f;
	CHECK(tls_client_hello_parse(b.data, b.len, &hello) ==
	    TLS_CLIENT_HELLO_INVALID, "suite list past the end: invalid");
}

int
main(void)
{
	check_choices();
	check_fragmented_hello();
	check_short_and_foreign_input();
	return check_done();
}
