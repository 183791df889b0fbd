/*
 * Defaults and the checks that no single line can make, such as required
 * sections and keys, empty lists, and which IPv6 wildcard listeners are
 * IPv6-only.  Errors here name the line of the key or section concerned,
 * or no line when the section is missing.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/loader.h"

void
config_set_defaults(struct config *cfg)
{
	cfg->global.handshake_timeout_ms = 30 * 1000;
	cfg->global.command_timeout_ms = 5 * 60 * 1000;
	cfg->global.idle_timeout_ms = 10 * 60 * 1000;
	cfg->global.drain_timeout_ms = 60 * 1000;
	cfg->global.log = CONFIG_LOG_STDERR;
	cfg->global.log_level = CONFIG_LOG_INFO;
	cfg->tls.policy.profile = CONFIG_PROFILE_INTERMEDIATE;
	cfg->tls.policy.prefer_server_ciphers = 1;
	cfg->backend.identity = CONFIG_IDENTITY_PROXY_V2;
	cfg->backend.connect_timeout_ms = 10 * 1000;
}

static unsigned
line_of(const struct config_loader *loader, enum config_section section,
    const char *name, size_t listener)
{
	const struct config_key *key = config_find_key(section, name);

	return config_key_use(loader, key, listener)->line;
}

static void
check_hostname(struct config_loader *loader)
{
	struct config_global *global = &loader->cfg->global;
	char name[HOST_NAME_MAX + 1];
	char quoted[CONFIG_QUOTE_SIZE];

	if (global->hostname != NULL ||
	    line_of(loader, CONFIG_SECTION_GLOBAL, "hostname", 0) != 0)
		return;

	if (gethostname(name, sizeof(name)) != 0) {
		config_error(loader, 0, "cannot read the system host name: %s "
		    "(allowed: set hostname in [global])", strerror(errno));
		return;
	}
	name[sizeof(name) - 1] = '\0';
	if (!config_is_hostname(name)) {
		config_error(loader, 0, "the system host name %s is not a "
		    "valid domain name (allowed: set hostname in [global])",
		    config_quote(quoted, name));
		return;
	}
	global->hostname = config_strdup(loader, name);
}

static void
check_global(struct config_loader *loader)
{
	unsigned group_line =
	    line_of(loader, CONFIG_SECTION_GLOBAL, "group", 0);

	check_hostname(loader);

	if (group_line != 0 &&
	    line_of(loader, CONFIG_SECTION_GLOBAL, "user", 0) == 0)
		config_error(loader, group_line, "group without user (allowed: "
		    "set user as well, or remove group)");
}

/* Reports a missing key at the line of its section header. */
static void
require_key(struct config_loader *loader, enum config_section section,
    const char *name, unsigned section_line, const char *section_name,
    size_t listener)
{
	const struct config_key *key = config_find_key(section, name);

	if (config_key_use(loader, key, listener)->line == 0)
		config_error(loader, section_line, "missing %s in [%s] "
		    "(allowed: %s)", name, section_name, key->allowed);
}

/* Returns whether the file gives the [tls] list key name, and rejects one
 * that it gives without names. */
static bool
check_name_list(struct config_loader *loader, const char *name)
{
	const struct config_key *key =
	    config_find_key(CONFIG_SECTION_TLS, name);
	const struct config_key_use *use = config_key_use(loader, key, 0);
	char allowed[512];

	if (use->line == 0)
		return false;
	if (!use->has_value) {
		if (key->vocabulary != NULL)
			config_vocabulary_list(key->vocabulary, allowed,
			    sizeof(allowed));
		else
			snprintf(allowed, sizeof(allowed), "%s", key->allowed);
		config_error(loader, use->line, "empty %s list (allowed: one "
		    "or more of %s)", name, allowed);
	}
	return true;
}

static void
check_policy(struct config_loader *loader)
{
	struct config_policy *policy = &loader->cfg->tls.policy;
	const char *path = loader->cfg->path;
	bool given[CONFIG_POLICY_SETTINGS] = {
		/* An invalid version, already reported, stays 0: the
		 * profile's then keeps the later checks quiet. */
		[CONFIG_POLICY_MIN_VERSION] = policy->min_version != 0,
		[CONFIG_POLICY_MAX_VERSION] = policy->max_version != 0,
		[CONFIG_POLICY_CIPHERS] = check_name_list(loader, "ciphers"),
		[CONFIG_POLICY_CIPHERSUITES] = check_name_list(loader,
		    "ciphersuites"),
		[CONFIG_POLICY_GROUPS] = check_name_list(loader, "groups"),
	};

	/* Settings left to the profile or a default keep line 0. */
	policy->profile_at.file = path;
	policy->min_version_at.file = path;
	policy->max_version_at.file = path;
	policy->ciphers_at.file = path;
	policy->ciphersuites_at.file = path;
	policy->groups_at.file = path;
	policy->alpn_at.file = path;
	config_policy_complete(loader, policy, given);
	if (!check_name_list(loader, "alpn"))
		policy->alpn = config_strdup(loader, CONFIG_DEFAULT_ALPN);
	config_policy_check(loader, policy);
}

static void
check_tls(struct config_loader *loader)
{
	struct config_tls *tls = &loader->cfg->tls;
	unsigned section_line = loader->section_at[CONFIG_SECTION_TLS];

	if (section_line == 0) {
		config_error(loader, 0, "missing section [tls] (allowed: a "
		    "[tls] section with certificate and key)");
	} else {
		require_key(loader, CONFIG_SECTION_TLS, "certificate",
		    section_line, "tls", 0);
		require_key(loader, CONFIG_SECTION_TLS, "key", section_line,
		    "tls", 0);
	}
	check_policy(loader);

	tls->certificate_at.file = loader->cfg->path;
	tls->key_at.file = loader->cfg->path;
}

/* Gives each listener its effective policy: its tls_profile, or a copy of
 * the [tls] policy. */
static void
set_listener_policies(struct config_loader *loader)
{
	struct config *cfg = loader->cfg;

	for (size_t i = 0; i < cfg->listener_count; i++) {
		struct config_listener *listener = &cfg->listeners[i];

		listener->tls_profile_at.file = cfg->path;
		if (listener->tls_profile == CONFIG_PROFILE_INHERIT)
			config_policy_copy(loader, &listener->policy,
			    &cfg->tls.policy);
		else
			config_policy_from_profile(loader, &listener->policy,
			    listener->tls_profile, &listener->tls_profile_at,
			    &cfg->tls.policy);
	}
}

static void
check_backend(struct config_loader *loader)
{
	unsigned section_line = loader->section_at[CONFIG_SECTION_BACKEND];

	if (section_line == 0)
		config_error(loader, 0, "missing section [backend] (allowed: a "
		    "[backend] section with address)");
	else
		require_key(loader, CONFIG_SECTION_BACKEND, "address",
		    section_line, "backend", 0);
}

static void
check_listeners(struct config_loader *loader)
{
	const struct config *cfg = loader->cfg;
	char section_name[48];

	if (cfg->listener_count == 0) {
		config_error(loader, 0, "no listener (allowed: one or more "
		    "[listener NAME] sections with mode and listen)");
		return;
	}

	for (size_t i = 0; i < cfg->listener_count; i++) {
		const struct config_listener *listener = &cfg->listeners[i];
		const struct config_key *listen =
		    config_find_key(CONFIG_SECTION_LISTENER, "listen");
		const struct config_key_use *use =
		    config_key_use(loader, listen, i);

		snprintf(section_name, sizeof(section_name), "listener %s",
		    listener->name);
		require_key(loader, CONFIG_SECTION_LISTENER, "mode",
		    listener->at.line, section_name, i);
		require_key(loader, CONFIG_SECTION_LISTENER, "listen",
		    listener->at.line, section_name, i);
		if (use->line != 0 && !use->has_value)
			config_error(loader, use->line, "empty listen list "
			    "(allowed: %s)", listen->allowed);
	}
}

static bool
port_has_ipv4_listener(const struct config *cfg, uint16_t port)
{
	for (size_t i = 0; i < cfg->listener_count; i++) {
		const struct config_listener *listener = &cfg->listeners[i];

		for (size_t j = 0; j < listener->address_count; j++) {
			const struct sockaddr_storage *addr =
			    &listener->addresses[j].addr;

			if (addr->ss_family == AF_INET &&
			    config_address_port(addr) == port)
				return true;
		}
	}
	return false;
}

/*
 * A dual-stack [::] socket also takes IPv4 connections (as IPv4-mapped
 * addresses).  On Linux, binding it beside an IPv4 socket on the same port
 * fails with EADDRINUSE, or with SO_REUSEPORT on both splits the IPv4
 * connections between them.  So it is made IPv6-only exactly when the
 * config lists that port for IPv4 too.
 */
static void
set_ipv6_only(struct config *cfg)
{
	for (size_t i = 0; i < cfg->listener_count; i++) {
		struct config_listener *listener = &cfg->listeners[i];

		for (size_t j = 0; j < listener->address_count; j++) {
			struct config_listen_address *address =
			    &listener->addresses[j];

			address->ipv6_only =
			    config_is_ipv6_wildcard(&address->addr) &&
			    port_has_ipv4_listener(cfg,
			    config_address_port(&address->addr));
		}
	}
}

void
config_check(struct config_loader *loader)
{
	check_global(loader);
	check_tls(loader);
	check_backend(loader);
	check_listeners(loader);
	set_listener_policies(loader);
	set_ipv6_only(loader->cfg);
}
