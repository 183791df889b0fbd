/*
 * config_parse_duration() takes s, m, h or a bare number of seconds, from
 * 1 s to 24 h, and nothing else.
 */
#include "test/unit/config/config_test.h"

struct duration_case {
	const char *text;
	const char *result;	/* "N ms" or "invalid" */
};

static const struct duration_case cases[] = {
	{ "30s", "30000 ms" },
	{ "30", "30000 ms" },
	{ "5m", "300000 ms" },
	{ "1h", "3600000 ms" },
	{ "1s", "1000 ms" },
	{ "24h", "86400000 ms" },
	{ "1440m", "86400000 ms" },
	{ "86400", "86400000 ms" },
	{ "007s", "7000 ms" },
	{ "0", "invalid" },
	{ "0s", "invalid" },
	{ "86401", "invalid" },
	{ "1441m", "invalid" },
	{ "25h", "invalid" },
	{ "99999999999999999999h", "invalid" },
	{ "", "invalid" },
	{ "s", "invalid" },
	{ "-5s", "invalid" },
	{ "+5s", "invalid" },
	{ " 5s", "invalid" },
	{ "5 s", "invalid" },
	{ "5S", "invalid" },
	{ "5ms", "invalid" },
	{ "5d", "invalid" },
	{ "1.5h", "invalid" },
	{ "1h30m", "invalid" },
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct duration_case *c = &cases[i];
		uint64_t ms = 12345;
		char result[32] = "invalid";

		if (config_parse_duration(c->text, &ms))
			snprintf(result, sizeof(result), "%llu ms",
			    (unsigned long long)ms);
		else
			CHECK(ms == 12345, "\"%s\" leaves the result alone",
			    c->text);
		CHECK_TEXT(result, c->result, "\"%s\" is %s", c->text,
		    c->result);
	}

	return check_done();
}
