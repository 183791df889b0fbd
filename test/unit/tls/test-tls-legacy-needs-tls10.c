/*
 * Profile legacy needs TLS 1.0 from the linked wolfSSL.  Against a wolfSSL
 * without it (Debian's libwolfssl 5.5.4) the check reports the line that
 * chose the profile and the reason; with it, or with a TLS 1.1 floor on a
 * wolfSSL that has TLS 1.1, it reports nothing.  The last case checks the
 * linked wolfSSL of this build against what build_info says it has.
 */
#include <stdlib.h>
#include <string.h>

#include "tls/build_info.h"
#include "tls/versions.h"

#include "test/unit/check.h"

#define CHECK_TEXT(got, want, ...) \
	CHECK_BYTES((got), strlen(got), (want), strlen(want), __VA_ARGS__)

/* Runs the check and returns its output, which the caller frees. */
static char *
check_output(const struct config_policy *policy,
    const struct tls_versions_available *available, const char *listener,
    unsigned *count)
{
	char *out = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&out, &size);

	if (stream == NULL)
		abort();
	*count = tls_versions_check(policy, available, listener, stream);
	fclose(stream);
	return out;
}

int
main(void)
{
	static const struct tls_versions_available without_tls10 = {
		false, true, true, true, "5.5.4" };
	static const struct tls_versions_available with_tls10 = {
		true, true, true, true, "5.5.4" };
	struct config_policy legacy = {
		.profile = CONFIG_PROFILE_LEGACY,
		.profile_at = { "subtls.ini", 7 },
		.min_version = CONFIG_TLS1_0,
		.min_version_at = { "subtls.ini", 7 },
		.max_version = CONFIG_TLS1_3,
	};
	struct tls_build_info info;
	unsigned count;
	char *out;

	out = check_output(&legacy, &without_tls10, "printers", &count);
	CHECK(count == 1, "without TLS 1.0: one error (got %u)", count);
	CHECK_TEXT(out, "subtls.ini:7: the policy of listener printers "
	    "(profile legacy) needs TLS1.0, which the linked wolfSSL 5.5.4 "
	    "does not have compiled in (allowed: a higher min_version, another "
	    "profile, or the wolfSSL built for subtls by ./run build)\n",
	    "without TLS 1.0: the message names file, line and reason");
	free(out);

	out = check_output(&legacy, &with_tls10, NULL, &count);
	CHECK(count == 0, "with TLS 1.0: no error counted");
	CHECK_TEXT(out, "", "with TLS 1.0: no message");
	free(out);

	legacy.min_version = CONFIG_TLS1_1;
	legacy.min_version_at.line = 8;
	out = check_output(&legacy, &without_tls10, NULL, &count);
	CHECK(count == 0, "TLS 1.1 floor without TLS 1.0: no error");
	free(out);

	legacy.min_version = CONFIG_TLS1_0;
	tls_get_build_info(&info);
	{
		struct tls_versions_available linked;

		tls_versions_linked(&linked);
		out = check_output(&legacy, &linked, NULL, &count);
		CHECK(count == (info.tls10 ? 0u : 1u),
		    "linked wolfSSL (TLS 1.0 %s): %u errors",
		    info.tls10 ? "compiled in" : "missing", count);
		free(out);
	}
	return check_done();
}
