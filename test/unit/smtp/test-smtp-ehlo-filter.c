/*
 * Removal of keywords from a backend's EHLO reply: the lines removed, the
 * continuation marks of what is left, and the replies that are rejected.
 */
#include <string.h>

#include "smtp/ehlo_filter.h"
#include "test/unit/check.h"

static const char *const removed[] = {
	"STARTTLS", "XCLIENT", "XFORWARD", NULL,
};

struct filter_case {
	const char *name;
	const char *reply;
	const char *filtered;	/* "" when the reply must be rejected */
};

static const struct filter_case cases[] = {
	{ "STARTTLS as last line moves the final mark",
	    "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	    "250 STARTTLS\r\n",
	    "250-mx.example.org\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n" },
	{ "XCLIENT and XFORWARD in the middle, any case",
	    "250-mx.example.org\r\n250-xclient NAME ADDR PORT\r\n"
	    "250-PIPELINING\r\n250-XForward NAME ADDR\r\n250 8BITMIME\r\n",
	    "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n" },
	{ "only the server name left",
	    "250-mx.example.org\r\n250 STARTTLS\r\n",
	    "250 mx.example.org\r\n" },
	{ "keyword that only starts like a listed one is kept",
	    "250-mx.example.org\r\n250-STARTTLSX\r\n250 XCLIENTS\r\n",
	    "250-mx.example.org\r\n250-STARTTLSX\r\n250 XCLIENTS\r\n" },
	{ "first line is kept whatever it names",
	    "250-STARTTLS\r\n250 PIPELINING\r\n",
	    "250-STARTTLS\r\n250 PIPELINING\r\n" },
	{ "bare LF line endings are kept",
	    "250-mx\n250-STARTTLS\n250 AUTH PLAIN\n",
	    "250-mx\n250 AUTH PLAIN\n" },
	{ "single-line reply is unchanged",
	    "250 mx.example.org\r\n", "250 mx.example.org\r\n" },
	{ "reply without its last line is rejected",
	    "250-mx.example.org\r\n250-STARTTLS\r\n", "" },
	{ "reply with an unended line is rejected",
	    "250-mx.example.org\r\n250 SIZE", "" },
	{ "reply with a code other than 250 is rejected",
	    "550 5.7.1 No\r\n", "" },
	{ "last line marked as continued is rejected",
	    "250-mx.example.org\r\n250-SIZE\r\n", "" },
};

static void
check_filter(const struct filter_case *c)
{
	char out[512];
	size_t len = smtp_ehlo_filter(c->reply, strlen(c->reply), removed, out,
	    sizeof(out));

	CHECK_BYTES(out, len, c->filtered, strlen(c->filtered), "%s", c->name);
}

static void
check_output_space(void)
{
	static const char reply[] = "250-mx\r\n250-STARTTLS\r\n250 SIZE\r\n";
	static const char filtered[] = "250-mx\r\n250 SIZE\r\n";
	char out[sizeof(filtered) - 1];

	CHECK(smtp_ehlo_filter(reply, sizeof(reply) - 1, removed, out,
	    sizeof(out)) == sizeof(filtered) - 1,
	    "output space of the filtered length is enough");
	CHECK(smtp_ehlo_filter(reply, sizeof(reply) - 1, removed, out,
	    sizeof(out) - 1) == 0, "output space one byte short is rejected");
}

static void
check_keyword_listed(void)
{
	CHECK(smtp_ehlo_keyword_listed("250-STARTTLS\r\n", 14, removed),
	    "STARTTLS line is listed");
	CHECK(smtp_ehlo_keyword_listed("250 xforward NAME\r\n", 19, removed),
	    "final xforward line is listed");
	CHECK(!smtp_ehlo_keyword_listed("250-AUTH PLAIN\r\n", 16, removed),
	    "AUTH line is not listed");
	CHECK(!smtp_ehlo_keyword_listed("250-\r\n", 6, removed),
	    "line without keyword is not listed");
	CHECK(!smtp_ehlo_keyword_listed("250", 3, removed),
	    "bare code is not listed");
}

/* Feeds a valid reply line by line: the result equals the whole-reply filter. */
static void
check_stream(const struct filter_case *c)
{
	struct smtp_ehlo_stream st;
	char out[512], piece[2 * SMTP_EHLO_LINE_MAX];
	size_t out_len = 0, pos = 0, len = strlen(c->reply);

	smtp_ehlo_stream_start(&st);
	while (pos < len) {
		const char *lf = memchr(c->reply + pos, '\n', len - pos);
		size_t line_len = (size_t)(lf + 1 - (c->reply + pos));
		bool listed = smtp_ehlo_keyword_listed(c->reply + pos,
		    line_len, removed);
		size_t n = smtp_ehlo_stream_line(&st, c->reply + pos, line_len,
		    pos + line_len == len, listed, piece);

		memcpy(out + out_len, piece, n);
		out_len += n;
		pos += line_len;
	}
	CHECK_BYTES(out, out_len, c->filtered, strlen(c->filtered),
	    "line by line: %s", c->name);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_filter(&cases[i]);
		if (cases[i].filtered[0] != '\0')
			check_stream(&cases[i]);
	}
	check_output_space();
	check_keyword_listed();
	return check_done();
}
