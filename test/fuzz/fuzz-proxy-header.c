/*
 * libFuzzer target: the PROXY header receiver (smtp/proxy_header_parse.h).
 *
 * The first input byte picks the accepted versions and the seed of the read
 * sizes, and the rest is fed in reads of varying size.  The harness checks
 * the contract of the header.  The parser never consumes more than it was
 * given, and a v1 header never exceeds 107 bytes nor a v2 header its length
 * limit.  Reads of any size give the same outcome as one read.  An error
 * always has a text, and a parsed header names two addresses of one family.
 * A parsed address pair, encoded again with smtp_proxy_v2_encode(), must
 * parse back to the same addresses.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "smtp/proxy_header.h"
#include "smtp/proxy_header_parse.h"
#include "test/fuzz/fuzz.h"

/* Parses data in reads of varying size.  Returns the status and sets
 * *consumed to the bytes used. */
static enum smtp_proxy_parse_status
parse_split(struct smtp_proxy_parser *p, unsigned versions, unsigned seed,
    const uint8_t *data, size_t size, size_t *consumed)
{
	enum smtp_proxy_parse_status status = SMTP_PROXY_PARSE_MORE;
	size_t off = 0;

	smtp_proxy_parser_init(p, versions);
	*consumed = 0;
	while (off < size && status == SMTP_PROXY_PARSE_MORE) {
		size_t n = fuzz_chunk_size(&seed, size - off, size - off);
		size_t used = 0;

		status = smtp_proxy_parse(p, data + off, n, &used);
		FUZZ_ASSERT(used <= n);
		FUZZ_ASSERT(status != SMTP_PROXY_PARSE_MORE || used == n);
		*consumed += used;
		off += n;
	}
	return status;
}

static void
check_result(const struct smtp_proxy_result *r, size_t consumed)
{
	FUZZ_ASSERT(r->version == 1 || r->version == 2);
	if (r->version == 1)
		FUZZ_ASSERT(consumed <= SMTP_PROXY_V1_MAX);
	else
		FUZZ_ASSERT(consumed <= 16 + SMTP_PROXY_V2_LENGTH_MAX);
	if (r->local)
		return;
	FUZZ_ASSERT(r->source.ss_family == AF_INET ||
	    r->source.ss_family == AF_INET6);
	FUZZ_ASSERT(r->source.ss_family == r->destination.ss_family);
}

/* Encodes the addresses of r as v2 and checks that they parse back. */
static void
check_round_trip(const struct smtp_proxy_result *r)
{
	unsigned char header[SMTP_PROXY_HEADER_MAX];
	struct smtp_proxy_parser again;
	const struct smtp_proxy_result *back;
	size_t len, used;

	len = smtp_proxy_v2_encode(header, sizeof(header),
	    (const struct sockaddr *)&r->source,
	    (const struct sockaddr *)&r->destination);
	FUZZ_ASSERT(len > 0);
	smtp_proxy_parser_init(&again, SMTP_PROXY_ACCEPT_V2);
	FUZZ_ASSERT(smtp_proxy_parse(&again, header, len, &used) ==
	    SMTP_PROXY_PARSE_DONE);
	FUZZ_ASSERT(used == len);
	back = smtp_proxy_parse_result(&again);
	FUZZ_ASSERT(back != NULL && !back->local);
	/* An IPv4-mapped IPv6 pair is encoded as IPv4, so only compare
	 * pairs that keep their family. */
	if (back->source.ss_family != r->source.ss_family)
		return;
	FUZZ_ASSERT(memcmp(&back->source, &r->source,
	    sizeof(r->source)) == 0);
	FUZZ_ASSERT(memcmp(&back->destination, &r->destination,
	    sizeof(r->destination)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_proxy_parser split, whole;
	enum smtp_proxy_parse_status split_status, whole_status;
	size_t split_used, whole_used;
	unsigned versions, seed;

	if (size < 1)
		return 0;
	versions = data[0] % 3 + 1;	/* v1, v2 or both */
	seed = data[0];
	data++;
	size--;

	split_status = parse_split(&split, versions, seed, data, size,
	    &split_used);
	smtp_proxy_parser_init(&whole, versions);
	whole_status = smtp_proxy_parse(&whole, data, size, &whole_used);

	FUZZ_ASSERT(split_status == whole_status);
	FUZZ_ASSERT(split_used <= size);
	if (split_status == SMTP_PROXY_PARSE_ERROR) {
		FUZZ_ASSERT(smtp_proxy_parse_error(&split) != NULL);
		FUZZ_ASSERT(strcmp(smtp_proxy_parse_error(&split),
		    smtp_proxy_parse_error(&whole)) == 0);
		FUZZ_ASSERT(smtp_proxy_parse_result(&split) == NULL);
		return 0;
	}
	if (split_status == SMTP_PROXY_PARSE_MORE)
		return 0;

	const struct smtp_proxy_result *r = smtp_proxy_parse_result(&split);
	const struct smtp_proxy_result *w = smtp_proxy_parse_result(&whole);

	FUZZ_ASSERT(split_used == whole_used);
	FUZZ_ASSERT(r != NULL && w != NULL);
	FUZZ_ASSERT(r->local == w->local);
	check_result(r, split_used);
	if (!r->local) {
		FUZZ_ASSERT(memcmp(&r->source, &w->source,
		    sizeof(r->source)) == 0);
		FUZZ_ASSERT(memcmp(&r->destination, &w->destination,
		    sizeof(r->destination)) == 0);
		check_round_trip(r);
	}
	return 0;
}
