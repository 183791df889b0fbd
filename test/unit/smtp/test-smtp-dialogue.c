/*
 * The pre-TLS dialogue of a STARTTLS listener, driven as the proxy drives it:
 * read into the offered input space, commit, step until more input is needed.
 * Each case gives the client bytes, how many arrive per read, and the replies,
 * last step and close reason a client would see.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/dialogue.h"
#include "test/unit/check.h"

#define HOSTNAME "mx.example.org"

#define EHLO_REPLY "250-" HOSTNAME "\r\n250-PIPELINING\r\n" \
	"250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n"
#define HELO_REPLY "250 " HOSTNAME "\r\n"
#define OK "250 2.0.0 Ok\r\n"
#define BYE "221 2.0.0 Bye\r\n"
#define READY "220 2.0.0 Ready to start TLS\r\n"
#define NEEDS_TLS "530 5.7.0 Must issue a STARTTLS command first\r\n"
#define BAD_SYNTAX "500 5.5.2 Error: bad syntax\r\n"
#define TOO_LONG "500 5.5.2 Error: line too long\r\n"
#define PIPELINED "554 5.5.1 Error: command pipelined after STARTTLS\r\n"
#define TOO_MANY_ERRORS "421 4.7.0 " HOSTNAME " Error: too many errors\r\n"
#define BARE_CR "500 5.5.2 Error: bare CR in a command line\r\n"
#define BARE_LF "500 5.5.2 Error: bare LF in a command line, end lines " \
	"with CRLF\r\n"
#define NOT_HTTP "221 2.7.0 " HOSTNAME " Error: this is an SMTP server, " \
	"not an HTTP server; closing\r\n"

/* The first bytes of a TLS 1.2 ClientHello record. */
#define CLIENT_HELLO "\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03"

#define MAIL "MAIL FROM:<alice@example.org>\r\n"
#define MAIL_5 MAIL MAIL MAIL MAIL MAIL
#define NEEDS_TLS_5 NEEDS_TLS NEEDS_TLS NEEDS_TLS NEEDS_TLS NEEDS_TLS

/* What a client saw over one run of the dialogue. */
struct run_result {
	char replies[16384];
	size_t replies_len;
	bool replies_overflow;
	bool reply_too_long;	/* a single reply passed SMTP_DIALOGUE_REPLY_MAX */
	unsigned reply_steps;	/* steps that returned SMTP_STEP_REPLY */
	enum smtp_step last_step;
	enum smtp_close_reason close_reason;
	size_t min_space;	/* smallest input space offered */
	size_t fed;		/* input bytes committed before the end */
};

struct dialogue_case {
	const char *name;
	const char *input;
	size_t input_len;	/* 0: strlen(input) */
	size_t chunk;		/* bytes per read; 0: as many as fit */
	const char *replies;
	enum smtp_step last_step;
	enum smtp_close_reason close_reason;
};

static const struct dialogue_case cases[] = {
	{ "EHLO lists STARTTLS and no AUTH",
	    "EHLO client.example\r\n", 0, 0,
	    EHLO_REPLY, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "HELO names the listener",
	    "HELO client.example\r\n", 0, 0,
	    HELO_REPLY, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "EHLO without domain is a syntax error",
	    "EHLO\r\n", 0, 0,
	    "501 5.5.4 Syntax: EHLO hostname\r\n",
	    SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "HELO with only a blank is a syntax error",
	    "HELO \r\n", 0, 0,
	    "501 5.5.4 Syntax: HELO hostname\r\n",
	    SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "NOOP is accepted",
	    "NOOP\r\n", 0, 0,
	    OK, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "NOOP argument is ignored",
	    "NOOP anything\r\n", 0, 0,
	    OK, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "RSET is accepted",
	    "RSET\r\n", 0, 0,
	    OK, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "RSET with argument is a syntax error",
	    "RSET now\r\n", 0, 0,
	    "501 5.5.4 Syntax: RSET\r\n",
	    SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "QUIT closes",
	    "QUIT\r\n", 0, 0,
	    BYE, SMTP_STEP_CLOSE, SMTP_CLOSE_QUIT },
	{ "QUIT ignores pipelined commands",
	    "QUIT\r\nNOOP\r\n", 0, 0,
	    BYE, SMTP_STEP_CLOSE, SMTP_CLOSE_QUIT },
	{ "MAIL before TLS is rejected",
	    MAIL, 0, 0,
	    NEEDS_TLS, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "RCPT before TLS is rejected",
	    "RCPT TO:<bob@example.org>\r\n", 0, 0,
	    NEEDS_TLS, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "DATA before TLS is rejected",
	    "DATA\r\n", 0, 0,
	    NEEDS_TLS, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "AUTH before TLS is rejected",
	    "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", 0, 0,
	    NEEDS_TLS, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "VRFY before TLS is rejected",
	    "VRFY postmaster\r\n", 0, 0,
	    NEEDS_TLS, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "BDAT EXPN HELP XCLIENT and unknown verbs are rejected",
	    "BDAT 10 LAST\r\nEXPN staff\r\nHELP\r\n"
	    "XCLIENT ADDR=192.0.2.1\r\nFROB\r\n", 0, 0,
	    NEEDS_TLS NEEDS_TLS NEEDS_TLS NEEDS_TLS NEEDS_TLS,
	    SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "STARTTLS alone starts TLS",
	    "STARTTLS\r\n", 0, 0,
	    READY, SMTP_STEP_STARTTLS, SMTP_CLOSE_NONE },
	{ "STARTTLS with trailing blank starts TLS",
	    "STARTTLS \r\n", 0, 0,
	    READY, SMTP_STEP_STARTTLS, SMTP_CLOSE_NONE },
	{ "STARTTLS with argument is a syntax error",
	    "STARTTLS now\r\n", 0, 0,
	    "501 5.5.4 Syntax: STARTTLS\r\n",
	    SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "pipelined EHLO NOOP STARTTLS answered in order",
	    "EHLO client.example\r\nNOOP\r\nSTARTTLS\r\n", 0, 0,
	    EHLO_REPLY OK READY, SMTP_STEP_STARTTLS, SMTP_CLOSE_NONE },
	{ "command pipelined after STARTTLS closes",
	    "STARTTLS\r\nMAIL FROM:<x@y>\r\n", 0, 0,
	    PIPELINED, SMTP_STEP_CLOSE, SMTP_CLOSE_STARTTLS_PIPELINING },
	{ "one byte after STARTTLS closes",
	    "STARTTLS\nX", 0, 0,
	    PIPELINED, SMTP_STEP_CLOSE, SMTP_CLOSE_STARTTLS_PIPELINING },
	{ "empty line after STARTTLS closes",
	    "EHLO client.example\r\nSTARTTLS\r\n\r\n", 0, 0,
	    EHLO_REPLY PIPELINED,
	    SMTP_STEP_CLOSE, SMTP_CLOSE_STARTTLS_PIPELINING },
	{ "bytes read after STARTTLS are left to the caller",
	    "STARTTLS\r\nMAIL FROM:<x@y>\r\n", 0, 10,
	    READY, SMTP_STEP_STARTTLS, SMTP_CLOSE_NONE },
	{ "bare LF ends a command",
	    "EHLO client.example\nNOOP\n", 0, 0,
	    EHLO_REPLY OK, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "bare CR inside a command is an error",
	    "NOOP\rRSET\r\nNOOP\r\n", 0, 0,
	    BARE_CR OK, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "CR before CRLF is an error",
	    "STARTTLS\r\r\n", 0, 0,
	    BARE_CR, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "bare CR split across reads is an error",
	    "EHLO client\r.example\r\n", 0, 1,
	    BARE_CR, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "GET request line closes with 221",
	    "GET / HTTP/1.1\r\nHost: mx.example.org\r\n\r\n", 0, 0,
	    NOT_HTTP, SMTP_STEP_CLOSE, SMTP_CLOSE_HTTP_COMMAND },
	{ "lowercase POST closes with 221",
	    "post /submit HTTP/1.0\n", 0, 0,
	    NOT_HTTP, SMTP_STEP_CLOSE, SMTP_CLOSE_HTTP_COMMAND },
	{ "CONNECT closes with 221",
	    "CONNECT mx.example.org:25 HTTP/1.1\r\n", 0, 0,
	    NOT_HTTP, SMTP_STEP_CLOSE, SMTP_CLOSE_HTTP_COMMAND },
	{ "OPTIONS closes with 221",
	    "OPTIONS * HTTP/1.1\r\nHEAD / HTTP/1.1\r\n", 0, 0,
	    NOT_HTTP, SMTP_STEP_CLOSE, SMTP_CLOSE_HTTP_COMMAND },
	{ "HTTP/2 preface closes with 221",
	    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0, 0,
	    NOT_HTTP, SMTP_STEP_CLOSE, SMTP_CLOSE_HTTP_COMMAND },
	{ "Host header after EHLO closes with 221",
	    "EHLO client.example\r\nHost: mx.example.org\r\n", 0, 0,
	    EHLO_REPLY NOT_HTTP, SMTP_STEP_CLOSE, SMTP_CLOSE_HTTP_COMMAND },
	{ "User-Agent header closes with 221",
	    "User-Agent: curl/7.88.1\r\n", 0, 0,
	    NOT_HTTP, SMTP_STEP_CLOSE, SMTP_CLOSE_HTTP_COMMAND },
	{ "MAIL FROM with a colon is no HTTP header",
	    "MAIL FROM:<alice@example.org>\r\n", 0, 0,
	    NEEDS_TLS, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "GETX is an unknown verb, not HTTP",
	    "GETX /\r\n", 0, 0,
	    NEEDS_TLS, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "ClientHello at session start closes without reply",
	    CLIENT_HELLO, sizeof(CLIENT_HELLO) - 1, 0,
	    "", SMTP_STEP_CLOSE, SMTP_CLOSE_TLS_CLIENT_HELLO },
	{ "first ClientHello byte alone closes",
	    "\x16", 1, 0,
	    "", SMTP_STEP_CLOSE, SMTP_CLOSE_TLS_CLIENT_HELLO },
	{ "ClientHello after EHLO closes without reply",
	    "EHLO client.example\r\n" CLIENT_HELLO,
	    21 + sizeof(CLIENT_HELLO) - 1, 0,
	    EHLO_REPLY, SMTP_STEP_CLOSE, SMTP_CLOSE_TLS_CLIENT_HELLO },
	{ "handshake byte inside a line is no record start",
	    "NOOP \x16\r\n", 0, 0,
	    OK, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "commands split byte by byte",
	    "EHLO client.example\r\nNOOP\r\nSTARTTLS\r\n", 0, 1,
	    EHLO_REPLY OK READY, SMTP_STEP_STARTTLS, SMTP_CLOSE_NONE },
	{ "CRLF split across reads",
	    "HELO client.example\r\nRSET\r\n", 0, 20,
	    HELO_REPLY OK, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "partial command waits for its line end",
	    "NOOP", 0, 0,
	    "", SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "lowercase verbs are accepted",
	    "ehlo client.example\r\nnoop\r\nstarttls\r\n", 0, 0,
	    EHLO_REPLY OK READY, SMTP_STEP_STARTTLS, SMTP_CLOSE_NONE },
	{ "mixed-case QUIT closes",
	    "QuIt\r\n", 0, 0,
	    BYE, SMTP_STEP_CLOSE, SMTP_CLOSE_QUIT },
	{ "blanks before the verb are ignored",
	    " NOOP\r\n", 0, 0,
	    OK, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "tab separates verb and domain",
	    "EHLO\tclient.example\r\n", 0, 0,
	    EHLO_REPLY, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "empty line is bad syntax",
	    "\r\n", 0, 0,
	    BAD_SYNTAX, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "empty bare-LF line is bad syntax",
	    "\n", 0, 0,
	    BAD_SYNTAX, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "line of blanks is bad syntax",
	    " \t \r\n", 0, 0,
	    BAD_SYNTAX, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "NUL in a command is bad syntax",
	    "NO\0OP\r\nNOOP\r\n", 13, 0,
	    BAD_SYNTAX OK, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "NUL hiding STARTTLS is bad syntax",
	    "STARTTLS\0\r\n", 11, 0,
	    BAD_SYNTAX, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "tenth error closes with 421",
	    MAIL_5 MAIL_5, 0, 0,
	    NEEDS_TLS_5 NEEDS_TLS_5 TOO_MANY_ERRORS,
	    SMTP_STEP_CLOSE, SMTP_CLOSE_TOO_MANY_ERRORS },
	{ "nine errors keep the session",
	    MAIL MAIL MAIL MAIL MAIL_5 "NOOP\r\n", 0, 0,
	    NEEDS_TLS NEEDS_TLS NEEDS_TLS NEEDS_TLS NEEDS_TLS_5 OK,
	    SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "successful command keeps the error count",
	    MAIL_5 "NOOP\r\n" MAIL_5 "NOOP\r\n", 0, 0,
	    NEEDS_TLS_5 OK NEEDS_TLS_5 TOO_MANY_ERRORS,
	    SMTP_STEP_CLOSE, SMTP_CLOSE_TOO_MANY_ERRORS },
	{ "500 501 and 530 all count as errors",
	    "\r\nEHLO\r\nSTARTTLS now\r\n" MAIL_5 MAIL MAIL "NOOP\r\n", 0, 0,
	    BAD_SYNTAX "501 5.5.4 Syntax: EHLO hostname\r\n"
	    "501 5.5.4 Syntax: STARTTLS\r\n" NEEDS_TLS_5 NEEDS_TLS NEEDS_TLS
	    TOO_MANY_ERRORS,
	    SMTP_STEP_CLOSE, SMTP_CLOSE_TOO_MANY_ERRORS },
};

static bool
drain_steps(struct smtp_dialogue *d, struct run_result *result)
{
	char reply[SMTP_DIALOGUE_REPLY_MAX];
	size_t reply_len;

	for (;;) {
		enum smtp_step step = smtp_dialogue_step(d, reply, &reply_len);

		result->last_step = step;
		if (reply_len > SMTP_DIALOGUE_REPLY_MAX)
			result->reply_too_long = true;
		if (result->replies_len + reply_len >
		    sizeof(result->replies))
			result->replies_overflow = true;
		else {
			memcpy(result->replies + result->replies_len, reply,
			    reply_len);
			result->replies_len += reply_len;
		}

		if (step == SMTP_STEP_REPLY)
			result->reply_steps++;
		else if (step == SMTP_STEP_NEED_INPUT)
			return false;
		else
			return true;
	}
}

/*
 * Feeds input in reads of at most chunk bytes until it or the dialogue ends.
 * reject_bare_lf is passed to smtp_dialogue_set_reject_bare_lf().
 */
static void
run_dialogue_with(const char *input, size_t input_len, size_t chunk,
    bool reject_bare_lf, struct run_result *result)
{
	struct smtp_dialogue *d = smtp_dialogue_new(HOSTNAME);
	bool over;

	memset(result, 0, sizeof(*result));
	result->min_space = SIZE_MAX;
	if (d == NULL) {
		CHECK(false, "dialogue allocated");
		return;
	}
	smtp_dialogue_set_reject_bare_lf(d, reject_bare_lf);

	do {
		size_t space;
		char *in = smtp_dialogue_input_space(d, &space);
		size_t n = input_len - result->fed;

		if (space < result->min_space)
			result->min_space = space;
		if (n > space)
			n = space;
		if (chunk != 0 && n > chunk)
			n = chunk;
		memcpy(in, input + result->fed, n);
		smtp_dialogue_commit(d, n);
		result->fed += n;

		over = drain_steps(d, result);
	} while (!over && result->fed < input_len);

	result->close_reason = smtp_dialogue_close_reason(d);
	smtp_dialogue_free(d);
}

static void
run_dialogue(const char *input, size_t input_len, size_t chunk,
    struct run_result *result)
{
	run_dialogue_with(input, input_len, chunk, false, result);
}

static const char *
step_name(enum smtp_step step)
{
	switch (step) {
	case SMTP_STEP_NEED_INPUT:
		return "NEED_INPUT";
	case SMTP_STEP_REPLY:
		return "REPLY";
	case SMTP_STEP_STARTTLS:
		return "STARTTLS";
	case SMTP_STEP_CLOSE:
		return "CLOSE";
	}
	return "unknown";
}

static void
check_result(const char *name, const struct run_result *result,
    const char *replies, size_t replies_len, enum smtp_step last_step,
    enum smtp_close_reason close_reason)
{
	CHECK_BYTES(result->replies, result->replies_len, replies, replies_len,
	    "%s: replies", name);
	CHECK(!result->reply_too_long, "%s: every reply fits %d bytes", name,
	    SMTP_DIALOGUE_REPLY_MAX);
	CHECK(!result->replies_overflow, "%s: replies fit the test buffer",
	    name);
	CHECK(result->last_step == last_step, "%s: last step is %s (got %s)",
	    name, step_name(last_step), step_name(result->last_step));
	CHECK(result->close_reason == close_reason,
	    "%s: close reason is %s (got %s)", name,
	    smtp_close_reason_name(close_reason),
	    smtp_close_reason_name(result->close_reason));
	CHECK(result->min_space >= SMTP_COMMAND_LINE_MAX,
	    "%s: input space is at least %d (min %zu)", name,
	    SMTP_COMMAND_LINE_MAX, result->min_space);
}

static void
test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dialogue_case *c = &cases[i];
		size_t len = c->input_len != 0 ? c->input_len : strlen(c->input);
		struct run_result result;

		run_dialogue(c->input, len, c->chunk, &result);
		check_result(c->name, &result, c->replies, strlen(c->replies),
		    c->last_step, c->close_reason);
	}
}

/* The same dialogue with pretls_bare_lf = reject. */
static const struct dialogue_case bare_lf_rejected_cases[] = {
	{ "bare LF line is an error",
	    "EHLO client.example\nNOOP\r\n", 0, 0,
	    BARE_LF OK, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "STARTTLS with bare LF does not start TLS",
	    "STARTTLS\n", 0, 0,
	    BARE_LF, SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE },
	{ "CRLF lines are accepted",
	    "EHLO client.example\r\nSTARTTLS\r\n", 0, 1,
	    EHLO_REPLY READY, SMTP_STEP_STARTTLS, SMTP_CLOSE_NONE },
	{ "HTTP with bare LF still closes",
	    "GET / HTTP/1.0\n", 0, 0,
	    NOT_HTTP, SMTP_STEP_CLOSE, SMTP_CLOSE_HTTP_COMMAND },
	{ "bare LF lines count toward the error limit",
	    "NOOP\nNOOP\nNOOP\nNOOP\nNOOP\nNOOP\nNOOP\nNOOP\nNOOP\nNOOP\n"
	    "NOOP\r\n", 0, 0,
	    BARE_LF BARE_LF BARE_LF BARE_LF BARE_LF BARE_LF BARE_LF BARE_LF
	    BARE_LF BARE_LF TOO_MANY_ERRORS,
	    SMTP_STEP_CLOSE, SMTP_CLOSE_TOO_MANY_ERRORS },
};

static void
test_bare_lf_rejected(void)
{
	size_t count = sizeof(bare_lf_rejected_cases) /
	    sizeof(bare_lf_rejected_cases[0]);

	for (size_t i = 0; i < count; i++) {
		const struct dialogue_case *c = &bare_lf_rejected_cases[i];
		struct run_result result;

		run_dialogue_with(c->input, strlen(c->input), c->chunk, true,
		    &result);
		check_result(c->name, &result, c->replies, strlen(c->replies),
		    c->last_step, c->close_reason);
	}
}

/* Builds verb + filler 'x' bytes + ending + tail, so the line is line_len. */
static size_t
build_long_line(char *out, const char *verb, size_t line_len,
    const char *ending, const char *tail)
{
	size_t verb_len = strlen(verb);
	size_t ending_len = strlen(ending);
	size_t filler = line_len - verb_len - ending_len;
	size_t tail_len = strlen(tail);

	memcpy(out, verb, verb_len);
	memset(out + verb_len, 'x', filler);
	memcpy(out + verb_len + filler, ending, ending_len);
	memcpy(out + line_len, tail, tail_len);
	return line_len + tail_len;
}

static void
test_long_line(const char *name, size_t line_len, const char *ending,
    size_t chunk, const char *replies)
{
	char input[2048];
	size_t len = build_long_line(input, "NOOP ", line_len, ending,
	    "NOOP\r\n");
	struct run_result result;

	run_dialogue(input, len, chunk, &result);
	check_result(name, &result, replies, strlen(replies),
	    SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE);
}

static void
test_line_length_limit(void)
{
	test_long_line("512-byte line is accepted", 512, "\r\n", 0, OK OK);
	test_long_line("512-byte bare-LF line is accepted", 512, "\n", 0,
	    OK OK);
	test_long_line("513-byte line is too long", 513, "\r\n", 0,
	    TOO_LONG OK);
	test_long_line("513-byte line byte by byte is too long", 513, "\r\n", 1,
	    TOO_LONG OK);
	test_long_line("600-byte line gets one 500", 600, "\r\n", 0,
	    TOO_LONG OK);
	test_long_line("600-byte line byte by byte gets one 500", 600, "\r\n",
	    1, TOO_LONG OK);
	test_long_line("600-byte line in 100-byte reads gets one 500", 600,
	    "\r\n", 100, TOO_LONG OK);
}

/* 100 KB without LF: one 500, bounded input, then the next command works. */
static void
test_flood_without_line_end(void)
{
	static const char tail[] = "\r\nQUIT\r\n";
	size_t flood_len = 100 * 1024;
	char *input = malloc(flood_len + sizeof(tail));
	struct run_result result;

	if (!CHECK(input != NULL, "flood input allocated"))
		return;
	memset(input, 'A', flood_len);

	run_dialogue(input, flood_len, 0, &result);
	check_result("flood without LF gets one 500", &result,
	    TOO_LONG, strlen(TOO_LONG), SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE);
	CHECK(result.fed == flood_len, "flood without LF is read entirely");

	memcpy(input + flood_len, tail, sizeof(tail) - 1);
	run_dialogue(input, flood_len + sizeof(tail) - 1, 0, &result);
	check_result("flood then QUIT closes", &result, TOO_LONG BYE,
	    strlen(TOO_LONG BYE), SMTP_STEP_CLOSE, SMTP_CLOSE_QUIT);

	run_dialogue(input, 4096, 1, &result);
	check_result("flood byte by byte gets one 500", &result, TOO_LONG,
	    strlen(TOO_LONG), SMTP_STEP_NEED_INPUT, SMTP_CLOSE_NONE);
	free(input);
}

static void
test_one_reply_per_step(void)
{
	static const char input[] = "EHLO client.example\r\nNOOP\r\nRSET\r\n";
	struct run_result result;

	run_dialogue(input, strlen(input), 0, &result);
	CHECK(result.reply_steps == 3,
	    "pipelined commands: one reply per step (got %u)",
	    result.reply_steps);
	CHECK(result.last_step == SMTP_STEP_NEED_INPUT,
	    "pipelined commands: then more input is needed");
}

static void
commit_string(struct smtp_dialogue *d, const char *s)
{
	size_t space;
	char *in = smtp_dialogue_input_space(d, &space);
	size_t len = strlen(s);

	if (len > space)
		len = space;
	memcpy(in, s, len);
	smtp_dialogue_commit(d, len);
}

static void
test_step_after_end(void)
{
	struct smtp_dialogue *d = smtp_dialogue_new(HOSTNAME);
	char reply[SMTP_DIALOGUE_REPLY_MAX];
	size_t reply_len;
	size_t space;
	enum smtp_step step;

	if (!CHECK(d != NULL, "dialogue allocated"))
		return;

	commit_string(d, "STARTTLS\r\n");
	step = smtp_dialogue_step(d, reply, &reply_len);
	CHECK(step == SMTP_STEP_STARTTLS, "STARTTLS: step is STARTTLS");
	smtp_dialogue_input_space(d, &space);
	CHECK(space > 0, "after STARTTLS: input space is not zero");
	commit_string(d, "NOOP\r\n");
	step = smtp_dialogue_step(d, reply, &reply_len);
	CHECK(step == SMTP_STEP_CLOSE, "after STARTTLS: step closes");
	CHECK(reply_len == 0, "after STARTTLS: no reply");
	CHECK(smtp_dialogue_close_reason(d) == SMTP_CLOSE_NONE,
	    "after STARTTLS: close reason stays none");
	smtp_dialogue_free(d);

	d = smtp_dialogue_new(HOSTNAME);
	if (!CHECK(d != NULL, "dialogue allocated"))
		return;
	commit_string(d, "QUIT\r\n");
	step = smtp_dialogue_step(d, reply, &reply_len);
	CHECK(step == SMTP_STEP_CLOSE, "QUIT: step is CLOSE");
	step = smtp_dialogue_step(d, reply, &reply_len);
	CHECK(step == SMTP_STEP_CLOSE, "after QUIT: step closes");
	CHECK(reply_len == 0, "after QUIT: no reply");
	CHECK(smtp_dialogue_close_reason(d) == SMTP_CLOSE_QUIT,
	    "after QUIT: close reason stays quit");
	smtp_dialogue_free(d);
}

static void
test_hostname_limits(void)
{
	char hostname[300];
	char reply[SMTP_DIALOGUE_REPLY_MAX];
	size_t reply_len;
	struct smtp_dialogue *d;

	errno = 0;
	CHECK(smtp_dialogue_new("") == NULL, "empty hostname is rejected");
	CHECK(errno == EINVAL, "empty hostname sets EINVAL");

	memset(hostname, 'h', 256);
	hostname[256] = '\0';
	errno = 0;
	CHECK(smtp_dialogue_new(hostname) == NULL,
	    "256-byte hostname is rejected");
	CHECK(errno == EINVAL, "256-byte hostname sets EINVAL");

	hostname[255] = '\0';
	d = smtp_dialogue_new(hostname);
	if (!CHECK(d != NULL, "255-byte hostname is accepted"))
		return;
	commit_string(d, "EHLO client.example\r\n");
	smtp_dialogue_step(d, reply, &reply_len);
	CHECK(reply_len == 4 + 255 + 2 + strlen("250-PIPELINING\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n"),
	    "255-byte hostname: EHLO reply is complete (%zu bytes)",
	    reply_len);
	smtp_dialogue_free(d);
}

static void
test_close_reason_names(void)
{
	CHECK(strcmp(smtp_close_reason_name(SMTP_CLOSE_NONE), "none") == 0,
	    "close reason none is named none");
	CHECK(strcmp(smtp_close_reason_name(SMTP_CLOSE_QUIT), "quit") == 0,
	    "close reason quit is named quit");
	CHECK(strcmp(smtp_close_reason_name(SMTP_CLOSE_STARTTLS_PIPELINING),
	    "starttls_pipelining") == 0,
	    "close reason starttls pipelining is named starttls_pipelining");
	CHECK(strcmp(smtp_close_reason_name(SMTP_CLOSE_TOO_MANY_ERRORS),
	    "too_many_errors") == 0,
	    "close reason too many errors is named too_many_errors");
	CHECK(strcmp(smtp_close_reason_name(SMTP_CLOSE_HTTP_COMMAND),
	    "http_command") == 0, "HTTP command is named http_command");
	CHECK(strcmp(smtp_close_reason_name(SMTP_CLOSE_TLS_CLIENT_HELLO),
	    "tls_on_starttls_port") == 0,
	    "ClientHello is named tls_on_starttls_port");
	CHECK(strcmp(smtp_close_reason_name((enum smtp_close_reason)99),
	    "unknown") == 0, "out-of-range close reason is named unknown");
}

int
main(void)
{
	test_table();
	test_bare_lf_rejected();
	test_line_length_limit();
	test_flood_without_line_end();
	test_one_reply_per_step();
	test_step_after_end();
	test_hostname_limits();
	test_close_reason_names();
	return check_done();
}
