/*
 * libFuzzer target: the reader of the backend's greeting (smtp/reply.h),
 * fed the input in reads of varying size, several replies in a row.
 *
 * Checks the contract of smtp_reply_reader_feed().  It consumes at most the
 * bytes given, and INCOMPLETE consumes them all.  COMPLETE ends right after
 * an LF and has a code from 200 to 559.  A final status is returned again
 * and consumes nothing.  The result does not depend on how the bytes were
 * split, which the harness checks by reading the same bytes at once.
 */
#include <stdint.h>
#include <string.h>

#include "smtp/reply.h"
#include "test/fuzz/fuzz.h"

/* Reads one reply from data and returns the bytes it took. */
static size_t
read_reply(const char *data, size_t size, unsigned *seed,
    struct smtp_reply_reader *r)
{
	size_t pos = 0;

	smtp_reply_reader_init(r);
	while (pos < size) {
		size_t chunk = fuzz_chunk_size(seed, size - pos, size - pos);
		size_t used = SIZE_MAX;
		enum smtp_reply_status status;

		status = smtp_reply_reader_feed(r, data + pos, chunk, &used);
		FUZZ_ASSERT(used <= chunk);
		FUZZ_ASSERT(status == r->status);
		pos += used;
		if (status == SMTP_REPLY_INCOMPLETE) {
			FUZZ_ASSERT(used == chunk);
			continue;
		}

		if (status == SMTP_REPLY_COMPLETE) {
			FUZZ_ASSERT(data[pos - 1] == '\n');
			FUZZ_ASSERT(r->code >= 200 && r->code <= 559);
		} else {
			FUZZ_ASSERT(status == SMTP_REPLY_INVALID);
			FUZZ_ASSERT(used > 0);
		}

		/* A final status stays, and consumes nothing more. */
		used = SIZE_MAX;
		FUZZ_ASSERT(smtp_reply_reader_feed(r, data + pos, size - pos,
		    &used) == status);
		FUZZ_ASSERT(used == 0);
		return pos;
	}
	return pos;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	unsigned seed = size > 0 ? data[0] : 0;
	size_t pos = 0;

	while (pos < size) {
		struct smtp_reply_reader split, whole;
		size_t used, whole_used = SIZE_MAX;
		enum smtp_reply_status status;

		used = read_reply(text + pos, size - pos, &seed, &split);
		FUZZ_ASSERT(used <= size - pos);

		smtp_reply_reader_init(&whole);
		status = smtp_reply_reader_feed(&whole, text + pos, size - pos,
		    &whole_used);
		FUZZ_ASSERT(status == split.status);
		FUZZ_ASSERT(whole_used == used);
		if (status == SMTP_REPLY_COMPLETE)
			FUZZ_ASSERT(whole.code == split.code);
		if (status != SMTP_REPLY_COMPLETE)
			break;
		pos += used;
	}
	return 0;
}
