/*
 * The TLS profiles and how a policy is completed from them.
 *
 * The profiles follow Mozilla's server-side TLS recommendations, version 5.7
 * (https://wiki.mozilla.org/Security/Server_Side_TLS), with two changes.
 * No profile has finite-field DHE suites, because every client that
 * supports DHE also supports ECDHE.  Profile legacy drops Mozilla's "old"
 * suites without forward secrecy (static RSA key exchange, 3DES).
 *
 *   modern        TLS 1.3 only
 *   intermediate  TLS 1.2 and 1.3, ECDHE with AEAD (the default)
 *   legacy        TLS 1.0 to 1.3, adds ECDHE with AES-CBC for old printers
 *                 and scanners that cannot do TLS 1.2 or AEAD
 *
 * No profile allows NULL, export, anonymous, RC4, 3DES or static-RSA suites:
 * the names are not in the config's vocabulary at all (values.c).
 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/loader.h"

/* Mozilla's "old" ECDHE CBC suites, in its order.  TLS 1.0 and 1.1 clients
 * need the SHA-1 ones: the SHA-256/384 ones exist only in TLS 1.2. */
#define LEGACY_CBC_CIPHERS \
	"ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:" \
	"ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:" \
	"ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:" \
	"ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA"

struct profile {
	const char *name;
	int min_version;
	int max_version;
	const char *ciphers;		/* "" for none */
	const char *ciphersuites;
	const char *groups;
};

static const struct profile profiles[] = {
	[CONFIG_PROFILE_MODERN] = { "modern", CONFIG_TLS1_3, CONFIG_TLS1_3,
	    "", CONFIG_DEFAULT_CIPHERSUITES, CONFIG_DEFAULT_GROUPS },
	[CONFIG_PROFILE_INTERMEDIATE] = { "intermediate", CONFIG_TLS1_2,
	    CONFIG_TLS1_3, CONFIG_DEFAULT_CIPHERS, CONFIG_DEFAULT_CIPHERSUITES,
	    CONFIG_DEFAULT_GROUPS },
	[CONFIG_PROFILE_LEGACY] = { "legacy", CONFIG_TLS1_0, CONFIG_TLS1_3,
	    CONFIG_DEFAULT_CIPHERS ":" LEGACY_CBC_CIPHERS,
	    CONFIG_DEFAULT_CIPHERSUITES, CONFIG_DEFAULT_GROUPS },
};

const char *const config_tls12_legacy_cipher_names[] = {
	"ECDHE-ECDSA-AES128-SHA256",
	"ECDHE-RSA-AES128-SHA256",
	"ECDHE-ECDSA-AES128-SHA",
	"ECDHE-RSA-AES128-SHA",
	"ECDHE-ECDSA-AES256-SHA384",
	"ECDHE-RSA-AES256-SHA384",
	"ECDHE-ECDSA-AES256-SHA",
	"ECDHE-RSA-AES256-SHA",
	NULL,
};

const char *
config_profile_name(enum config_profile profile)
{
	if (profile == CONFIG_PROFILE_INHERIT || profile > CONFIG_PROFILE_LEGACY)
		return "inherit";
	return profiles[profile].name;
}

static bool
is_legacy_cipher(const char *name, size_t length)
{
	for (size_t i = 0; config_tls12_legacy_cipher_names[i] != NULL; i++) {
		const char *legacy = config_tls12_legacy_cipher_names[i];

		if (strlen(legacy) == length &&
		    strncmp(legacy, name, length) == 0)
			return true;
	}
	return false;
}

/* Fills the settings of policy that the file left out (line 0) from its
 * profile.  Positions of filled settings point at the profile line. */
void
config_policy_complete(struct config_loader *loader,
    struct config_policy *policy, const bool given[CONFIG_POLICY_SETTINGS])
{
	const struct profile *p = &profiles[policy->profile];

	if (!given[CONFIG_POLICY_MIN_VERSION]) {
		policy->min_version = p->min_version;
		policy->min_version_at = policy->profile_at;
	}
	if (!given[CONFIG_POLICY_MAX_VERSION]) {
		policy->max_version = p->max_version;
		policy->max_version_at = policy->profile_at;
	}
	if (!given[CONFIG_POLICY_CIPHERS]) {
		policy->ciphers = config_strdup(loader, p->ciphers);
		policy->ciphers_at = policy->profile_at;
	}
	policy->ciphers_from_profile = !given[CONFIG_POLICY_CIPHERS];
	if (!given[CONFIG_POLICY_CIPHERSUITES]) {
		policy->ciphersuites = config_strdup(loader, p->ciphersuites);
		policy->ciphersuites_at = policy->profile_at;
	}
	policy->ciphersuites_from_profile = !given[CONFIG_POLICY_CIPHERSUITES];
	if (!given[CONFIG_POLICY_GROUPS]) {
		policy->groups = config_strdup(loader, p->groups);
		policy->groups_at = policy->profile_at;
	}
}

/*
 * Rejects what only profile legacy may weaken: versions below TLS 1.2 and
 * the CBC suites.  A policy that requests them without the profile is more
 * likely a copied line than a decision, so the file has to say "legacy".
 */
void
config_policy_check(struct config_loader *loader,
    const struct config_policy *policy)
{
	bool legacy = policy->profile == CONFIG_PROFILE_LEGACY;

	if (policy->max_version < policy->min_version)
		config_error_in(loader, policy->max_version_at.file,
		    policy->max_version_at.line,
		    "max_version %s is below min_version %s (allowed: "
		    "max_version at least min_version)",
		    config_tls_version_name(policy->max_version),
		    config_tls_version_name(policy->min_version));
	if (legacy)
		return;

	if (policy->min_version < CONFIG_TLS1_2)
		config_error_in(loader, policy->min_version_at.file,
		    policy->min_version_at.line,
		    "min_version %s needs profile = legacy (allowed: TLS1.2, "
		    "TLS1.3; or set profile = legacy)",
		    config_tls_version_name(policy->min_version));

	for (const char *p = policy->ciphers; p != NULL && *p != '\0'; ) {
		size_t length = strcspn(p, ":");

		if (is_legacy_cipher(p, length))
			config_error_in(loader, policy->ciphers_at.file,
			    policy->ciphers_at.line,
			    "cipher \"%.*s\" needs profile = legacy "
			    "(allowed: the AEAD ciphers, or set profile = "
			    "legacy)", (int)length, p);
		p += length + (p[length] == ':');
	}
}

/* Sets a listener's tls_profile policy: the profile itself, with ALPN and
 * the suite order from [tls], which are not part of a profile. */
void
config_policy_from_profile(struct config_loader *loader,
    struct config_policy *policy, enum config_profile profile,
    const struct config_position *at, const struct config_policy *tls)
{
	static const bool none_given[CONFIG_POLICY_SETTINGS];

	memset(policy, 0, sizeof(*policy));
	policy->profile = profile;
	policy->profile_at = *at;
	config_policy_complete(loader, policy, none_given);
	policy->prefer_server_ciphers = tls->prefer_server_ciphers;
	policy->alpn = config_strdup(loader, tls->alpn != NULL ? tls->alpn : "");
	policy->alpn_at = tls->alpn_at;
}

/* Copies a policy; the copy owns its strings. */
void
config_policy_copy(struct config_loader *loader, struct config_policy *to,
    const struct config_policy *from)
{
	*to = *from;
	to->ciphers = config_strdup(loader, from->ciphers ? from->ciphers : "");
	to->ciphersuites = config_strdup(loader,
	    from->ciphersuites ? from->ciphersuites : "");
	to->groups = config_strdup(loader, from->groups ? from->groups : "");
	to->alpn = config_strdup(loader, from->alpn ? from->alpn : "");
}

void
config_policy_free(struct config_policy *policy)
{
	free(policy->ciphers);
	free(policy->ciphersuites);
	free(policy->groups);
	free(policy->alpn);
	memset(policy, 0, sizeof(*policy));
}

static bool
same_text(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

bool
config_policy_equal(const struct config_policy *a,
    const struct config_policy *b)
{
	return a->profile == b->profile &&
	    a->min_version == b->min_version &&
	    a->max_version == b->max_version &&
	    a->prefer_server_ciphers == b->prefer_server_ciphers &&
	    same_text(a->ciphers, b->ciphers) &&
	    same_text(a->ciphersuites, b->ciphersuites) &&
	    a->ciphers_from_profile == b->ciphers_from_profile &&
	    a->ciphersuites_from_profile == b->ciphersuites_from_profile &&
	    same_text(a->groups, b->groups) &&
	    same_text(a->alpn, b->alpn);
}
