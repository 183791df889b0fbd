/*
 * libFuzzer target: the follower of the conversation after TLS, fed client
 * and backend bytes in an order the input chooses, with the EHLO filter
 * applied to every 250 reply to EHLO as proxy/conversation.c applies it.
 *
 * The input is a series of records: one control byte, then up to 63 data
 * bytes.  Bit 7 of the control byte names the side (set: backend).  Bit 6
 * makes the harness refuse the next command, as proxy/ refuses XCLIENT.
 * Bits 0-5 give the record's length.  Bit 0 of the first byte also decides
 * whether the follower expects the backend's greeting.  After each record the
 * harness releases the follower's buffers.  After each call it checks the
 * contract of smtp/follower.h:
 *   - a call consumes at most the bytes it was given;
 *   - with bytes given, only SMTP_FOLLOW_WAIT (client side) consumes none,
 *     and only SMTP_FOLLOW_REPLY_INVALID (backend side) does so again;
 *   - every event has a known type, and a command inside the enum;
 *   - a line event's line is non-empty, ends in LF and fits
 *     SMTP_FOLLOW_LINE_MAX;
 *   - smtp_ehlo_filter() on the whole EHLO reply gives the same bytes as
 *     smtp_ehlo_stream_line() fed line by line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "smtp/ehlo_filter.h"
#include "smtp/follower.h"
#include "test/fuzz/fuzz.h"

/* 250 replies to EHLO longer than this are not compared. */
#define EHLO_REPLY_MAX 8192

static const char *const discarded[] = {
	"STARTTLS", "XCLIENT", "XFORWARD", "CHUNKING", NULL,
};

/* One EHLO reply as it passes: the whole reply and the streamed output. */
struct ehlo_check {
	struct smtp_ehlo_stream stream;
	bool active;
	bool too_long;
	char reply[EHLO_REPLY_MAX];
	size_t reply_len;
	char streamed[EHLO_REPLY_MAX + 2 * SMTP_EHLO_LINE_MAX];
	size_t streamed_len;
};

static struct ehlo_check ehlo;

static void
check_line(const struct smtp_follow_event *ev)
{
	FUZZ_ASSERT(ev->line != NULL);
	FUZZ_ASSERT(ev->line_len > 0);
	FUZZ_ASSERT(ev->line_len <= SMTP_FOLLOW_LINE_MAX);
	FUZZ_ASSERT(ev->line[ev->line_len - 1] == '\n');
}

static void
check_event(const struct smtp_follow_event *ev)
{
	FUZZ_ASSERT(ev->type >= SMTP_FOLLOW_NONE &&
	    ev->type <= SMTP_FOLLOW_REPLY_INVALID);
	FUZZ_ASSERT(ev->command >= SMTP_CMD_NONE &&
	    ev->command <= SMTP_CMD_INVALID);
	FUZZ_ASSERT(smtp_command_name(ev->command) != NULL);

	switch (ev->type) {
	case SMTP_FOLLOW_COMMAND:
	case SMTP_FOLLOW_AUTH_RESPONSE:
		check_line(ev);
		break;
	case SMTP_FOLLOW_REPLY_LINE:
	case SMTP_FOLLOW_REPLY:
	case SMTP_FOLLOW_AUTH_SUCCEEDED:
	case SMTP_FOLLOW_AUTH_FAILED:
	case SMTP_FOLLOW_MESSAGE_ACCEPTED:
	case SMTP_FOLLOW_MESSAGE_REJECTED:
		check_line(ev);
		FUZZ_ASSERT(ev->code >= 200 && ev->code <= 559);
		break;
	default:
		break;
	}
}

/* Compares the two EHLO filters on each line of a 250 reply to EHLO. */
static void
follow_ehlo_line(const struct smtp_follow_event *ev)
{
	bool last = ev->type != SMTP_FOLLOW_REPLY_LINE;
	bool listed = smtp_ehlo_keyword_listed(ev->line, ev->line_len,
	    discarded);
	char whole[EHLO_REPLY_MAX];
	size_t whole_len;

	if (ev->command != SMTP_CMD_EHLO || ev->code != 250)
		return;
	if (!ehlo.active) {
		smtp_ehlo_stream_start(&ehlo.stream);
		ehlo.active = true;
		ehlo.too_long = false;
		ehlo.reply_len = 0;
		ehlo.streamed_len = 0;
	}

	if (ehlo.reply_len + ev->line_len > sizeof(ehlo.reply))
		ehlo.too_long = true;
	if (!ehlo.too_long) {
		memcpy(ehlo.reply + ehlo.reply_len, ev->line, ev->line_len);
		ehlo.reply_len += ev->line_len;
		ehlo.streamed_len += smtp_ehlo_stream_line(&ehlo.stream,
		    ev->line, ev->line_len, last, listed,
		    ehlo.streamed + ehlo.streamed_len);
		FUZZ_ASSERT(ehlo.streamed_len <= ehlo.reply_len);
	}
	if (!last)
		return;

	ehlo.active = false;
	if (ehlo.too_long)
		return;
	whole_len = smtp_ehlo_filter(ehlo.reply, ehlo.reply_len, discarded,
	    whole, sizeof(whole));

	/* 0: not a reply the whole-reply filter takes, nothing to compare. */
	if (whole_len == 0)
		return;
	FUZZ_ASSERT(whole_len == ehlo.streamed_len);
	FUZZ_ASSERT(memcmp(whole, ehlo.streamed, whole_len) == 0);
}

/* Feeds one record to one side until it is consumed or the side waits. */
static void
follow(struct smtp_follower *f, bool backend, bool refuse,
    const char *data, size_t len)
{
	while (len > 0) {
		struct smtp_follow_event ev;
		size_t used;

		memset(&ev, 0xa5, sizeof(ev));
		used = backend ? smtp_follower_server(f, data, len, &ev) :
		    smtp_follower_client(f, data, len, &ev);
		FUZZ_ASSERT(used <= len);
		check_event(&ev);

		if (used == 0) {
			FUZZ_ASSERT(backend ? ev.type == SMTP_FOLLOW_REPLY_INVALID :
			    ev.type == SMTP_FOLLOW_WAIT);
			return;
		}
		FUZZ_ASSERT(ev.type != SMTP_FOLLOW_WAIT);

		if (ev.type == SMTP_FOLLOW_COMMAND && refuse &&
		    ev.command != SMTP_CMD_AUTH) {
			smtp_follower_drop_command(f);
			refuse = false;
		}
		if (backend && ev.type != SMTP_FOLLOW_REPLY_INVALID &&
		    ev.type != SMTP_FOLLOW_NONE)
			follow_ehlo_line(&ev);
		data += used;
		len -= used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_follower *f;
	size_t pos = 0;

	f = smtp_follower_new(size > 0 && (data[0] & 1));
	FUZZ_ASSERT(f != NULL);
	ehlo.active = false;

	while (pos < size) {
		uint8_t control = data[pos++];
		size_t len = control & 0x3f;

		if (len > size - pos)
			len = size - pos;
		follow(f, control & 0x80, control & 0x40,
		    (const char *)data + pos, len);
		pos += len;
		/* As proxy/conversation.c does after handling the events. */
		smtp_follower_release_buffers(f);

		FUZZ_ASSERT(smtp_follower_auth_user(f) != NULL);
		FUZZ_ASSERT(smtp_follower_auth_mechanism(f) != NULL);
		FUZZ_ASSERT(strlen(smtp_follower_auth_user(f)) <=
		    SMTP_FOLLOW_NAME_MAX);
		FUZZ_ASSERT(strlen(smtp_follower_auth_mechanism(f)) <=
		    SMTP_FOLLOW_MECHANISM_MAX);
		FUZZ_ASSERT(strlen(smtp_follower_message(f)->sender) <=
		    SMTP_FOLLOW_PATH_MAX);
		FUZZ_ASSERT(strlen(smtp_follower_message(f)->queue_id) <=
		    SMTP_FOLLOW_QUEUE_ID_MAX);
	}
	smtp_follower_free(f);
	return 0;
}
