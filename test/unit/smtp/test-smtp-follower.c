/*
 * The follower fed as a relay feeds it: client and backend bytes in turn, each
 * step cut into chunks in every possible way (whole, one byte at a time, and
 * split at each position).  Each case gives the events in order, which must
 * not depend on the cut, and what the accessors return at the end.  The
 * forwarded bytes must equal the bytes fed, so nothing is lost or reordered.
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/follower.h"
#include "smtp/follower_internal.h"
#include "test/unit/check.h"

#define BYTES(s) s, sizeof(s) - 1
#define STEPS_MAX 10

#define PASSWORD "Tr0ub4dor&3"

/* "\0alice\0" PASSWORD and "bob\0alice\0" PASSWORD, and LOGIN's fields. */
#define PLAIN_ALICE "AGFsaWNlAFRyMHViNGRvciYz"
#define PLAIN_BOB_AS_ALICE "Ym9iAGFsaWNlAFRyMHViNGRvciYz"
#define PLAIN_WRONG "AGFsaWNlAHdyb25nLVBhc3M5"
#define LOGIN_ALICE "YWxpY2U="
#define LOGIN_PASSWORD "VHIwdWI0ZG9yJjM="

#define BODY "Subject: lines that look like commands\r\n\r\n" \
	"QUIT\r\nRSET\r\n..\r\n.x\r\nEHLO x\r\nSTARTTLS\r\n" \
	"AUTH PLAIN " PLAIN_ALICE "\r\nMAIL FROM:<eve@example.org>\r\n" \
	"a bare LF\nin a line\n..\nis content\r\n"

/* BDAT content with NUL, a lone "." line and a command inside. */
#define X64 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define X512 X64 X64 X64 X64 X64 X64 X64 X64

#define BINARY "\0\xff\r\n.\r\nQUIT\r\n\x80"

struct step {
	char side;		/* 'C' client bytes, 'S' backend bytes */
	const char *bytes;
	size_t len;
};

struct follow_case {
	const char *name;
	bool greeting;
	struct step steps[STEPS_MAX];
	const char *events;
	const char *sender;
	unsigned recipients;
	uint64_t size;
	const char *queue_id;
	const char *auth_user;
	const char *authzid;
	unsigned auth_failures;
};

static const struct follow_case cases[] = {
	{ "pipelined MAIL RCPT RCPT DATA, replies in one chunk", false, {
	    { 'C', BYTES("MAIL FROM:<alice@example.org> SIZE=100\r\n"
		"RCPT TO:<bob@example.net>\r\nrcpt to:<carol@example.net>\r\n"
		"DATA\r\n") },
	    { 'S', BYTES("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
		"354 End data with <CR><LF>.<CR><LF>\r\n") },
	    { 'C', BYTES(BODY ".\r\n") },
	    { 'S', BYTES("250 2.0.0 Ok: queued as 4XyZ123\r\n") },
	    { 'C', BYTES("QUIT\r\n") },
	    { 'S', BYTES("221 2.0.0 Bye\r\n") } },
	    "MAIL RCPT RCPT DATA 250:MAIL 250:RCPT 250:RCPT 354:DATA end "
	    "250:accepted QUIT 221:QUIT",
	    "alice@example.org", 2, sizeof(BODY) - 1, "4XyZ123",
	    "", "", 0 },
	{ "empty message ends at once", false, {
	    { 'C', BYTES("MAIL FROM:<>\r\nRCPT TO:<bob@example.net>\r\n"
		"DATA\r\n") },
	    { 'S', BYTES("250 Ok\r\n250 Ok\r\n354 Go\r\n") },
	    { 'C', BYTES(".\r\n") },
	    { 'S', BYTES("250 2.0.0 Ok: queued as 4Q\r\n") } },
	    "MAIL RCPT DATA 250:MAIL 250:RCPT 354:DATA end 250:accepted",
	    "", 1, 0, "4Q", "", "", 0 },
	{ "rejected DATA is followed by commands", false, {
	    { 'C', BYTES("MAIL FROM:<a@example.org>\r\nDATA\r\n") },
	    { 'S', BYTES("250 Ok\r\n554 5.5.1 Error: no valid recipients\r\n") },
	    { 'C', BYTES("RSET\r\n") },
	    { 'S', BYTES("250 Ok\r\n") } },
	    "MAIL DATA 250:MAIL 554:DATA RSET 250:RSET",
	    "", 0, 0, "", "", "", 0 },
	{ "rejected message has no queue id", false, {
	    { 'C', BYTES("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
		"DATA\r\n") },
	    { 'S', BYTES("250 Ok\r\n250 Ok\r\n354 Go\r\n") },
	    { 'C', BYTES("x\r\n.\r\n") },
	    { 'S', BYTES("554 5.7.1 queued as nothing: rejected\r\n") } },
	    "MAIL RCPT DATA 250:MAIL 250:RCPT 354:DATA end 554:rejected",
	    "a@example.org", 1, 3, "", "", "", 0 },
	{ "BDAT chunks are raw bytes", false, {
	    { 'C', BYTES("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
		"BDAT 14\r\n" BINARY "BDAT 5 LAST\r\n.\r\n\r\n"
		"QUIT\r\n") },
	    { 'S', BYTES("250 Ok\r\n250 Ok\r\n250 2.0.0 Ok: 14 bytes\r\n"
		"250 2.0.0 Ok: queued as 4BdAt\r\n221 Bye\r\n") } },
	    "MAIL RCPT BDAT BDAT end QUIT 250:MAIL 250:RCPT 250:BDAT "
	    "250:accepted 221:QUIT",
	    "a@example.org", 1, 19, "4BdAt", "", "", 0 },
	{ "BDAT 0 LAST ends the message at once", false, {
	    { 'C', BYTES("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
		"bdat 3\r\nabcBDAT 0 last\r\n") },
	    { 'S', BYTES("250 Ok\r\n250 Ok\r\n250 Ok\r\n"
		"250 Ok: queued as 4Zero\r\n") } },
	    "MAIL RCPT BDAT BDAT 250:MAIL 250:RCPT 250:BDAT 250:accepted",
	    "a@example.org", 1, 3, "4Zero", "", "", 0 },
	{ "BDAT without a size is a command", false, {
	    { 'C', BYTES("BDAT x\r\nNOOP\r\n") },
	    { 'S', BYTES("501 5.5.4 Syntax\r\n250 Ok\r\n") } },
	    "BDAT NOOP 501:BDAT 250:NOOP", "", 0, 0, "", "", "", 0 },
	{ "multi-line EHLO reply", true, {
	    { 'S', BYTES("220 mx.example.org ESMTP\r\n") },
	    { 'C', BYTES("EHLO client.example\r\n") },
	    { 'S', BYTES("250-mx.example.org\r\n250-PIPELINING\r\n"
		"250-XCLIENT NAME ADDR\r\n250 STARTTLS\r\n") } },
	    "220:greeting EHLO 250-EHLO 250-EHLO 250-EHLO 250:EHLO",
	    "", 0, 0, "", "", "", 0 },
	{ "AUTH PLAIN initial response", false, {
	    { 'C', BYTES("AUTH PLAIN " PLAIN_ALICE "\r\n") },
	    { 'S', BYTES("235 2.7.0 Authentication successful\r\n") } },
	    "AUTH 235:auth-ok", "", 0, 0, "", "alice", "", 0 },
	{ "AUTH PLAIN with authzid after 334", false, {
	    { 'C', BYTES("auth plain\r\n") },
	    { 'S', BYTES("334 \r\n") },
	    { 'C', BYTES(PLAIN_BOB_AS_ALICE "\r\n") },
	    { 'S', BYTES("235 2.7.0 Authentication successful\r\n") } },
	    "AUTH 334:AUTH response 235:auth-ok", "", 0, 0, "", "alice", "bob",
	    0 },
	{ "AUTH LOGIN", false, {
	    { 'C', BYTES("AUTH LOGIN\r\n") },
	    { 'S', BYTES("334 VXNlcm5hbWU6\r\n") },
	    { 'C', BYTES(LOGIN_ALICE "\r\n") },
	    { 'S', BYTES("334 UGFzc3dvcmQ6\r\n") },
	    { 'C', BYTES(LOGIN_PASSWORD "\r\n") },
	    { 'S', BYTES("235 2.7.0 Authentication successful\r\n") } },
	    "AUTH 334:AUTH response 334:AUTH response response 235:auth-ok",
	    "", 0, 0, "", "alice", "", 0 },
	{ "AUTH failures are counted", false, {
	    { 'C', BYTES("AUTH PLAIN " PLAIN_WRONG "\r\n") },
	    { 'S', BYTES("535 5.7.8 Error: authentication failed\r\n") },
	    { 'C', BYTES("AUTH PLAIN " PLAIN_WRONG "\r\n") },
	    { 'S', BYTES("535 5.7.8 Error: authentication failed\r\n") },
	    { 'C', BYTES("AUTH CRAM-MD5\r\n") },
	    { 'S', BYTES("504 5.5.4 Unsupported\r\n") } },
	    "AUTH 535:auth-failed AUTH 535:auth-failed AUTH 504:AUTH",
	    "", 0, 0, "", "", "", 2 },
	{ "AUTH LOGIN initial response", false, {
	    { 'C', BYTES("AUTH LOGIN " LOGIN_ALICE "\r\n") },
	    { 'S', BYTES("334 UGFzc3dvcmQ6\r\n") },
	    { 'C', BYTES(LOGIN_PASSWORD "\r\n") },
	    { 'S', BYTES("235 2.7.0 Authentication successful\r\n") } },
	    "AUTH 334:AUTH response 235:auth-ok", "", 0, 0, "", "alice", "", 0 },
	{ "AUTH PLAIN invalid base64 keeps no name", false, {
	    { 'C', BYTES("AUTH PLAIN !!!!\r\n") },
	    { 'S', BYTES("235 2.7.0 Authentication successful\r\n") } },
	    "AUTH 235:auth-ok", "", 0, 0, "", "", "", 0 },
	{ "AUTH cancelled with *", false, {
	    { 'C', BYTES("AUTH PLAIN\r\n") },
	    { 'S', BYTES("334 \r\n") },
	    { 'C', BYTES("*\r\n") },
	    { 'S', BYTES("501 5.7.0 Authentication aborted\r\n") },
	    { 'C', BYTES("NOOP\r\n") },
	    { 'S', BYTES("250 Ok\r\n") } },
	    "AUTH 334:AUTH response 501:AUTH response NOOP 250:NOOP",
	    "", 0, 0, "", "", "", 0 },
	{ "dot-stuffed first line is content", false, {
	    { 'C', BYTES("mail from: <x@example.org>\r\nRCPT TO:<y@example.org>\r\n"
		"data\r\n") },
	    { 'S', BYTES("250 Ok\r\n250 Ok\r\n354 Go\r\n") },
	    { 'C', BYTES("..\r\n.\r\n") },
	    { 'S', BYTES("250 Ok: queued as 4Dot\r\n") } },
	    "MAIL RCPT DATA 250:MAIL 250:RCPT 354:DATA end 250:accepted",
	    "x@example.org", 1, 4, "4Dot", "", "", 0 },
	{ "rejected BDAT LAST", false, {
	    { 'C', BYTES("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
		"BDAT 2 LAST\r\nhi") },
	    { 'S', BYTES("250 Ok\r\n250 Ok\r\n552 5.3.4 Message too big\r\n") } },
	    "MAIL RCPT BDAT end 250:MAIL 250:RCPT 552:rejected",
	    "a@example.org", 1, 2, "", "", "", 0 },
	{ "long content line is content", false, {
	    { 'C', BYTES("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
		"DATA\r\n") },
	    { 'S', BYTES("250 Ok\r\n250 Ok\r\n354 Go\r\n") },
	    { 'C', BYTES(X512 X512 "\r\n.\r\n") },
	    { 'S', BYTES("250 Ok: queued as 4Long\r\n") } },
	    "MAIL RCPT DATA 250:MAIL 250:RCPT 354:DATA end 250:accepted",
	    "a@example.org", 1, 1026, "4Long", "", "", 0 },
	{ "reply that answers no command", false, {
	    { 'S', BYTES("421 4.4.2 mx Error: timeout exceeded\r\n") } },
	    "421:none", "", 0, 0, "", "", "", 0 },
	{ "over-long command line", false, {
	    { 'C', BYTES("NOOP "
		X512 "\r\nNOOP\r\n") },
	    { 'S', BYTES("250 Ok\r\n") } },
	    "too-long NOOP 250:NOOP", "", 0, 0, "", "", "", 0 },
	{ "reply without a code is invalid", false, {
	    { 'S', BYTES("hello\r\n") } },
	    "invalid", "", 0, 0, "", "", "", 0 },
	{ "reply with mixed codes is invalid", false, {
	    { 'C', BYTES("EHLO c\r\n") },
	    { 'S', BYTES("250-mx\r\n251 x\r\n") } },
	    "EHLO 250-EHLO invalid", "", 0, 0, "", "", "", 0 },
};

/* What a relay saw over one run. */
struct run {
	char events[1024];
	char client_out[4096];
	size_t client_out_len;
	char server_out[4096];
	size_t server_out_len;
	bool waited;		/* SMTP_FOLLOW_WAIT with bytes left */
	bool stuck;		/* no progress without a wait */
	bool release_buffers;	/* release the follower's buffers after each
				 * chunk, as proxy/conversation.c does */
};

static void
append(char *out, size_t *out_len, size_t cap, const char *data, size_t len)
{
	if (*out_len + len > cap)
		len = cap - *out_len;
	memcpy(out + *out_len, data, len);
	*out_len += len;
}

static void
event_add(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
event_add(struct run *r, const char *fmt, ...)
{
	size_t used = strlen(r->events);
	va_list ap;

	if (used > 0 && used < sizeof(r->events) - 1)
		r->events[used++] = ' ';
	va_start(ap, fmt);
	vsnprintf(r->events + used, sizeof(r->events) - used, fmt, ap);
	va_end(ap);
}

/* Records one event and forwards the bytes it reports. */
static void
event_take(struct run *r, const struct smtp_follow_event *ev,
    const char *data, size_t consumed)
{
	const char *name = smtp_command_name(ev->command);

	switch (ev->type) {
	case SMTP_FOLLOW_NONE:
	case SMTP_FOLLOW_WAIT:
		break;
	case SMTP_FOLLOW_OUT_OF_MEMORY:
		event_add(r, "out-of-memory");
		break;
	case SMTP_FOLLOW_CONTENT:
		append(r->client_out, &r->client_out_len,
		    sizeof(r->client_out), data, consumed);
		break;
	case SMTP_FOLLOW_MESSAGE_END:
		append(r->client_out, &r->client_out_len,
		    sizeof(r->client_out), data, consumed);
		event_add(r, "end");
		break;
	case SMTP_FOLLOW_COMMAND:
		append(r->client_out, &r->client_out_len,
		    sizeof(r->client_out), ev->line, ev->line_len);
		event_add(r, "%s", name);
		break;
	case SMTP_FOLLOW_AUTH_RESPONSE:
		append(r->client_out, &r->client_out_len,
		    sizeof(r->client_out), ev->line, ev->line_len);
		event_add(r, "response");
		break;
	case SMTP_FOLLOW_LINE_TOO_LONG:
		event_add(r, "too-long");
		break;
	case SMTP_FOLLOW_CONTENT_AMBIGUOUS:
		event_add(r, "ambiguous");
		break;
	case SMTP_FOLLOW_REPLY_LINE:
	case SMTP_FOLLOW_REPLY:
	case SMTP_FOLLOW_AUTH_SUCCEEDED:
	case SMTP_FOLLOW_AUTH_FAILED:
	case SMTP_FOLLOW_MESSAGE_ACCEPTED:
	case SMTP_FOLLOW_MESSAGE_REJECTED:
		append(r->server_out, &r->server_out_len,
		    sizeof(r->server_out), ev->line, ev->line_len);
		if (ev->type == SMTP_FOLLOW_REPLY_LINE)
			event_add(r, "%d-%s", ev->code, name);
		else if (ev->type == SMTP_FOLLOW_REPLY)
			event_add(r, "%d:%s", ev->code, name);
		else if (ev->type == SMTP_FOLLOW_AUTH_SUCCEEDED)
			event_add(r, "%d:auth-ok", ev->code);
		else if (ev->type == SMTP_FOLLOW_AUTH_FAILED)
			event_add(r, "%d:auth-failed", ev->code);
		else if (ev->type == SMTP_FOLLOW_MESSAGE_ACCEPTED)
			event_add(r, "%d:accepted", ev->code);
		else
			event_add(r, "%d:rejected", ev->code);
		break;
	case SMTP_FOLLOW_REPLY_INVALID:
		event_add(r, "invalid");
		break;
	}
}

/* Feeds one chunk to one side until it is consumed or the side waits. */
static void
feed_events(struct smtp_follower *f, struct run *r, char side,
    const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct smtp_follow_event ev;
		size_t n = side == 'C' ?
		    smtp_follower_client(f, data + off, len - off, &ev) :
		    smtp_follower_server(f, data + off, len - off, &ev);

		event_take(r, &ev, data + off, n);
		if (ev.type == SMTP_FOLLOW_WAIT) {
			r->waited = true;
			return;
		}
		if (ev.type == SMTP_FOLLOW_REPLY_INVALID && n == 0)
			return;
		if (n == 0 && ev.type == SMTP_FOLLOW_NONE) {
			r->stuck = true;
			return;
		}
		off += n;
	}
}

/* Feeds one chunk, then releases the buffers if r->release_buffers is set. */
static void
feed(struct smtp_follower *f, struct run *r, char side, const char *data,
    size_t len)
{
	feed_events(f, r, side, data, len);
	if (r->release_buffers)
		smtp_follower_release_buffers(f);
}

/*
 * Runs a case with every step cut at split: 0 feeds each step whole, 1 one
 * byte at a time, and k > 1 in two chunks, the first of k bytes.  With
 * release_buffers, the follower's buffers are released after every chunk.
 */
static struct smtp_follower *
run_case(const struct follow_case *c, size_t split, bool release_buffers,
    struct run *r)
{
	struct smtp_follower *f = smtp_follower_new(c->greeting);

	memset(r, 0, sizeof(*r));
	r->release_buffers = release_buffers;
	for (size_t s = 0; s < STEPS_MAX && c->steps[s].bytes != NULL; s++) {
		const struct step *step = &c->steps[s];

		if (split == 0 || split >= step->len) {
			feed(f, r, step->side, step->bytes, step->len);
		} else if (split == 1) {
			for (size_t i = 0; i < step->len; i++)
				feed(f, r, step->side, step->bytes + i, 1);
		} else {
			feed(f, r, step->side, step->bytes, split);
			feed(f, r, step->side, step->bytes + split,
			    step->len - split);
		}
	}
	return f;
}

/* The bytes of one side's steps, concatenated. */
static size_t
side_bytes(const struct follow_case *c, char side, char *out, size_t cap)
{
	size_t len = 0;

	for (size_t s = 0; s < STEPS_MAX && c->steps[s].bytes != NULL; s++) {
		if (c->steps[s].side == side)
			append(out, &len, cap, c->steps[s].bytes,
			    c->steps[s].len);
	}
	return len;
}

static size_t
longest_step(const struct follow_case *c)
{
	size_t longest = 0;

	for (size_t s = 0; s < STEPS_MAX && c->steps[s].bytes != NULL; s++) {
		if (c->steps[s].len > longest)
			longest = c->steps[s].len;
	}
	return longest;
}

/*
 * Checks every cut of a case and reports the first one that differs.  With
 * release_buffers, the follower's buffers are released after every chunk.
 */
static void
check_cuts(const struct follow_case *c, bool release_buffers)
{
	char client_in[4096], server_in[4096];
	size_t client_len = side_bytes(c, 'C', client_in, sizeof(client_in));
	size_t server_len = side_bytes(c, 'S', server_in, sizeof(server_in));
	bool invalid = strstr(c->events, "invalid") != NULL;
	bool too_long = strstr(c->events, "too-long") != NULL;
	size_t longest = longest_step(c);
	size_t split;
	struct run r;

	for (split = 0; split < longest; split++) {
		smtp_follower_free(run_case(c, split, release_buffers, &r));
		if (strcmp(r.events, c->events) != 0 || r.waited || r.stuck)
			break;
		if (!too_long && (r.client_out_len != client_len ||
		    memcmp(r.client_out, client_in, client_len) != 0))
			break;
		if (!invalid && (r.server_out_len != server_len ||
		    memcmp(r.server_out, server_in, server_len) != 0))
			break;
	}

	CHECK(split == longest, "%s: same events and bytes at all %zu cuts%s",
	    c->name, longest, release_buffers ? ", buffers released" : "");
	if (split == longest)
		return;
	printf("#   first difference at cut %zu\n", split);
	printf("#   got  events: %s\n#   want events: %s\n", r.events,
	    c->events);
	printf("#   waited %d, stuck %d\n", r.waited, r.stuck);
	if (!too_long)
		CHECK_BYTES(r.client_out, r.client_out_len, client_in,
		    client_len, "%s: client bytes forwarded", c->name);
	if (!invalid)
		CHECK_BYTES(r.server_out, r.server_out_len, server_in,
		    server_len, "%s: server bytes forwarded", c->name);
}

/* Checks that memory at p lacks every password and SASL response. */
static void
check_secrets_gone(const char *name, const void *p, size_t size)
{
	CHECK(memmem(p, size, PASSWORD, sizeof(PASSWORD) - 1) == NULL,
	    "%s: password not kept", name);
	CHECK(memmem(p, size, "wrong-Pass9", sizeof("wrong-Pass9") - 1) ==
	    NULL, "%s: wrong password not kept", name);
	CHECK(memmem(p, size, PLAIN_ALICE, sizeof(PLAIN_ALICE) - 1) == NULL &&
	    memmem(p, size, LOGIN_PASSWORD, sizeof(LOGIN_PASSWORD) - 1) ==
	    NULL, "%s: base64 SASL responses not kept", name);
}

static void
check_outcome(const struct follow_case *c)
{
	struct run r;
	struct smtp_follower *f = run_case(c, 1, false, &r);
	const struct smtp_follow_message *m = smtp_follower_message(f);

	CHECK(strcmp(m->sender, c->sender) == 0, "%s: sender \"%s\"", c->name,
	    m->sender);
	CHECK(m->recipients == c->recipients, "%s: %u recipients", c->name,
	    m->recipients);
	CHECK(m->size == c->size, "%s: size %llu, expected %llu", c->name,
	    (unsigned long long)m->size, (unsigned long long)c->size);
	CHECK(strcmp(m->queue_id, c->queue_id) == 0, "%s: queue id \"%s\"",
	    c->name, m->queue_id);
	CHECK(strcmp(smtp_follower_auth_user(f), c->auth_user) == 0,
	    "%s: auth user \"%s\"", c->name, smtp_follower_auth_user(f));
	CHECK(strcmp(smtp_follower_auth_authzid(f), c->authzid) == 0,
	    "%s: authzid \"%s\"", c->name, smtp_follower_auth_authzid(f));
	CHECK(smtp_follower_authenticated(f) ==
	    (strstr(c->events, "auth-ok") != NULL),
	    "%s: authenticated is %d", c->name, smtp_follower_authenticated(f));
	CHECK(smtp_follower_auth_failures(f) == c->auth_failures,
	    "%s: %u AUTH failures", c->name, smtp_follower_auth_failures(f));
	/* Every case with failures fails with PLAIN last. */
	CHECK(strcmp(smtp_follower_failed_mechanism(f),
	    c->auth_failures > 0 ? "PLAIN" : "") == 0,
	    "%s: failed mechanism \"%s\"", c->name,
	    smtp_follower_failed_mechanism(f));

	/* The follower's memory, not only its accessors, lacks the password. */
	check_secrets_gone(c->name, f, malloc_usable_size(f));
	if (f->buffers != NULL)
		check_secrets_gone(c->name, f->buffers,
		    malloc_usable_size(f->buffers));
	smtp_follower_free(f);
}

/*
 * The state of commands in progress is freed by a release while nothing is
 * in progress, and kept while a line is partly read, a reply is awaited, an
 * AUTH exchange is under way or a mail transaction is open.
 */
static const struct release_step {
	char side;
	const char *bytes;
	bool held;		/* f->buffers exists after the release */
} release_steps[] = {
	{ 'S', "220 mx.example.com ESMTP\r\n", false },
	{ 'C', "EHLO client.example", true },
	{ 'C', ".com\r\n", true },
	{ 'S', "250-mx.example.com\r\n", true },
	{ 'S', "250 AUTH PLAIN LOGIN", true },
	{ 'S', "\r\n", false },
	{ 'C', "AUTH LOGIN\r\n", true },
	{ 'S', "334 VXNlcm5hbWU6\r\n", true },
	{ 'C', LOGIN_ALICE "\r\n", true },
	{ 'S', "334 UGFzc3dvcmQ6\r\n", true },
	{ 'C', LOGIN_PASSWORD "\r\n", true },
	{ 'S', "235 2.7.0 Authentication successful\r\n", false },
	{ 'C', "MAIL FROM:<alice@example.com>\r\n", true },
	{ 'S', "250 2.1.0 Ok\r\n", true },
	{ 'C', "RCPT TO:<bob@example.com>\r\n", true },
	{ 'S', "250 2.1.5 Ok\r\n", true },
	{ 'C', "DATA\r\n", true },
	{ 'S', "354 End data with <CR><LF>.<CR><LF>\r\n", true },
	{ 'C', "Subject: test\r\n\r\nbody\r\n.\r\n", true },
	{ 'S', "250 2.0.0 Ok: queued as 4XyZ1\r\n", false },
};

static void
check_buffers_released(void)
{
	struct smtp_follower *f = smtp_follower_new(true);
	struct run r = { .events = "", .release_buffers = true };

	if (f == NULL)
		abort();
	CHECK(f->buffers != NULL, "release: greeting awaited, buffers held");
	for (size_t i = 0; i < sizeof(release_steps) /
	    sizeof(release_steps[0]); i++) {
		const struct release_step *step = &release_steps[i];

		feed(f, &r, step->side, step->bytes, strlen(step->bytes));
		CHECK((f->buffers != NULL) == step->held,
		    "release step %zu (%c): buffers %s", i, step->side,
		    step->held ? "held" : "freed");
	}
	CHECK(strcmp(r.events, "220:greeting EHLO 250-EHLO 250:EHLO AUTH "
	    "334:AUTH response 334:AUTH response response 235:auth-ok MAIL "
	    "250:MAIL RCPT 250:RCPT DATA 354:DATA end 250:accepted") == 0,
	    "release: events %s", r.events);
	CHECK(strcmp(smtp_follower_auth_user(f), "alice") == 0,
	    "release: auth user \"%s\"", smtp_follower_auth_user(f));
	CHECK(strcmp(smtp_follower_auth_mechanism(f), "LOGIN") == 0,
	    "release: auth mechanism \"%s\"", smtp_follower_auth_mechanism(f));
	CHECK(strcmp(smtp_follower_message(f)->sender, "alice@example.com") ==
	    0, "release: message sender \"%s\"",
	    smtp_follower_message(f)->sender);
	CHECK(strcmp(smtp_follower_message(f)->queue_id, "4XyZ1") == 0,
	    "release: queue id \"%s\"", smtp_follower_message(f)->queue_id);
	smtp_follower_free(f);
}

/* Content pipelined after DATA waits for the 354 (RFC 2920 section 3.1). */
static void
check_data_waits_for_354(void)
{
	static const char client[] = "DATA\r\nQUIT\r\n.\r\n";
	struct smtp_follower *f = smtp_follower_new(false);
	struct smtp_follow_event ev;
	size_t n;

	n = smtp_follower_client(f, client, sizeof(client) - 1, &ev);
	CHECK(n == 6, "DATA line consumed alone (%zu bytes)", n);
	CHECK(ev.type == SMTP_FOLLOW_COMMAND, "DATA line is a command");
	n = smtp_follower_client(f, client + 6, sizeof(client) - 7, &ev);
	CHECK(n == 0, "bytes after DATA are not consumed before its reply");
	CHECK(ev.type == SMTP_FOLLOW_WAIT, "bytes after DATA wait for its reply");

	n = smtp_follower_server(f, BYTES("354 Go\r\n"), &ev);
	CHECK(ev.type == SMTP_FOLLOW_REPLY, "354 is a reply");
	CHECK(ev.code == 354, "reply code is 354");
	CHECK(ev.command == SMTP_CMD_DATA, "354 is matched to DATA");
	n = smtp_follower_client(f, client + 6, sizeof(client) - 7, &ev);
	CHECK(n == sizeof(client) - 7, "QUIT after 354 is consumed as content");
	CHECK(ev.type == SMTP_FOLLOW_MESSAGE_END, "content ends at the \".\" line");
	smtp_follower_free(f);
}

/*
 * A "." line with a bare LF before or after it ends the message for a backend
 * that takes a bare LF for a line end, so the follower reports it instead of
 * passing it on as content.
 */
struct dot_case {
	const char *name;
	const char *content;
	bool ambiguous;
};

static const struct dot_case dot_cases[] = {
	{ "bare LF on both sides", "a\n.\nMAIL FROM:<x@y>\r\n", true },
	{ "bare LF before", "a\n.\r\nMAIL FROM:<x@y>\r\n", true },
	{ "bare LF after", "a\r\n.\nMAIL FROM:<x@y>\r\n", true },
	{ "at the start, bare LF after", ".\nMAIL FROM:<x@y>\r\n", true },
	{ "dot-stuffed after bare LF", "a\n..\nb\r\n", false },
	{ "dot inside a line", "a.\n.b\nc\r\n", false },
	{ "dot and CR CR LF", "a\r\n.\r\r\nb\r\n", false },
	{ "bare LF without a dot line", "a\nb\n\nc\r\n", false },
};

static void
check_dot_line(const struct dot_case *c)
{
	struct smtp_follower *f = smtp_follower_new(false);
	struct smtp_follow_event ev;
	size_t off = 0, len = strlen(c->content);
	bool ambiguous = false;

	smtp_follower_client(f, BYTES("DATA\r\n"), &ev);
	smtp_follower_server(f, BYTES("354 Go\r\n"), &ev);
	while (off < len) {
		off += smtp_follower_client(f, c->content + off, len - off, &ev);
		if (ev.type == SMTP_FOLLOW_CONTENT_AMBIGUOUS)
			ambiguous = true;
	}
	CHECK(ambiguous == c->ambiguous, "%s: %s", c->name,
	    c->ambiguous ? "reported" : "content");
	if (c->ambiguous) {
		CHECK(smtp_follower_client(f, BYTES("QUIT\r\n"), &ev) == 6,
		    "%s: later bytes are consumed", c->name);
		CHECK(ev.type == SMTP_FOLLOW_NONE, "%s: and dropped", c->name);
	}
	smtp_follower_free(f);
}

/*
 * Postfix splits a command at \v and \f too, so a line with a control byte
 * is never classified by its verb: it could be an XCLIENT for Postfix.
 */
static void
check_control_bytes(void)
{
	static const char *const lines[] = {
		"XCLIENT\vADDR=192.0.2.66\r\n", "\fXCLIENT ADDR=192.0.2.66\r\n",
		"MAIL\vFROM:<a@example.org>\r\n", "DATA\v\r\n",
		"BDAT\f5\r\n", "EHLO a\rb\r\n", "NOOP\x7f\r\n",
	};
	struct smtp_follow_event ev;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct smtp_follower *f = smtp_follower_new(false);

		smtp_follower_client(f, lines[i], strlen(lines[i]), &ev);
		CHECK(ev.type == SMTP_FOLLOW_COMMAND, "line %zu is a command", i);
		CHECK(ev.command == SMTP_CMD_INVALID, "line %zu is invalid", i);
		smtp_follower_drop_command(f);
		CHECK(smtp_follower_client(f, BYTES("NOOP\r\n"), &ev) == 6,
		    "line %zu: the next line is read as a command", i);
		CHECK(ev.command == SMTP_CMD_NOOP, "line %zu: NOOP follows", i);
		smtp_follower_free(f);
	}
}

/* A multi-line reply is open from its first line until its last. */
static void
check_reply_open(void)
{
	struct smtp_follower *f = smtp_follower_new(false);
	struct smtp_follow_event ev;

	smtp_follower_client(f, BYTES("EHLO a\r\n"), &ev);
	CHECK(!smtp_follower_reply_open(f), "no reply open before one arrives");
	smtp_follower_server(f, BYTES("250-mx.example"), &ev);
	CHECK(!smtp_follower_reply_open(f), "a partial line is held back");
	smtp_follower_server(f, BYTES("\r\n250-PIPELINING\r\n"), &ev);
	CHECK(smtp_follower_reply_open(f), "open after its first line");
	smtp_follower_server(f, BYTES("250 SIZE\r\n"), &ev);
	CHECK(ev.type == SMTP_FOLLOW_REPLY, "the last line ends the reply");
	CHECK(!smtp_follower_reply_open(f), "closed after its last line");
	smtp_follower_free(f);
}

/* A refused XCLIENT expects no reply, so the next reply is matched to NOOP. */
static void
check_refused_command(void)
{
	static const char client[] = "XCLIENT ADDR=1.2.3.4\r\nNOOP\r\n";
	struct smtp_follower *f = smtp_follower_new(false);
	struct smtp_follow_event ev;
	size_t n;

	n = smtp_follower_client(f, client, sizeof(client) - 1, &ev);
	CHECK(ev.type == SMTP_FOLLOW_COMMAND &&
	    ev.command == SMTP_CMD_XCLIENT, "XCLIENT is a command");
	smtp_follower_drop_command(f);
	smtp_follower_client(f, client + n, sizeof(client) - 1 - n, &ev);
	CHECK(ev.command == SMTP_CMD_NOOP, "NOOP follows");
	smtp_follower_server(f, BYTES("250 Ok\r\n"), &ev);
	CHECK(ev.type == SMTP_FOLLOW_REPLY, "250 is a reply");
	CHECK(ev.command == SMTP_CMD_NOOP,
	    "the reply is matched to NOOP, not to the refused XCLIENT");
	smtp_follower_free(f);
}

/* More pipelined commands than the follower tracks make the client wait. */
static void
check_pending_limit(void)
{
	struct smtp_follower *f = smtp_follower_new(false);
	struct smtp_follow_event ev;
	unsigned commands = 0;

	while (commands < 100 &&
	    smtp_follower_client(f, BYTES("NOOP\r\n"), &ev) > 0)
		commands++;
	CHECK(ev.type == SMTP_FOLLOW_WAIT, "client waits after %u commands",
	    commands);
	smtp_follower_server(f, BYTES("250 Ok\r\n"), &ev);
	CHECK(smtp_follower_client(f, BYTES("NOOP\r\n"), &ev) == 6,
	    "one reply makes room for one command");
	smtp_follower_free(f);
}

/* RFC 5321 section 4.5.3.1.4: 512 bytes with the CRLF, and no more. */
static void
check_line_length_limit(void)
{
	char line[SMTP_FOLLOW_LINE_MAX + 1];
	struct smtp_follower *f = smtp_follower_new(false);
	struct smtp_follow_event ev;
	size_t n;

	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'x', SMTP_FOLLOW_LINE_MAX - 7);
	memcpy(line + SMTP_FOLLOW_LINE_MAX - 2, "\r\n", 2);
	n = smtp_follower_client(f, line, SMTP_FOLLOW_LINE_MAX, &ev);
	CHECK(n == SMTP_FOLLOW_LINE_MAX, "command line of 512 bytes consumed");
	CHECK(ev.type == SMTP_FOLLOW_COMMAND,
	    "command line of 512 bytes is a command");

	memset(line + 5, 'x', SMTP_FOLLOW_LINE_MAX - 6);
	memcpy(line + SMTP_FOLLOW_LINE_MAX - 1, "\r\n", 2);
	n = smtp_follower_client(f, line, SMTP_FOLLOW_LINE_MAX + 1, &ev);
	CHECK(n == SMTP_FOLLOW_LINE_MAX,
	    "command line of 513 bytes is cut at byte 512");
	CHECK(ev.type == SMTP_FOLLOW_LINE_TOO_LONG,
	    "command line of 513 bytes is too long");
	smtp_follower_free(f);
}

/*
 * Random bytes on both sides, drawn mostly from SMTP's own characters, must
 * never stall the follower: it consumes bytes or reports why it cannot.
 */
static void
check_random_streams(void)
{
	static const char alphabet[] = "\r\n.0123459- DATAbdatLASTauthPLAIN*=";
	uint32_t state = 12345;
	unsigned stalls = 0;

	for (unsigned round = 0; round < 200; round++) {
		struct smtp_follower *f = smtp_follower_new(round % 2 == 0);
		char data[256];

		for (unsigned chunk = 0; chunk < 40; chunk++) {
			struct smtp_follow_event ev;
			size_t len = 1 + chunk % sizeof(data);
			size_t off = 0;
			bool client = chunk % 3 != 0;

			for (size_t i = 0; i < len; i++) {
				state = state * 1103515245u + 12345u;
				data[i] = alphabet[(state >> 16) %
				    (sizeof(alphabet) - 1)];
			}
			while (off < len) {
				size_t n = client ?
				    smtp_follower_client(f, data + off,
				    len - off, &ev) :
				    smtp_follower_server(f, data + off,
				    len - off, &ev);

				if (n == 0) {
					if (ev.type != SMTP_FOLLOW_WAIT &&
					    ev.type != SMTP_FOLLOW_REPLY_INVALID)
						stalls++;
					break;
				}
				off += n;
			}
		}
		smtp_follower_free(f);
	}
	CHECK(stalls == 0, "random streams never stall (%u stalls)", stalls);
}

/* One step of a conversation and whether a transaction is open after it. */
struct transaction_step {
	char side;
	const char *bytes;
	bool open;
};

static const struct transaction_step transaction_steps[] = {
	{ 'S', "220 mx ESMTP\r\n", false },
	{ 'C', "EHLO c\r\nMAIL FROM:<>\r\n", false },
	{ 'S', "250 mx\r\n", false },
	{ 'S', "250 Ok\r\n", true },		/* a null sender counts too */
	{ 'C', "RCPT TO:<b@example.org>\r\nDATA\r\n", true },
	{ 'S', "250 Ok\r\n354 Go\r\n", true },
	{ 'C', "hi\r\n.\r\n", true },
	{ 'S', "250 Ok: queued as 4T\r\n", false },
	{ 'C', "MAIL FROM:<a@example.org>\r\n", false },
	{ 'S', "451 4.3.0 try later\r\n", false },
	{ 'C', "MAIL FROM:<a@example.org>\r\n", false },
	{ 'S', "250 Ok\r\n", true },
	{ 'C', "RSET\r\n", true },
	{ 'S', "250 Ok\r\n", false },
	{ 'C', "MAIL FROM:<a@example.org>\r\nBDAT 2 LAST\r\nhi", false },
	{ 'S', "250 Ok\r\n", true },
	{ 'S', "552 5.3.4 Message too big\r\n", false },
};

/* A transaction is open from the 250 to MAIL until its end. */
static void
check_transaction_open(void)
{
	struct smtp_follower *f = smtp_follower_new(true);
	struct run r = { .events = "" };

	if (f == NULL)
		abort();
	for (size_t i = 0; i < sizeof(transaction_steps) /
	    sizeof(transaction_steps[0]); i++) {
		const struct transaction_step *step = &transaction_steps[i];

		feed(f, &r, step->side, step->bytes, strlen(step->bytes));
		CHECK(smtp_follower_in_transaction(f) == step->open,
		    "transaction step %zu (%c): open is %s", i, step->side,
		    step->open ? "true" : "false");
	}
	smtp_follower_free(f);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_cuts(&cases[i], false);
		check_cuts(&cases[i], true);
		check_outcome(&cases[i]);
	}
	check_data_waits_for_354();
	for (size_t i = 0; i < sizeof(dot_cases) / sizeof(dot_cases[0]); i++)
		check_dot_line(&dot_cases[i]);
	check_refused_command();
	check_control_bytes();
	check_reply_open();
	check_pending_limit();
	check_line_length_limit();
	check_random_streams();
	check_transaction_open();
	check_buffers_released();
	return check_done();
}
