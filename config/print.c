/*
 * config_print(): the effective settings, defaults included, as an INI file
 * that config_load() reads back into the same settings.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

/* Lists wrap onto indented continuation lines beyond this column, well
 * below the line length that config_load() accepts. */
#define PRINT_WIDTH 78
#define PRINT_INDENT "    "

/* Prints ms in the largest unit that divides it.  Durations from
 * config_load() are whole seconds, so nothing is lost. */
static void
print_duration(FILE *out, const char *name, uint64_t ms)
{
	uint64_t seconds = ms / 1000;

	if (seconds % 3600 == 0)
		fprintf(out, "%s = %" PRIu64 "h\n", name, seconds / 3600);
	else if (seconds % 60 == 0)
		fprintf(out, "%s = %" PRIu64 "m\n", name, seconds / 60);
	else
		fprintf(out, "%s = %" PRIu64 "s\n", name, seconds);
}

static void
print_string(FILE *out, const char *name, const char *value)
{
	if (value != NULL)
		fprintf(out, "%s = %s\n", name, value);
}

/* Writes one item of a list and wraps the line before it when needed.
 * *column is the width of the line so far. */
static void
print_list_item(FILE *out, const char *item, size_t length,
    const char *separator, size_t *column, bool first)
{
	if (!first && *column + strlen(separator) + length > PRINT_WIDTH) {
		fprintf(out, "\n" PRINT_INDENT);
		*column = strlen(PRINT_INDENT);
	} else if (!first) {
		fputs(separator, out);
		*column += strlen(separator);
	}
	fprintf(out, "%.*s", (int)length, item);
	*column += length;
}

/* Prints a list stored as names joined by ':'. */
static void
print_name_list(FILE *out, const char *name, const char *joined)
{
	size_t column;
	bool first = true;

	if (joined == NULL || joined[0] == '\0')
		return;
	column = (size_t)fprintf(out, "%s = ", name);
	for (const char *p = joined; *p != '\0'; ) {
		size_t length = strcspn(p, ":");

		print_list_item(out, p, length, ":", &column, first);
		first = false;
		p += length + (p[length] == ':');
	}
	fputc('\n', out);
}

/*
 * Writes a suite list, or only a comment when it comes from the profile.
 * tls/ orders the profile's suites by AES-NI at run time, and a list written
 * out here would fix that order when the output is read back as a config.
 */
static void
print_profile_suites(FILE *out, const char *name, const char *joined,
    bool from_profile)
{
	if (!from_profile)
		print_name_list(out, name, joined);
	else if (joined != NULL && joined[0] != '\0')
		fprintf(out, "; %s: the profile's, ordered by AES-NI (see the "
		    "listener policy)\n", name);
}

static void
print_yes_no(FILE *out, const char *name, bool value)
{
	fprintf(out, "%s = %s\n", name, value ? "yes" : "no");
}

/* Prints a NULL-terminated list of words; nothing when it is empty, as the
 * default of such a list is none. */
static void
print_word_list(FILE *out, const char *name, const char *const *words)
{
	size_t column;

	if (words == NULL || words[0] == NULL)
		return;
	column = (size_t)fprintf(out, "%s = ", name);
	for (size_t i = 0; words[i] != NULL; i++)
		print_list_item(out, words[i], strlen(words[i]), ", ", &column,
		    i == 0);
	fputc('\n', out);
}

static void
print_listener(FILE *out, const struct config_listener *listener)
{
	size_t column;

	fprintf(out, "\n[listener %s]\n", listener->name);
	fprintf(out, "mode = %s\n", config_mode_name(listener->mode));

	column = (size_t)fprintf(out, "listen = ");
	for (size_t i = 0; i < listener->address_count; i++) {
		const char *text = listener->addresses[i].text;

		print_list_item(out, text, strlen(text), ", ", &column, i == 0);
	}
	fputc('\n', out);
	if (listener->tls_profile != CONFIG_PROFILE_INHERIT)
		fprintf(out, "tls_profile = %s\n",
		    config_profile_name(listener->tls_profile));
	print_yes_no(out, "require_auth", listener->require_auth);
	fprintf(out, "accept_proxy = %s\n",
	    config_accept_proxy_name(listener->accept_proxy));
	if (listener->trusted_proxy_count == 0)
		return;
	column = (size_t)fprintf(out, "trusted_proxies = ");
	for (size_t i = 0; i < listener->trusted_proxy_count; i++) {
		const char *text = listener->trusted_proxies[i].text;

		print_list_item(out, text, strlen(text), ", ", &column, i == 0);
	}
	fputc('\n', out);
}

static void
print_certificates(FILE *out, const struct config_certificates *set)
{
	for (size_t i = 0; i < set->count; i++) {
		print_string(out, "certificate", set->items[i].certificate);
		print_string(out, "key", set->items[i].key);
		print_string(out, "ocsp_response",
		    set->items[i].ocsp_response);
	}
}

/* Prints whole days as "14d", anything else as print_duration() does. */
static void
print_long_duration(FILE *out, const char *name, uint64_t ms)
{
	uint64_t day = 24ULL * 3600 * 1000;

	if (ms % day == 0)
		fprintf(out, "%s = %" PRIu64 "d\n", name, ms / day);
	else
		print_duration(out, name, ms);
}

static const char *
verify_client_name(enum config_verify_client mode)
{
	switch (mode) {
	case CONFIG_VERIFY_CLIENT_OPTIONAL:
		return "optional";
	case CONFIG_VERIFY_CLIENT_REQUIRE:
		return "require";
	case CONFIG_VERIFY_CLIENT_OFF:
		break;
	}
	return "off";
}

static const char *
log_target_name(enum config_log_target target)
{
	return target == CONFIG_LOG_SYSLOG ? "syslog" : "stderr";
}

static const char *
log_level_name(enum config_log_level level)
{
	switch (level) {
	case CONFIG_LOG_ERROR:
		return "error";
	case CONFIG_LOG_WARNING:
		return "warning";
	case CONFIG_LOG_INFO:
		return "info";
	case CONFIG_LOG_DEBUG:
		return "debug";
	}
	return "info";
}

void
config_print(const struct config *cfg, FILE *out)
{
	const struct config_global *global = &cfg->global;
	const struct config_tls *tls = &cfg->tls;
	const struct config_backend *backend = &cfg->backend;

	fprintf(out, "; subtls settings read from %s, defaults included\n",
	    cfg->path != NULL ? cfg->path : "(no file)");

	fprintf(out, "\n[global]\n");
	print_string(out, "hostname", global->hostname);
	print_string(out, "user", global->user);
	print_string(out, "group", global->group);
	print_string(out, "chroot", global->chroot);
	fprintf(out, "allow_root = %s\n", global->allow_root ? "yes" : "no");
	print_duration(out, "handshake_timeout", global->handshake_timeout_ms);
	print_duration(out, "command_timeout", global->command_timeout_ms);
	print_duration(out, "idle_timeout", global->idle_timeout_ms);
	print_duration(out, "max_session_time", global->max_session_time_ms);
	fprintf(out, "pretls_bare_lf = %s\n",
	    global->pretls_bare_lf == CONFIG_BARE_LF_REJECT ? "reject" :
	    "accept");
	print_duration(out, "drain_timeout", global->drain_timeout_ms);
	fprintf(out, "log = %s\n", log_target_name(global->log));
	fprintf(out, "log_level = %s\n", log_level_name(global->log_level));
	fprintf(out, "log_format = %s\n",
	    global->log_format == CONFIG_LOG_JSON ? "json" : "text");
	fprintf(out, "auth_failures = %u\n", global->auth_failures);
	print_duration(out, "auth_failure_window",
	    global->auth_failure_window_ms);
	print_duration(out, "auth_ban_time", global->auth_ban_time_ms);
	fprintf(out, "max_sessions = %u\n", global->max_sessions);
	fprintf(out, "max_sessions_per_client = %u\n",
	    global->max_sessions_per_client);
	fprintf(out, "connection_rate_per_client = %u\n",
	    global->connection_rate_per_client);
	fprintf(out, "max_handshakes_in_progress = %u\n",
	    global->max_handshakes_in_progress);
	fprintf(out, "max_errors = %u\n", global->max_errors);
	if (global->workers == CONFIG_WORKERS_AUTO)
		fprintf(out, "workers = auto\n");
	else
		fprintf(out, "workers = %u\n", global->workers);

	fprintf(out, "\n[tls]\n");
	print_certificates(out, &tls->certificates);
	fprintf(out, "strict_sni = %s\n", tls->strict_sni ? "yes" : "no");
	print_long_duration(out, "expiry_warning", tls->expiry_warning_ms);
	print_string(out, "client_ca", tls->client_ca);
	fprintf(out, "verify_client = %s\n",
	    verify_client_name(tls->verify_client));
	fprintf(out, "profile = %s\n", config_profile_name(tls->policy.profile));
	fprintf(out, "min_version = %s\n",
	    config_tls_version_name(tls->policy.min_version));
	fprintf(out, "max_version = %s\n",
	    config_tls_version_name(tls->policy.max_version));
	print_profile_suites(out, "ciphers", tls->policy.ciphers,
	    tls->policy.ciphers_from_profile);
	print_profile_suites(out, "ciphersuites", tls->policy.ciphersuites,
	    tls->policy.ciphersuites_from_profile);
	print_name_list(out, "groups", tls->policy.groups);
	fprintf(out, "prefer_server_ciphers = %s\n",
	    tls->policy.prefer_server_ciphers ? "yes" : "no");
	print_name_list(out, "alpn", tls->policy.alpn);
	print_duration(out, "ticket_lifetime", tls->ticket_lifetime_ms);
	print_string(out, "ticket_key_file", tls->ticket_key_file);
	fprintf(out, "watch_files = %s\n", tls->watch_files ? "yes" : "no");

	fprintf(out, "\n[backend]\n");
	for (size_t i = 0; i < backend->address_count; i++)
		print_string(out, "address", backend->addresses[i].text);
	fprintf(out, "identity = %s\n",
	    config_identity_name(backend->identity));
	print_duration(out, "connect_timeout", backend->connect_timeout_ms);
	print_duration(out, "reply_timeout", backend->reply_timeout_ms);
	print_duration(out, "retry_interval", backend->retry_interval_ms);
	print_yes_no(out, "proxy_tlvs", backend->proxy_tlvs);
	print_word_list(out, "discard_ehlo_keywords",
	    (const char *const *)backend->discard_ehlo_keywords);
	print_yes_no(out, "trace_header", backend->trace_header);
	print_yes_no(out, "trace_auth_user", backend->trace_auth_user);

	for (size_t i = 0; i < cfg->tls.sni_count; i++) {
		fprintf(out, "\n[sni %s]\n", cfg->tls.snis[i].name);
		print_certificates(out, &cfg->tls.snis[i].certificates);
	}

	for (size_t i = 0; i < cfg->listener_count; i++)
		print_listener(out, &cfg->listeners[i]);

	if (cfg->admin.listen.text != NULL) {
		fprintf(out, "\n[admin]\n");
		print_string(out, "listen", cfg->admin.listen.text);
	}
}
