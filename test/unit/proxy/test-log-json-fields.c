/*
 * log_json_format(): members from the key=value words of a log message,
 * JSON string escaping, and bytes that are not valid UTF-8.
 */
#include <string.h>

#include "proxy/log_json.h"
#include "test/unit/check.h"

#define TIME "2026-12-05T02:30:00.123Z"

static char line[LOG_JSON_LINE_MAX];

static const char *
format(const char *ident, const char *message)
{
	log_json_format(line, sizeof(line), TIME, "info", ident, message);
	return line;
}

static void
check_line(const char *ident, const char *message, const char *expected)
{
	format(ident, message);
	if (!CHECK(strcmp(line, expected) == 0, "%s", message)) {
		check_print_escaped("expected", expected, strlen(expected));
		check_print_escaped("got", line, strlen(line));
	}
}

static void
test_session_line_fields(void)
{
	check_line("subtls/smtps",
	    "s=0a1b client=192.0.2.1:40000 auth failed mechanism=PLAIN "
	    "failures=2",
	    "{\"time\":\"" TIME "\",\"level\":\"info\","
	    "\"ident\":\"subtls/smtps\",\"listener\":\"smtps\","
	    "\"msg\":\"auth failed\",\"session\":\"0a1b\","
	    "\"client\":\"192.0.2.1:40000\",\"mechanism\":\"PLAIN\","
	    "\"failures\":\"2\"}");
}

static void
test_process_line_free_text(void)
{
	check_line("subtls",
	    "backend=unix:/var/spool/postfix/public/submission: the socket "
	    "does not exist yet; is the backend running?",
	    "{\"time\":\"" TIME "\",\"level\":\"info\",\"ident\":\"subtls\","
	    "\"msg\":\"the socket does not exist yet; is the backend "
	    "running?\",\"backend\":\"unix:/var/spool/postfix/public/"
	    "submission\"}");
}

static void
test_quoted_value_keeps_spaces(void)
{
	check_line("subtls/smtps",
	    "s=1 client=192.0.2.1:1 close reason=shutdown detail=\"drain "
	    "timeout\" client_cert=\"CN=a b\" empty=\"\" open=\"x y",
	    "{\"time\":\"" TIME "\",\"level\":\"info\","
	    "\"ident\":\"subtls/smtps\",\"listener\":\"smtps\","
	    "\"msg\":\"close y\",\"session\":\"1\","
	    "\"client\":\"192.0.2.1:1\",\"reason\":\"shutdown\","
	    "\"detail\":\"drain timeout\",\"client_cert\":\"CN=a b\","
	    "\"empty\":\"\",\"open\":\"\\\"x\"}");
}

static void
test_repeated_key_keeps_first(void)
{
	check_line("subtls/smtps", "limit reached listener=other kind=x",
	    "{\"time\":\"" TIME "\",\"level\":\"info\","
	    "\"ident\":\"subtls/smtps\",\"listener\":\"smtps\","
	    "\"msg\":\"limit reached\",\"kind\":\"x\"}");
}

static void
test_words_that_are_not_fields(void)
{
	/* Uppercase keys, "=value" and "key=" stay in msg. */
	check_line("subtls", "state X=1 =2 key= a-b=3  ->  pretls",
	    "{\"time\":\"" TIME "\",\"level\":\"info\",\"ident\":\"subtls\","
	    "\"msg\":\"state X=1 =2 key= a-b=3 -> pretls\"}");
}

static void
test_quotes_and_backslashes_escaped(void)
{
	check_line("subtls", "user=a\"b\\c sni=\\x22",
	    "{\"time\":\"" TIME "\",\"level\":\"info\",\"ident\":\"subtls\","
	    "\"msg\":\"\",\"user\":\"a\\\"b\\\\c\",\"sni\":\"\\\\x22\"}");
}

static void
test_control_bytes_escaped(void)
{
	check_line("subtls", "ehlo=a\tb\nc\rd\x01\x1f\x7f",
	    "{\"time\":\"" TIME "\",\"level\":\"info\",\"ident\":\"subtls\","
	    "\"msg\":\"\",\"ehlo\":\"a\\tb\\nc\\rd\\u0001\\u001f\\u007f\"}");
}

static void
test_invalid_utf8_written_as_hex(void)
{
	/* A lone continuation byte, a truncated sequence, an overlong '/',
	 * a surrogate and a code point above U+10FFFF. */
	check_line("subtls",
	    "sni=\x80 ehlo=\xc3 a=\xc0\xaf b=\xed\xa0\x80 c=\xf4\x90\x80\x80",
	    "{\"time\":\"" TIME "\",\"level\":\"info\",\"ident\":\"subtls\","
	    "\"msg\":\"\",\"sni\":\"\\\\x80\",\"ehlo\":\"\\\\xc3\","
	    "\"a\":\"\\\\xc0\\\\xaf\",\"b\":\"\\\\xed\\\\xa0\\\\x80\","
	    "\"c\":\"\\\\xf4\\\\x90\\\\x80\\\\x80\"}");
}

static void
test_valid_utf8_kept(void)
{
	check_line("subtls", "user=j\xc3\xbcrgen host=\xe2\x82\xac\xf0\x9f\x93\xa7",
	    "{\"time\":\"" TIME "\",\"level\":\"info\",\"ident\":\"subtls\","
	    "\"msg\":\"\",\"user\":\"j\xc3\xbcrgen\","
	    "\"host\":\"\xe2\x82\xac\xf0\x9f\x93\xa7\"}");
}

static void
test_small_buffer_stays_valid(void)
{
	char small[64];
	size_t length;

	length = log_json_format(small, sizeof(small), TIME, "warning",
	    "subtls", "auth failed mechanism=PLAIN failures=2");

	CHECK(length == strlen(small), "length %zu matches the text", length);
	CHECK(strcmp(small, "{\"time\":\"" TIME "\",\"level\":\"warning\"}")
	    == 0, "members that do not fit are left out: %s", small);

	length = log_json_format(small, 3, TIME, "info", "subtls", "x");
	CHECK(strcmp(small, "{}") == 0, "cap 3 gives an empty object: %s",
	    small);
}

static void
test_longest_message_fits(void)
{
	char message[1024];

	/* Every byte of the longest message log_message() formats becomes a
	 * six-byte escape. */
	memset(message, 0x01, sizeof(message) - 1);
	message[0] = 'k';
	message[1] = '=';
	message[sizeof(message) - 1] = '\0';
	format("subtls/submission", message);

	CHECK(strstr(line, "\"k\":\"\\u0001") != NULL,
	    "the field of 1021 control bytes is written");
	CHECK(line[strlen(line) - 1] == '}', "the object is closed");
}

int
main(void)
{
	test_session_line_fields();
	test_process_line_free_text();
	test_quoted_value_keeps_spaces();
	test_repeated_key_keeps_first();
	test_words_that_are_not_fields();
	test_quotes_and_backslashes_escaped();
	test_control_bytes_escaped();
	test_invalid_utf8_written_as_hex();
	test_valid_utf8_kept();
	test_small_buffer_stays_valid();
	test_longest_message_fits();
	return check_done();
}
