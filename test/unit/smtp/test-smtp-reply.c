/*
 * The replies subtls formats itself, and the reader that consumes the
 * backend's greeting however its bytes are split across reads.
 */
#include <string.h>

#include "smtp/reply.h"
#include "test/unit/check.h"

#define HOSTNAME "mx.example.org"

typedef size_t reply_formatter(char *out, size_t cap, const char *hostname);

static void
test_formatter(const char *name, reply_formatter *format, const char *want)
{
	char out[256];
	size_t want_len = strlen(want);
	size_t len;

	memset(out, 'X', sizeof(out));
	len = format(out, sizeof(out), HOSTNAME);
	CHECK_BYTES(out, len, want, want_len, "%s: text", name);
	CHECK(out[want_len] == '\0', "%s: NUL-terminated", name);

	len = format(out, want_len + 1, HOSTNAME);
	CHECK(len == want_len, "%s: fits a buffer of length + 1", name);

	len = format(out, want_len, HOSTNAME);
	CHECK(len == 0, "%s: buffer without room for NUL gives 0", name);

	len = format(out, 0, HOSTNAME);
	CHECK(len == 0, "%s: empty buffer gives 0", name);
}

static size_t
backend_lost_in_transaction(char *out, size_t cap, const char *hostname)
{
	return smtp_reply_backend_lost(out, cap, hostname, true);
}

static size_t
backend_lost_between_transactions(char *out, size_t cap, const char *hostname)
{
	return smtp_reply_backend_lost(out, cap, hostname, false);
}

static void
test_formatters(void)
{
	test_formatter("greeting", smtp_reply_greeting,
	    "220 " HOSTNAME " ESMTP\r\n");
	test_formatter("backend unavailable", smtp_reply_backend_unavailable,
	    "421 4.3.2 " HOSTNAME
	    " Service not available, closing transmission channel\r\n");
	test_formatter("timeout", smtp_reply_timeout,
	    "421 4.4.2 " HOSTNAME " Error: timeout exceeded\r\n");
	test_formatter("backend lost in a transaction",
	    backend_lost_in_transaction, "451 4.3.0 " HOSTNAME
	    " Error: lost the connection to the mail server, try again "
	    "later\r\n");
	test_formatter("backend lost between transactions",
	    backend_lost_between_transactions, "421 4.3.0 " HOSTNAME
	    " Error: lost the connection to the mail server, closing "
	    "transmission channel\r\n");
	test_formatter("shutting down", smtp_reply_shutting_down,
	    "421 4.3.2 " HOSTNAME
	    " Service shutting down, closing transmission channel\r\n");
}

struct reader_case {
	const char *name;
	const char *input;
	size_t chunk;		/* bytes per feed; 0: all at once */
	enum smtp_reply_status status;
	int code;		/* checked when status is COMPLETE */
	size_t consumed;	/* total bytes consumed */
};

static const struct reader_case cases[] = {
	{ "single-line greeting", "220 mx.example.org ESMTP\r\n", 0,
	    SMTP_REPLY_COMPLETE, 220, 26 },
	{ "multi-line greeting", "220-a\r\n220-b\r\n220 c\r\n", 0,
	    SMTP_REPLY_COMPLETE, 220, 21 },
	{ "multi-line greeting byte by byte", "220-a\r\n220-b\r\n220 c\r\n", 1,
	    SMTP_REPLY_COMPLETE, 220, 21 },
	{ "multi-line greeting in 4-byte feeds",
	    "220-a\r\n220-b\r\n220 c\r\n", 4,
	    SMTP_REPLY_COMPLETE, 220, 21 },
	{ "bare code as last line", "220\r\n", 0,
	    SMTP_REPLY_COMPLETE, 220, 5 },
	{ "bare code with bare LF", "220\n", 0,
	    SMTP_REPLY_COMPLETE, 220, 4 },
	{ "continuation without text", "220-\r\n220 ok\r\n", 0,
	    SMTP_REPLY_COMPLETE, 220, 14 },
	{ "bare LF line endings", "220-a\n220 b\n", 0,
	    SMTP_REPLY_COMPLETE, 220, 12 },
	{ "rejecting greeting is read", "554 5.3.2 go away\r\n", 0,
	    SMTP_REPLY_COMPLETE, 554, 19 },
	{ "trailing bytes not consumed", "220 ok\r\n250 extra", 0,
	    SMTP_REPLY_COMPLETE, 220, 8 },
	{ "trailing bytes in same feed byte by byte", "220 ok\r\nEHLO", 1,
	    SMTP_REPLY_COMPLETE, 220, 8 },
	{ "last line not yet ended", "220-a\r\n220 b", 0,
	    SMTP_REPLY_INCOMPLETE, 0, 12 },
	{ "continuation line only", "220-a\r\n", 0,
	    SMTP_REPLY_INCOMPLETE, 0, 7 },
	{ "mixed codes are invalid", "220-a\r\n250 b\r\n", 0,
	    SMTP_REPLY_INVALID, 0, 10 },
	{ "text instead of code is invalid", "hello\r\n", 0,
	    SMTP_REPLY_INVALID, 0, 1 },
	{ "two-digit code is invalid", "22\r\n", 0,
	    SMTP_REPLY_INVALID, 0, 3 },
	{ "first digit 1 is invalid", "120 wait\r\n", 0,
	    SMTP_REPLY_INVALID, 0, 1 },
	{ "second digit 6 is invalid", "260 x\r\n", 0,
	    SMTP_REPLY_INVALID, 0, 2 },
	{ "letter after code is invalid", "220x\r\n", 0,
	    SMTP_REPLY_INVALID, 0, 4 },
	{ "CR after code not ending line is invalid", "220\rX\r\n", 0,
	    SMTP_REPLY_INVALID, 0, 5 },
	{ "empty line is invalid", "\r\n", 0,
	    SMTP_REPLY_INVALID, 0, 1 },
};

/* Feeds input in chunks until the reader stops asking for more. */
static void
run_reader(const char *input, size_t chunk, enum smtp_reply_status *status,
    struct smtp_reply_reader *r, size_t *consumed_total)
{
	size_t len = strlen(input);
	size_t offset = 0;

	smtp_reply_reader_init(r);
	*consumed_total = 0;
	*status = SMTP_REPLY_INCOMPLETE;
	while (offset < len && *status == SMTP_REPLY_INCOMPLETE) {
		size_t n = chunk == 0 ? len - offset : chunk;
		size_t consumed;

		if (n > len - offset)
			n = len - offset;
		*status = smtp_reply_reader_feed(r, input + offset, n,
		    &consumed);
		*consumed_total += consumed;
		offset += n;
	}
}

static const char *
status_name(enum smtp_reply_status status)
{
	switch (status) {
	case SMTP_REPLY_INCOMPLETE:
		return "INCOMPLETE";
	case SMTP_REPLY_COMPLETE:
		return "COMPLETE";
	case SMTP_REPLY_INVALID:
		return "INVALID";
	}
	return "unknown";
}

static void
test_reader_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct reader_case *c = &cases[i];
		struct smtp_reply_reader r;
		enum smtp_reply_status status;
		size_t consumed;

		run_reader(c->input, c->chunk, &status, &r, &consumed);
		CHECK(status == c->status, "reader %s: status %s (got %s)",
		    c->name, status_name(c->status), status_name(status));
		CHECK(consumed == c->consumed,
		    "reader %s: consumed %zu (got %zu)", c->name, c->consumed,
		    consumed);
		if (c->status == SMTP_REPLY_COMPLETE)
			CHECK(r.code == c->code, "reader %s: code %d (got %d)",
			    c->name, c->code, r.code);
	}
}

/* Builds "220 xxx...\r\n" of line_len bytes. */
static void
build_reply_line(char *out, size_t line_len)
{
	memcpy(out, "220 ", 4);
	memset(out + 4, 'x', line_len - 6);
	memcpy(out + line_len - 2, "\r\n", 3);
}

static void
test_reader_line_limit(void)
{
	char line[SMTP_REPLY_LINE_MAX + 8];
	struct smtp_reply_reader r;
	enum smtp_reply_status status;
	size_t consumed;

	build_reply_line(line, SMTP_REPLY_LINE_MAX);
	run_reader(line, 0, &status, &r, &consumed);
	CHECK(status == SMTP_REPLY_COMPLETE, "reader: %d-byte line is complete",
	    SMTP_REPLY_LINE_MAX);
	CHECK(consumed == SMTP_REPLY_LINE_MAX,
	    "reader: %d-byte line is consumed", SMTP_REPLY_LINE_MAX);

	build_reply_line(line, SMTP_REPLY_LINE_MAX + 1);
	run_reader(line, 0, &status, &r, &consumed);
	CHECK(status == SMTP_REPLY_INVALID,
	    "reader: %d-byte line is invalid", SMTP_REPLY_LINE_MAX + 1);

	build_reply_line(line, SMTP_REPLY_LINE_MAX + 1);
	line[SMTP_REPLY_LINE_MAX] = '\0';
	run_reader(line, 1, &status, &r, &consumed);
	CHECK(status == SMTP_REPLY_INVALID,
	    "reader: line reaching the maximum without LF is invalid");
}

static void
test_reader_after_end(void)
{
	struct smtp_reply_reader r;
	enum smtp_reply_status status;
	size_t consumed;

	run_reader("220 ok\r\n", 0, &status, &r, &consumed);
	status = smtp_reply_reader_feed(&r, "250 more\r\n", 10, &consumed);
	CHECK(status == SMTP_REPLY_COMPLETE, "reader: COMPLETE stays COMPLETE");
	CHECK(consumed == 0,
	    "reader: after COMPLETE further bytes are not consumed");

	run_reader("hello\r\n", 0, &status, &r, &consumed);
	status = smtp_reply_reader_feed(&r, "220 ok\r\n", 8, &consumed);
	CHECK(status == SMTP_REPLY_INVALID, "reader: INVALID stays INVALID");
	CHECK(consumed == 0,
	    "reader: after INVALID further bytes are not consumed");

	smtp_reply_reader_init(&r);
	status = smtp_reply_reader_feed(&r, "", 0, &consumed);
	CHECK(status == SMTP_REPLY_INCOMPLETE,
	    "reader: empty feed is incomplete");
	CHECK(consumed == 0, "reader: empty feed consumes nothing");
}

int
main(void)
{
	test_formatters();
	test_reader_table();
	test_reader_line_limit();
	test_reader_after_end();
	return check_done();
}
