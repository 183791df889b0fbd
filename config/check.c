/*
 * Defaults and the checks that no single line can make, such as required
 * sections and keys, empty lists, settings that need another setting, and
 * which IPv6 wildcard listeners are IPv6-only.  Errors here name the line
 * of the key or section concerned, or no line when the section is missing.
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
	/* A message of Postfix's default message_size_limit (10 MB) takes
	 * about 21 minutes at 64 kbit/s, so 1 h leaves room for slow links
	 * while a client that trickles valid commands cannot keep a session
	 * for days. */
	cfg->global.max_session_time_ms = 60 * 60 * 1000;
	cfg->global.pretls_bare_lf = CONFIG_BARE_LF_ACCEPT;
	cfg->global.drain_timeout_ms = 60 * 1000;
	cfg->global.log = CONFIG_LOG_STDERR;
	cfg->global.log_level = CONFIG_LOG_INFO;
	cfg->global.log_format = CONFIG_LOG_TEXT;
	cfg->global.auth_failures = 5;
	cfg->global.auth_failure_window_ms = 10 * 60 * 1000;
	cfg->global.auth_ban_time_ms = 60 * 60 * 1000;
	/* The reasons for these numbers are in README.md, "Limits and
	 * defaults". */
	cfg->global.max_sessions = 5000;
	cfg->global.max_sessions_per_client = 50;
	cfg->global.connection_rate_per_client = 120;
	cfg->global.max_handshakes_in_progress = 256;
	cfg->global.max_errors = 10;
	cfg->global.workers = 1;
	/* Mobile clients that reconnect through the day resume for 12 h. */
	cfg->tls.ticket_lifetime_ms = 12 * 60 * 60 * 1000;
	cfg->tls.expiry_warning_ms = 14ULL * 24 * 3600 * 1000;
	cfg->tls.verify_client = CONFIG_VERIFY_CLIENT_OFF;
	cfg->tls.policy.profile = CONFIG_PROFILE_INTERMEDIATE;
	cfg->tls.policy.prefer_server_ciphers = 1;
	cfg->backend.identity = CONFIG_IDENTITY_PROXY_V2;
	cfg->backend.connect_timeout_ms = 10 * 1000;
	/* RFC 5321 section 4.5.3.2.6: a client waits 10 minutes for the
	 * reply to the end of a message.  A shorter limit could cut a message
	 * that the backend then queues, and the client's retry would deliver
	 * it twice. */
	cfg->backend.reply_timeout_ms = 10 * 60 * 1000;
	cfg->backend.retry_interval_ms = 30 * 1000;
	/* An empty list; config_load() reports a failed allocation. */
	cfg->backend.discard_ehlo_keywords = calloc(1, sizeof(char *));
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
	const struct config_key_use *group = config_key_use(loader,
	    config_find_key(CONFIG_SECTION_GLOBAL, "group"), 0);

	check_hostname(loader);

	if (group->line != 0 &&
	    line_of(loader, CONFIG_SECTION_GLOBAL, "user", 0) == 0)
		config_error_in(loader, group->file, group->line, "group "
		    "without user (allowed: set user as well, or remove group)");
}

/* Reports a missing key at the line of its section header. */
static void
require_key(struct config_loader *loader, enum config_section section,
    const char *name, const struct config_position *section_at,
    const char *section_name, size_t listener)
{
	const struct config_key *key = config_find_key(section, name);

	if (config_key_use(loader, key, listener)->line == 0)
		config_error_in(loader, section_at->file, section_at->line,
		    "missing %s in [%s] "
		    "(allowed: %s)", name, section_name, key->allowed);
}

static void
set_default_file(struct config_position *at, const char *path)
{
	if (at->file == NULL)
		at->file = path;
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
		config_error_in(loader, use->file, use->line, "empty %s list "
		    "(allowed: one "
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

	/* Settings left to a default keep line 0 and name the config file;
	 * those left to the profile name the profile's line. */
	set_default_file(&policy->profile_at, path);
	set_default_file(&policy->min_version_at, path);
	set_default_file(&policy->max_version_at, path);
	set_default_file(&policy->ciphers_at, path);
	set_default_file(&policy->ciphersuites_at, path);
	set_default_file(&policy->groups_at, path);
	set_default_file(&policy->alpn_at, path);
	config_policy_complete(loader, policy, given);
	if (!check_name_list(loader, "alpn"))
		policy->alpn = config_strdup(loader, CONFIG_DEFAULT_ALPN);
	config_policy_check(loader, policy);
}

/*
 * Every certificate needs the key that follows it.  wolfSSL 5.5.4 staples
 * only when the certificate's issuer is loaded as a trusted CA, which
 * would also accept client certificates from that CA, so ocsp_response
 * and verify_client exclude each other.
 */
static void
check_pairs(struct config_loader *loader,
    const struct config_certificates *set)
{
	const struct config_tls *tls = &loader->cfg->tls;

	for (size_t i = 0; i < set->count; i++) {
		const struct config_certificate *pair = &set->items[i];

		if (pair->key == NULL)
			config_error(loader, pair->certificate_at.line,
			    "certificate without key (allowed: key = FILE on "
			    "a line after each certificate)");
		if (pair->ocsp_response != NULL &&
		    tls->verify_client != CONFIG_VERIFY_CLIENT_OFF)
			config_error(loader, pair->ocsp_response_at.line,
			    "ocsp_response cannot be combined with "
			    "verify_client (allowed: verify_client = off, or "
			    "no ocsp_response)");
	}
}

static void
check_snis(struct config_loader *loader)
{
	const struct config *cfg = loader->cfg;
	const struct config_key_use *strict = config_key_use(loader,
	    config_find_key(CONFIG_SECTION_TLS, "strict_sni"), 0);

	/* strict_sni serves only the names of [sni NAME] sections: with none,
	 * every client would be rejected. */
	if (cfg->tls.strict_sni && cfg->tls.sni_count == 0)
		config_error(loader, strict->line, "strict_sni = yes without "
		    "any [sni NAME] section would reject every client (allowed: "
		    "an [sni NAME] section for each name to serve, or "
		    "strict_sni = no)");

	for (size_t i = 0; i < cfg->tls.sni_count; i++) {
		const struct config_sni *sni = &cfg->tls.snis[i];

		if (sni->certificates.count == 0)
			config_error(loader, sni->at.line, "missing "
			    "certificate in [sni %s] (allowed: certificate = "
			    "FILE, then key = FILE)", sni->name);
		check_pairs(loader, &sni->certificates);
	}
}

static void
check_tls(struct config_loader *loader)
{
	struct config_tls *tls = &loader->cfg->tls;
	struct config_position section = {
		loader->section_file[CONFIG_SECTION_TLS],
		loader->section_at[CONFIG_SECTION_TLS],
	};

	if (section.line == 0) {
		config_error(loader, 0, "missing section [tls] (allowed: a "
		    "[tls] section with certificate and key)");
	} else {
		require_key(loader, CONFIG_SECTION_TLS, "certificate",
		    &section, "tls", 0);
		check_pairs(loader, &tls->certificates);
	}
	if (tls->verify_client != CONFIG_VERIFY_CLIENT_OFF &&
	    tls->client_ca == NULL)
		config_error(loader, tls->verify_client_at.line,
		    "verify_client %s without client_ca (allowed: client_ca = "
		    "FILE with the CA certificates that issue client "
		    "certificates)",
		    tls->verify_client == CONFIG_VERIFY_CLIENT_REQUIRE ?
		    "require" : "optional");
	check_policy(loader);

	/* Settings left at their default keep line 0. */
	set_default_file(&tls->client_ca_at, loader->cfg->path);
	set_default_file(&tls->verify_client_at, loader->cfg->path);
	set_default_file(&tls->ticket_key_file_at, loader->cfg->path);
}

/* Gives each listener its effective policy: its tls_profile, or a copy of
 * the [tls] policy. */
static void
set_listener_policies(struct config_loader *loader)
{
	struct config *cfg = loader->cfg;

	for (size_t i = 0; i < cfg->listener_count; i++) {
		struct config_listener *listener = &cfg->listeners[i];

		set_default_file(&listener->tls_profile_at, cfg->path);
		if (listener->tls_profile == CONFIG_PROFILE_INHERIT)
			config_policy_copy(loader, &listener->policy,
			    &cfg->tls.policy);
		else
			config_policy_from_profile(loader, &listener->policy,
			    listener->tls_profile, &listener->tls_profile_at,
			    &cfg->tls.policy);
	}
}

/* subtls removes these from every EHLO reply of the backend: STARTTLS
 * because TLS is already on (RFC 3207), XCLIENT and XFORWARD because only
 * subtls may state the client's identity. */
static const char *const always_discarded[] = {
	"STARTTLS", "XCLIENT", "XFORWARD", NULL,
};

static bool
is_always_discarded(const char *keyword)
{
	for (size_t i = 0; always_discarded[i] != NULL; i++) {
		if (strcmp(keyword, always_discarded[i]) == 0)
			return true;
	}
	return false;
}

/* Drops the keywords that subtls removes anyway, so that the list holds
 * only what the operator added. */
static void
drop_always_discarded(char **keywords)
{
	size_t kept_count = 0;

	if (keywords == NULL)
		return;
	for (size_t i = 0; keywords[i] != NULL; i++) {
		if (is_always_discarded(keywords[i]))
			free(keywords[i]);
		else
			keywords[kept_count++] = keywords[i];
	}
	keywords[kept_count] = NULL;
}

static const struct config_key_use *
backend_key_use(const struct config_loader *loader, const char *name)
{
	return config_key_use(loader,
	    config_find_key(CONFIG_SECTION_BACKEND, name), 0);
}

static void
check_backend(struct config_loader *loader)
{
	struct config_backend *backend = &loader->cfg->backend;
	const struct config_key_use *tlvs = backend_key_use(loader,
	    "proxy_tlvs");
	const struct config_key_use *auth_user = backend_key_use(loader,
	    "trace_auth_user");
	struct config_position section = {
		loader->section_file[CONFIG_SECTION_BACKEND],
		loader->section_at[CONFIG_SECTION_BACKEND],
	};

	if (section.line == 0)
		config_error(loader, 0, "missing section [backend] (allowed: a "
		    "[backend] section with address)");
	else
		require_key(loader, CONFIG_SECTION_BACKEND, "address",
		    &section, "backend", 0);

	/* The TLVs travel inside the PROXY v2 header, and no other identity
	 * has a place for them. */
	if (backend->proxy_tlvs &&
	    backend->identity != CONFIG_IDENTITY_PROXY_V2)
		config_error_in(loader, tlvs->file, tlvs->line, "proxy_tlvs = "
		    "yes needs identity = proxy-v2, not %s (allowed: identity "
		    "= proxy-v2, or proxy_tlvs = no)",
		    config_identity_name(backend->identity));
	if (backend->trace_auth_user && !backend->trace_header)
		config_error_in(loader, auth_user->file, auth_user->line,
		    "trace_auth_user = yes needs trace_header = yes (allowed: "
		    "trace_header = yes as well, or trace_auth_user = no)");

	drop_always_discarded(backend->discard_ehlo_keywords);
}

/*
 * accept_proxy needs trusted_proxies, because a PROXY header from any other
 * address would let a client choose the address that limits, bans and the
 * backend see.  trusted_proxies alone would do nothing.
 */
static void
check_accept_proxy(struct config_loader *loader,
    const struct config_listener *listener, size_t index)
{
	const struct config_key_use *accept = config_key_use(loader,
	    config_find_key(CONFIG_SECTION_LISTENER, "accept_proxy"), index);
	const struct config_key *trusted_key =
	    config_find_key(CONFIG_SECTION_LISTENER, "trusted_proxies");
	const struct config_key_use *trusted = config_key_use(loader,
	    trusted_key, index);

	if (trusted->line != 0 && !trusted->has_value)
		config_error_in(loader, trusted->file, trusted->line,
		    "empty trusted_proxies list (allowed: %s)",
		    trusted_key->allowed);
	if (listener->accept_proxy != CONFIG_ACCEPT_PROXY_NO &&
	    trusted->line == 0)
		config_error_in(loader, accept->file, accept->line,
		    "accept_proxy = %s needs trusted_proxies in [listener %s] "
		    "(allowed: the addresses or networks of the load "
		    "balancers, such as trusted_proxies = 10.0.0.0/8)",
		    config_accept_proxy_name(listener->accept_proxy),
		    listener->name);
	/* After an invalid accept_proxy value, which was reported, the
	 * setting is still the default "no". */
	if (listener->accept_proxy == CONFIG_ACCEPT_PROXY_NO &&
	    trusted->line != 0 && !accept->rejected)
		config_error_in(loader, trusted->file, trusted->line,
		    "trusted_proxies without accept_proxy in [listener %s] "
		    "(allowed: accept_proxy = v1, v2 or any as well, or no "
		    "trusted_proxies)", listener->name);
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
		    &listener->at, section_name, i);
		require_key(loader, CONFIG_SECTION_LISTENER, "listen",
		    &listener->at, section_name, i);
		if (use->line != 0 && !use->has_value)
			config_error_in(loader, use->file, use->line,
			    "empty listen list "
			    "(allowed: %s)", listen->allowed);
		check_accept_proxy(loader, listener, i);
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

/*
 * Rejects a specific address next to a wildcard of the same family on the
 * same port (127.0.0.1:465 and 0.0.0.0:465): without SO_REUSEPORT the second
 * bind fails with EADDRINUSE at start, long after "subtls -t" accepted the
 * file.
 */
static void
check_overlapping_addresses(struct config_loader *loader)
{
	const struct config *cfg = loader->cfg;
	const struct config_listen_address **all;
	size_t count = 0, n = 0;

	for (size_t i = 0; i < cfg->listener_count; i++)
		count += cfg->listeners[i].address_count;
	if (count == 0)
		return;
	/* An array of pointers: sizeof(*all) is the size of a pointer. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	all = calloc(count, sizeof(*all));
	if (all == NULL) {
		loader->out_of_memory = true;
		return;
	}
	for (size_t i = 0; i < cfg->listener_count; i++)
		for (size_t j = 0; j < cfg->listeners[i].address_count; j++)
			all[n++] = &cfg->listeners[i].addresses[j];

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			const struct sockaddr_storage *a = &all[i]->addr;
			const struct sockaddr_storage *b = &all[j]->addr;

			if (a->ss_family != b->ss_family ||
			    config_address_port(a) != config_address_port(b) ||
			    config_is_wildcard(a) == config_is_wildcard(b))
				continue;
			config_error(loader, all[i]->at.line, "listen addresses "
			    "%s and %s (line %u) overlap: a wildcard takes "
			    "the port on every address (allowed: the wildcard "
			    "or specific addresses, not both)", all[i]->text,
			    all[j]->text, all[j]->at.line);
		}
	}
	free(all);
}

/* Whether a and b are on the same port and family, and are the same
 * address or one of them is the wildcard. */
static bool
same_family_overlap(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family ||
	    config_address_port(a) != config_address_port(b))
		return false;
	return config_same_address(a, b) || config_is_wildcard(a) ||
	    config_is_wildcard(b);
}

/* Whether dual_stack, a [::] socket without IPV6_V6ONLY, and an IPv4
 * address share a port, so that the second bind fails with EADDRINUSE. */
static bool
dual_stack_overlap(const struct sockaddr_storage *dual_stack,
    const struct sockaddr_storage *ipv4)
{
	return config_is_ipv6_wildcard(dual_stack) &&
	    ipv4->ss_family == AF_INET &&
	    config_address_port(dual_stack) == config_address_port(ipv4);
}

/*
 * Rejects an [admin] listen address that a listener also lists, or that
 * overlaps one on the same port, because the second bind would fail at
 * start.  It overlaps through a wildcard of the same family, and through a
 * dual-stack [::] socket, which also takes IPv4 on its port.  The admin
 * socket on [::] is always dual-stack, and a listener's [::] is dual-stack
 * unless a listener lists the port for IPv4 (see set_ipv6_only()).
 */
static void
check_admin(struct config_loader *loader)
{
	const struct config *cfg = loader->cfg;
	const struct config_listen_address *admin = &cfg->admin.listen;
	struct config_position section = {
		loader->section_file[CONFIG_SECTION_ADMIN],
		loader->section_at[CONFIG_SECTION_ADMIN],
	};

	/* An [admin] section without listen is more likely a mistake than a
	 * way to turn the admin listener off, which leaving out the section
	 * does. */
	if (section.line != 0)
		require_key(loader, CONFIG_SECTION_ADMIN, "listen", &section,
		    "admin", 0);
	if (admin->text == NULL)
		return;
	for (size_t i = 0; i < cfg->listener_count; i++) {
		const struct config_listener *listener = &cfg->listeners[i];

		for (size_t j = 0; j < listener->address_count; j++) {
			const struct config_listen_address *other =
			    &listener->addresses[j];
			bool other_dual_stack =
			    config_is_ipv6_wildcard(&other->addr) &&
			    !port_has_ipv4_listener(cfg,
			    config_address_port(&other->addr));

			if (same_family_overlap(&other->addr, &admin->addr)) {
				config_error_in(loader, admin->at.file,
				    admin->at.line, "admin listen address %s "
				    "overlaps %s of [listener %s] at line %u "
				    "(allowed: an address and port no listener "
				    "uses)", admin->text, other->text,
				    listener->name, other->at.line);
			} else if ((other_dual_stack &&
			    dual_stack_overlap(&other->addr, &admin->addr)) ||
			    dual_stack_overlap(&admin->addr, &other->addr)) {
				config_error_in(loader, admin->at.file,
				    admin->at.line, "admin listen address %s "
				    "overlaps %s of [listener %s] at line %u, "
				    "because [::] is dual-stack and also takes "
				    "IPv4 on that port (allowed: an address and "
				    "port no listener uses)", admin->text,
				    other->text, listener->name,
				    other->at.line);
			}
		}
	}
}

void
config_check(struct config_loader *loader)
{
	check_global(loader);
	check_tls(loader);
	check_snis(loader);
	check_backend(loader);
	check_listeners(loader);
	check_overlapping_addresses(loader);
	check_admin(loader);
	set_listener_policies(loader);
	set_ipv6_only(loader->cfg);
}
