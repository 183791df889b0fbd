/*
 * The error limit of the pre-TLS dialogue comes from max_errors: the step
 * after the last allowed error reply writes 421 and closes, successful
 * commands do not reset the count, and 0 counts as 1.
 */
#include <stdbool.h>
#include <string.h>

#include "smtp/dialogue.h"
#include "test/unit/check.h"

#define HOSTNAME "mx.example.org"
#define TOO_MANY_ERRORS "421 4.7.0 " HOSTNAME " Error: too many errors\r\n"

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

/*
 * Sends one command and steps once.  Returns the step and copies the reply
 * into reply (SMTP_DIALOGUE_REPLY_MAX + 1 bytes), NUL-terminated.
 */
static enum smtp_step
send_command(struct smtp_dialogue *d, const char *line, char *reply)
{
	size_t len;
	enum smtp_step step;

	commit_string(d, line);
	step = smtp_dialogue_step(d, reply, &len);
	reply[len] = '\0';
	return step;
}

/* Runs max_errors MAIL commands (each a 530) and checks that the next
 * command, whatever it is, gets 421 and closes. */
static void
test_limit(unsigned max_errors)
{
	struct smtp_dialogue *d = smtp_dialogue_new(HOSTNAME);
	char reply[SMTP_DIALOGUE_REPLY_MAX + 1];
	enum smtp_step step = SMTP_STEP_REPLY;
	unsigned replied = 0;

	if (!CHECK(d != NULL, "dialogue allocated"))
		return;
	smtp_dialogue_set_max_errors(d, max_errors);

	for (unsigned i = 0; i < max_errors; i++) {
		step = send_command(d, "MAIL FROM:<a@example.org>\r\n", reply);
		if (step != SMTP_STEP_REPLY || strncmp(reply, "530 ", 4) != 0)
			break;
		replied++;
		/* A good command between errors does not reset the count. */
		step = send_command(d, "NOOP\r\n", reply);
		if (i + 1 < max_errors && step != SMTP_STEP_REPLY)
			break;
		if (step == SMTP_STEP_CLOSE)
			break;
	}
	CHECK(replied == max_errors, "max_errors %u: %u error replies before "
	    "the limit (got %u)", max_errors, max_errors, replied);
	CHECK(step == SMTP_STEP_CLOSE, "max_errors %u: the command after the "
	    "last error closes", max_errors);
	CHECK(strcmp(reply, TOO_MANY_ERRORS) == 0, "max_errors %u: the reply "
	    "is the 421 (got \"%.40s\")", max_errors, reply);
	CHECK(smtp_dialogue_close_reason(d) == SMTP_CLOSE_TOO_MANY_ERRORS,
	    "max_errors %u: the close reason is too many errors", max_errors);
	smtp_dialogue_free(d);
}

static void
test_default_is_ten(void)
{
	struct smtp_dialogue *d = smtp_dialogue_new(HOSTNAME);
	char reply[SMTP_DIALOGUE_REPLY_MAX + 1];
	enum smtp_step step = SMTP_STEP_REPLY;
	unsigned errors = 0;

	if (!CHECK(d != NULL, "dialogue allocated"))
		return;
	while (errors < 20) {
		step = send_command(d, "RCPT TO:<b@example.org>\r\n", reply);
		if (step != SMTP_STEP_REPLY)
			break;
		errors++;
	}
	CHECK(SMTP_DIALOGUE_MAX_ERRORS == 10, "the default limit is 10");
	CHECK(errors == SMTP_DIALOGUE_MAX_ERRORS, "without a setting, %u "
	    "error replies before 421 (got %u)", SMTP_DIALOGUE_MAX_ERRORS,
	    errors);
	CHECK(step == SMTP_STEP_CLOSE, "without a setting, the next step "
	    "closes");
	smtp_dialogue_free(d);
}

static void
test_zero_counts_as_one(void)
{
	struct smtp_dialogue *d = smtp_dialogue_new(HOSTNAME);
	char reply[SMTP_DIALOGUE_REPLY_MAX + 1];

	if (!CHECK(d != NULL, "dialogue allocated"))
		return;
	smtp_dialogue_set_max_errors(d, 0);
	CHECK(send_command(d, "AUTH PLAIN\r\n", reply) == SMTP_STEP_REPLY,
	    "max_errors 0: the first error is answered");
	CHECK(send_command(d, "NOOP\r\n", reply) == SMTP_STEP_CLOSE,
	    "max_errors 0: the command after it closes");
	CHECK(strcmp(reply, TOO_MANY_ERRORS) == 0, "max_errors 0: 421");
	smtp_dialogue_free(d);
}

int
main(void)
{
	test_limit(1);
	test_limit(3);
	test_limit(25);
	test_default_is_ten();
	test_zero_counts_as_one();
	return check_done();
}
