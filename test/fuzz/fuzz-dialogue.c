/*
 * libFuzzer target: the STARTTLS listener's dialogue before TLS.
 *
 * The input is client bytes, split into reads of varying size (the first
 * byte of the input seeds the sizes), as a client on a slow or pipelining
 * connection would send them.  After each read the harness steps the
 * dialogue until it needs input, as proxy/session.c does.  Every reply must
 * fit the reply buffer and consist of printable ASCII lines ending in CRLF.
 * It must also be a valid SMTP reply (RFC 5321 section 4.2): every line has
 * the same three-digit code, then '-' on every line but the last, which has
 * ' '.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/dialogue.h"
#include "test/fuzz/fuzz.h"

#define HOSTNAME "mx.example.org"

static void
check_reply(const char *reply, size_t len, enum smtp_step step)
{
	size_t pos = 0;

	if (step == SMTP_STEP_NEED_INPUT) {
		FUZZ_ASSERT(len == 0);
		return;
	}
	if (len == 0) {
		FUZZ_ASSERT(step == SMTP_STEP_CLOSE);
		return;
	}
	FUZZ_ASSERT(len <= SMTP_DIALOGUE_REPLY_MAX);
	FUZZ_ASSERT(reply[len - 1] == '\n');

	while (pos < len) {
		const char *line = reply + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t line_len = (size_t)(lf + 1 - line);
		bool last = pos + line_len == len;

		FUZZ_ASSERT(line_len >= 6);
		FUZZ_ASSERT(line[line_len - 2] == '\r');
		FUZZ_ASSERT(line[0] >= '2' && line[0] <= '5');
		FUZZ_ASSERT(line[1] >= '0' && line[1] <= '9');
		FUZZ_ASSERT(line[2] >= '0' && line[2] <= '9');
		FUZZ_ASSERT(memcmp(line, reply, 3) == 0);
		FUZZ_ASSERT(line[3] == (last ? ' ' : '-'));

		/* subtls's own text: printable ASCII before the CRLF. */
		for (size_t i = 0; i < line_len - 2; i++) {
			unsigned char c = (unsigned char)line[i];

			FUZZ_ASSERT(c >= 0x20 && c < 0x7f);
		}
		pos += line_len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_dialogue *d;
	char reply[SMTP_DIALOGUE_REPLY_MAX];
	unsigned seed = size > 0 ? data[0] : 0;
	size_t pos = size > 0 ? 1 : 0;
	bool over = false;

	d = smtp_dialogue_new(HOSTNAME);
	FUZZ_ASSERT(d != NULL);

	while (!over) {
		size_t space, chunk;
		char *in = smtp_dialogue_input_space(d, &space);

		/* The header promises a whole line of room after NEED_INPUT. */
		FUZZ_ASSERT(space >= SMTP_COMMAND_LINE_MAX);
		if (pos == size)
			break;
		chunk = fuzz_chunk_size(&seed, size - pos, space);
		memcpy(in, data + pos, chunk);
		smtp_dialogue_commit(d, chunk);
		pos += chunk;

		for (;;) {
			size_t reply_len = 0;
			enum smtp_step step = smtp_dialogue_step(d, reply,
			    &reply_len);

			check_reply(reply, reply_len, step);
			if (step == SMTP_STEP_NEED_INPUT)
				break;
			if (step == SMTP_STEP_STARTTLS ||
			    step == SMTP_STEP_CLOSE) {
				over = true;
				break;
			}
		}
	}

	/* Once over, the dialogue only closes, with an empty reply. */
	if (over) {
		size_t reply_len = 1;

		FUZZ_ASSERT(smtp_dialogue_step(d, reply, &reply_len) ==
		    SMTP_STEP_CLOSE);
		FUZZ_ASSERT(reply_len == 0);
	}
	smtp_dialogue_free(d);
	return 0;
}
