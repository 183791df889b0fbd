/*
 * tls_versions_check(): the protocol versions of a policy against those the
 * linked wolfSSL has compiled in.
 */
#include "tls/build_info.h"
#include "tls/versions.h"

static bool
is_available(const struct tls_versions_available *available, int version)
{
	switch (version) {
	case CONFIG_TLS1_0:
		return available->tls10;
	case CONFIG_TLS1_1:
		return available->tls11;
	case CONFIG_TLS1_2:
		return available->tls12;
	case CONFIG_TLS1_3:
		return available->tls13;
	}
	return false;
}

unsigned
tls_versions_check(const struct config_policy *policy,
    const struct tls_versions_available *available, const char *listener,
    FILE *errors)
{
	const struct config_position *at = policy->min_version_at.line != 0 ?
	    &policy->min_version_at : &policy->profile_at;
	char where[64] = "";
	unsigned count = 0;

	if (listener != NULL)
		snprintf(where, sizeof(where), " of listener %s", listener);

	for (int v = policy->min_version; v <= policy->max_version; v++) {
		if (is_available(available, v))
			continue;
		if (at->line > 0)
			fprintf(errors, "%s:%u: ", at->file, at->line);
		else
			fprintf(errors, "%s: ", at->file);
		fprintf(errors, "the policy%s (profile %s) needs %s, which the "
		    "linked wolfSSL %s does not have compiled in (allowed: a "
		    "higher min_version, another profile, or the wolfSSL built "
		    "for subtls by ./run build)\n", where,
		    config_profile_name(policy->profile),
		    config_tls_version_name(v), available->library);
		count++;
	}
	return count;
}

void
tls_versions_linked(struct tls_versions_available *available)
{
	struct tls_build_info info;

	tls_get_build_info(&info);
	available->tls10 = info.tls10;
	available->tls11 = info.tls11;
	available->tls12 = info.tls12;
	available->tls13 = info.tls13;
	available->library = info.library_version;
}
