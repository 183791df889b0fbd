/*
 * A minimal TAP producer for the unit tests.
 *
 * CHECK(cond, fmt, ...) prints "ok N - message" or "not ok N - message" with
 * the file and line of a failure; check_done() prints the plan and returns the
 * exit status, so a test's main ends with "return check_done();".
 */
#ifndef TEST_UNIT_CHECK_H
#define TEST_UNIT_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned check_count;
static unsigned check_failures;

__attribute__((format(printf, 4, 5)))
static int
check_report(int passed, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	check_count++;
	printf("%sok %u - ", passed ? "" : "not ", check_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!passed) {
		check_failures++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return passed;
}

#define CHECK(cond, ...) check_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Runs a shell command built from a printf format, for test fixtures such as
 * certificates made with openssl.  Returns system()'s status. */
__attribute__((format(printf, 1, 2)))
static inline int
check_shell(const char *format, ...)
{
	char command[2048];
	va_list ap;

	va_start(ap, format);
	vsnprintf(command, sizeof(command), format, ap);
	va_end(ap);
	return system(command);
}

/* Compares two byte strings and shows both, escaped, when they differ. */
static inline void
check_print_escaped(const char *label, const char *s, size_t len)
{
	printf("#   %s: \"", label);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			printf("\\r");
		else if (c == '\n')
			printf("\\n");
		else if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\"\n");
}

#define CHECK_BYTES(got, got_len, want, want_len, ...) do {		\
	size_t check_gl_ = (got_len), check_wl_ = (want_len);		\
	int check_ok_ = check_gl_ == check_wl_ &&			\
	    memcmp((got), (want), check_wl_) == 0;			\
	if (!check_report(check_ok_, __FILE__, __LINE__, __VA_ARGS__)) { \
		check_print_escaped("got ", (const char *)(got), check_gl_); \
		check_print_escaped("want", (const char *)(want), check_wl_); \
	}								\
} while (0)

static int
check_done(void)
{
	printf("1..%u\n", check_count);
	return check_failures == 0 ? 0 : 1;
}

#endif
