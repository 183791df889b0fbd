/*
 * config_load() and config_free().  The file is read through ini_reader.c
 * and inih.  This file follows the section headers, looks each key up in
 * the key table (keys.c) and rejects unknown and repeated keys.  The checks
 * across lines and the defaults are in check.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <ini.h>

#include "config/config.h"
#include "config/loader.h"

#define LISTENER_NAME_MAX 32

static const char *const section_names[CONFIG_SECTION_COUNT] = {
	[CONFIG_SECTION_GLOBAL] = "global",
	[CONFIG_SECTION_TLS] = "tls",
	[CONFIG_SECTION_BACKEND] = "backend",
	[CONFIG_SECTION_ADMIN] = "admin",
	[CONFIG_SECTION_LISTENER] = "listener NAME",
	[CONFIG_SECTION_SNI] = "sni NAME",
};

#define ALLOWED_SECTIONS \
	"[global], [tls], [backend], [listener NAME], [sni NAME], [admin]"

__attribute__((format(printf, 4, 0)))
static void
report_error(struct config_loader *loader, const char *file, unsigned line,
    const char *format, va_list ap)
{
	loader->error_count++;
	if (loader->errors == NULL)
		return;

	if (line > 0)
		fprintf(loader->errors, "%s:%u: ", file, line);
	else
		fprintf(loader->errors, "%s: ", file);
	vfprintf(loader->errors, format, ap);
	fputc('\n', loader->errors);
}

void
config_error(struct config_loader *loader, unsigned line, const char *format,
    ...)
{
	va_list ap;

	va_start(ap, format);
	report_error(loader, loader->path, line, format, ap);
	va_end(ap);
}

void
config_error_in(struct config_loader *loader, const char *file,
    unsigned line, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	report_error(loader, file != NULL ? file : loader->cfg->path, line,
	    format, ap);
	va_end(ap);
}

void
config_warning(struct config_loader *loader, unsigned line,
    const char *format, ...)
{
	va_list ap;

	if (loader->errors == NULL)
		return;
	if (line > 0)
		fprintf(loader->errors, "%s:%u: warning: ", loader->path, line);
	else
		fprintf(loader->errors, "%s: warning: ", loader->path);
	va_start(ap, format);
	vfprintf(loader->errors, format, ap);
	va_end(ap);
	fputc('\n', loader->errors);
}

char *
config_strdup(struct config_loader *loader, const char *text)
{
	char *copy = strdup(text);

	if (copy == NULL)
		loader->out_of_memory = true;
	return copy;
}

const char *
config_quote(char *out, const char *text)
{
	size_t limit = CONFIG_QUOTE_SIZE - sizeof("\"...\"");
	size_t used = 0;

	out[used++] = '"';
	for (; *text != '\0' && used <= limit; text++) {
		unsigned char c = (unsigned char)*text;

		out[used++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (*text != '\0') {
		memcpy(out + used, "...", 3);
		used += 3;
	}
	out[used++] = '"';
	out[used] = '\0';
	return out;
}

static struct config_key_use *
key_slot(const struct config_loader *loader, const struct config_key *key,
    size_t listener)
{
	size_t row = key->section == CONFIG_SECTION_LISTENER ? 1 + listener : 0;

	return &loader->key_uses[row * config_key_count +
	    (size_t)(key - config_keys)];
}

const struct config_key_use *
config_key_use(const struct config_loader *loader,
    const struct config_key *key, size_t listener)
{
	return key_slot(loader, key, listener);
}

void *
config_section_struct(struct config_loader *loader,
    enum config_section section)
{
	switch (section) {
	case CONFIG_SECTION_GLOBAL:
		return &loader->cfg->global;
	case CONFIG_SECTION_TLS:
		return &loader->cfg->tls;
	case CONFIG_SECTION_BACKEND:
		return &loader->cfg->backend;
	case CONFIG_SECTION_ADMIN:
		return &loader->cfg->admin;
	case CONFIG_SECTION_LISTENER:
		return &loader->cfg->listeners[loader->listener];
	case CONFIG_SECTION_SNI:
		return &loader->cfg->tls.snis[loader->sni];
	default:
		return NULL;
	}
}

static bool
is_listener_name(const char *name)
{
	size_t length = strlen(name);

	if (length == 0 || length > LISTENER_NAME_MAX)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("-_.", name[i]) == NULL)
			return false;
	}
	return true;
}

/* Adds a listener and a row of key uses for it.  Returns false when out of
 * memory. */
static bool
add_listener(struct config_loader *loader, const char *name, unsigned line)
{
	struct config *cfg = loader->cfg;
	size_t count = cfg->listener_count + 1;
	struct config_listener *listeners;
	struct config_key_use *key_uses;

	listeners = realloc(cfg->listeners, count * sizeof(*listeners));
	if (listeners == NULL)
		return false;
	cfg->listeners = listeners;

	key_uses = realloc(loader->key_uses,
	    (count + 1) * config_key_count * sizeof(*key_uses));
	if (key_uses == NULL)
		return false;
	loader->key_uses = key_uses;
	memset(key_uses + count * config_key_count, 0,
	    config_key_count * sizeof(*key_uses));

	memset(&listeners[count - 1], 0, sizeof(listeners[count - 1]));
	listeners[count - 1].require_auth = true;
	listeners[count - 1].name = strdup(name);
	if (listeners[count - 1].name == NULL)
		return false;
	listeners[count - 1].at.file = loader->path;
	listeners[count - 1].at.line = line;
	cfg->listener_count = count;
	return true;
}

static void
open_listener(struct config_loader *loader, const char *name, unsigned line)
{
	const struct config *cfg = loader->cfg;
	char quoted[CONFIG_QUOTE_SIZE];

	if (!is_listener_name(name)) {
		config_error(loader, line, "invalid listener name %s (allowed: "
		    "1 to %d letters, digits, '-', '_' and '.')",
		    config_quote(quoted, name), LISTENER_NAME_MAX);
		return;
	}
	for (size_t i = 0; i < cfg->listener_count; i++) {
		if (strcmp(cfg->listeners[i].name, name) == 0) {
			config_error(loader, line, "duplicate listener %s "
			    "(first at line %u)", config_quote(quoted, name),
			    cfg->listeners[i].at.line);
			return;
		}
	}

	if (!add_listener(loader, name, line)) {
		loader->out_of_memory = true;
		return;
	}
	loader->section = CONFIG_SECTION_LISTENER;
	loader->listener = cfg->listener_count - 1;
}

/* A server name as a section names it: a host name, or "*." and a host
 * name with at least two labels, so that "*.org" cannot match a whole
 * top-level domain. */
static bool
is_sni_name(const char *name)
{
	if (strncmp(name, "*.", 2) == 0)
		return strchr(name + 2, '.') != NULL &&
		    config_is_hostname(name + 2);
	return config_is_hostname(name);
}

static void
open_sni(struct config_loader *loader, const char *name, unsigned line)
{
	struct config *cfg = loader->cfg;
	struct config_sni *snis;
	char quoted[CONFIG_QUOTE_SIZE];
	char *lower;

	if (!is_sni_name(name)) {
		config_error(loader, line, "invalid server name %s (allowed: "
		    "a host name such as mail.example.org, or *.example.org "
		    "for one label)", config_quote(quoted, name));
		return;
	}
	for (size_t i = 0; i < cfg->tls.sni_count; i++) {
		if (strcasecmp(cfg->tls.snis[i].name, name) == 0) {
			config_error(loader, line, "duplicate section [sni %s] "
			    "(first at line %u)", name,
			    cfg->tls.snis[i].at.line);
			return;
		}
	}

	snis = realloc(cfg->tls.snis,
	    (cfg->tls.sni_count + 1) * sizeof(*snis));
	lower = config_strdup(loader, name);
	if (snis == NULL || lower == NULL) {
		loader->out_of_memory = true;
		free(lower);
		if (snis != NULL)
			cfg->tls.snis = snis;
		return;
	}
	/* DNS names compare without regard to case (RFC 4343). */
	for (char *p = lower; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	cfg->tls.snis = snis;
	memset(&snis[cfg->tls.sni_count], 0, sizeof(snis[0]));
	snis[cfg->tls.sni_count].name = lower;
	snis[cfg->tls.sni_count].at.file = cfg->path;
	snis[cfg->tls.sni_count].at.line = line;
	loader->sni = cfg->tls.sni_count++;
	loader->section = CONFIG_SECTION_SNI;
}

/* Handles the reader's section event.  name is NULL for a rejected
 * header. */
static void
enter_section(void *context, const char *name, unsigned line)
{
	struct config_loader *loader = context;
	char quoted[CONFIG_QUOTE_SIZE];

	loader->key = NULL;
	loader->section = CONFIG_SECTION_SKIPPED;
	if (name == NULL)
		return;

	if (strncmp(name, "listener", 8) == 0 &&
	    (name[8] == '\0' || isspace((unsigned char)name[8]))) {
		const char *listener = name + 8;

		while (isspace((unsigned char)*listener))
			listener++;
		open_listener(loader, listener, line);
		return;
	}
	if (strncmp(name, "sni", 3) == 0 &&
	    (name[3] == '\0' || isspace((unsigned char)name[3]))) {
		const char *server_name = name + 3;

		while (isspace((unsigned char)*server_name))
			server_name++;
		open_sni(loader, server_name, line);
		return;
	}

	for (int s = CONFIG_SECTION_GLOBAL; s < CONFIG_SECTION_LISTENER; s++) {
		if (strcmp(name, section_names[s]) != 0)
			continue;
		if (loader->section_at[s] != 0 &&
		    loader->section_file[s] == loader->path) {
			config_error(loader, line, "duplicate section [%s] "
			    "(first at line %u; merge the two)", name,
			    loader->section_at[s]);
		} else if (loader->section_at[s] != 0) {
			config_error(loader, line, "duplicate section [%s] "
			    "(first at %s:%u; merge the two)", name,
			    loader->section_file[s], loader->section_at[s]);
		} else {
			loader->section_at[s] = line;
			loader->section_file[s] = loader->path;
		}
		loader->section = (enum config_section)s;
		return;
	}

	config_error(loader, line, "unknown section %s (allowed: %s)",
	    config_quote(quoted, name), ALLOWED_SECTIONS);
}

/* Handles the reader's error event. */
static void
report_syntax_error(void *context, unsigned line, const char *message)
{
	config_error(context, line, "%s", message);
}

const struct config_key *
config_find_key(enum config_section section, const char *name)
{
	for (size_t i = 0; i < config_key_count; i++) {
		if (config_keys[i].section == section &&
		    strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	}
	return NULL;
}

/* Writes the keys of section as "a, b, c". */
static void
list_keys(enum config_section section, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < config_key_count && used < size; i++) {
		int written;

		if (config_keys[i].section != section)
			continue;
		written = snprintf(out + used, size - used, "%s%s",
		    used > 0 ? ", " : "", config_keys[i].name);
		if (written < 0)
			break;
		used += (size_t)written;
	}
}

/* Reports a key that the current section lacks, and names the section
 * that has it when there is one. */
static void
report_unknown_key(struct config_loader *loader, const char *name,
    unsigned line)
{
	const struct config_key *elsewhere = NULL;
	char quoted[CONFIG_QUOTE_SIZE];
	char here[40];
	char allowed[512];

	for (size_t i = 0; i < config_key_count && elsewhere == NULL; i++) {
		if (strcmp(config_keys[i].name, name) == 0)
			elsewhere = &config_keys[i];
	}
	config_quote(quoted, name);

	if (loader->section == CONFIG_SECTION_NONE) {
		if (elsewhere != NULL)
			config_error(loader, line, "key %s before the first "
			    "section header (allowed: in [%s])", quoted,
			    section_names[elsewhere->section]);
		else
			config_error(loader, line, "unknown key %s before the "
			    "first section header (allowed: keys in %s)",
			    quoted, ALLOWED_SECTIONS);
		return;
	}

	if (loader->section == CONFIG_SECTION_LISTENER)
		snprintf(here, sizeof(here), "listener %s",
		    loader->cfg->listeners[loader->listener].name);
	else
		snprintf(here, sizeof(here), "%s",
		    section_names[loader->section]);

	if (elsewhere != NULL) {
		config_error(loader, line, "key %s is not valid in [%s] "
		    "(allowed: in [%s])", quoted, here,
		    section_names[elsewhere->section]);
		return;
	}
	list_keys(loader->section, allowed, sizeof(allowed));
	config_error(loader, line, "unknown key %s in [%s] (allowed: %s)",
	    quoted, here, allowed);
}

/* Notes that a line of a list key named at least one item. */
static void
note_list_value(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	if (value[strspn(value, ", :\t")] != '\0')
		key_slot(loader, key, loader->listener)->has_value = true;
}

static void
set_key(struct config_loader *loader, const char *name, const char *value)
{
	unsigned line = loader->reader.line;
	const struct config_key *key;
	struct config_key_use *use;
	char quoted[CONFIG_QUOTE_SIZE];
	unsigned before;

	loader->key = NULL;
	loader->after_include = false;
	if (strcmp(name, "include") == 0) {
		config_include(loader, value, line);
		loader->after_include = true;
		return;
	}
	if (loader->section == CONFIG_SECTION_SKIPPED)
		return;

	key = config_find_key(loader->section, name);
	if (key == NULL) {
		report_unknown_key(loader, name, line);
		return;
	}
	use = key_slot(loader, key, loader->listener);
	if (use->line != 0 && !key->repeats) {
		if (use->file == loader->path)
			config_error(loader, line, "duplicate key %s (first at "
			    "line %u)", config_quote(quoted, name), use->line);
		else
			config_error(loader, line, "duplicate key %s (first at "
			    "%s:%u)", config_quote(quoted, name), use->file,
			    use->line);
		return;
	}
	if (use->line == 0) {
		use->line = line;
		use->file = loader->path;
	}
	loader->key = key;

	if (key->position_offset != CONFIG_NO_POSITION) {
		struct config_position *at = (struct config_position *)
		    ((char *)config_section_struct(loader, key->section) +
		    key->position_offset);

		at->file = loader->path;
		at->line = line;
	}

	/* A list may start on the next line; check.c rejects an empty one. */
	if (key->is_list) {
		note_list_value(loader, key, value);
	} else if (*value == '\0') {
		config_error(loader, line, "missing value for %s (allowed: %s)",
		    key->name, key->allowed);
		use->rejected = true;
		return;
	}
	before = loader->error_count;
	key->set(loader, key, value);
	if (loader->error_count != before)
		use->rejected = true;
}

static void
continue_key(struct config_loader *loader, const char *value)
{
	const struct config_key *key = loader->key;
	char lists[100];
	size_t used = 0;

	if (key == NULL && loader->after_include) {
		config_error(loader, loader->reader.line, "indented line "
		    "continues include, which takes a single file (allowed: "
		    "one include line per file)");
		loader->after_include = false;
		return;
	}
	if (key == NULL)
		return;
	if (key->is_list) {
		note_list_value(loader, key, value);
		key->set(loader, key, value);
		return;
	}

	lists[0] = '\0';
	for (size_t i = 0; i < config_key_count; i++) {
		if (config_keys[i].is_list && used < sizeof(lists))
			used += (size_t)snprintf(lists + used,
			    sizeof(lists) - used, "%s%s", used > 0 ? ", " : "",
			    config_keys[i].name);
	}
	config_error(loader, loader->reader.line, "indented line continues %s, "
	    "which takes a single value (allowed: continuation lines for %s)",
	    key->name, lists);
	loader->key = NULL;
}

/* The inih handler.  inih's section argument is ignored: inih cuts it at
 * 49 bytes, and the reader's section events carry the whole header. */
static int
handle_setting(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_loader *loader = user;

	(void)section;
	if (loader->reader.kind == INI_LINE_CONTINUATION)
		continue_key(loader, value);
	else
		set_key(loader, name, value);
	return 1;
}

static const struct ini_reader_events reader_events = {
	.section = enter_section,
	.error = report_syntax_error,
};

void
config_parse_file(struct config_loader *loader, FILE *file)
{
	int result;

	ini_reader_init(&loader->reader, file, &reader_events, loader);
	result = ini_parse_stream(ini_reader_next_line, &loader->reader,
	    handle_setting, loader);
	ini_reader_release(&loader->reader);

	/* The reader hands inih only lines that it has checked, and the
	 * handler always succeeds, so inih should find nothing wrong. */
	if (result == -2)
		loader->out_of_memory = true;
	else if (result != 0)
		config_error(loader, result > 0 ? (unsigned)result : 0,
		    "inih rejected this line although subtls accepted it "
		    "(inih returned %d); please report this as a bug", result);
}

unsigned
config_load(struct config *cfg, const char *path, FILE *errors)
{
	struct config_loader loader = {
		.cfg = cfg,
		.path = path,
		.errors = errors,
	};
	struct stat st;
	FILE *file;

	memset(cfg, 0, sizeof(*cfg));
	config_set_defaults(cfg);
	cfg->path = strdup(path);
	loader.key_uses = calloc(config_key_count, sizeof(*loader.key_uses));
	if (cfg->path == NULL || loader.key_uses == NULL ||
	    cfg->backend.discard_ehlo_keywords == NULL) {
		loader.out_of_memory = true;
		goto out;
	}
	loader.path = cfg->path;
	/* An unresolvable path fails at fopen() below with its own error. */
	loader.reading[0] = realpath(path, NULL);
	loader.depth = 1;

	file = fopen(path, "re");
	if (file == NULL) {
		config_error(&loader, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (fstat(fileno(file), &st) == 0 && S_ISDIR(st.st_mode)) {
		config_error(&loader, 0, "cannot open: %s", strerror(EISDIR));
		fclose(file);
		goto out;
	}
	config_parse_file(&loader, file);
	fclose(file);

	config_check(&loader);

out:
	if (loader.out_of_memory)
		config_error(&loader, 0, "out of memory");
	free(loader.key_uses);
	free(loader.reading[0]);
	return loader.error_count;
}

static void
free_certificates(struct config_certificates *set)
{
	for (size_t i = 0; i < set->count; i++) {
		free(set->items[i].certificate);
		free(set->items[i].key);
		free(set->items[i].ocsp_response);
	}
	free(set->items);
}

void
config_free(struct config *cfg)
{
	free(cfg->path);
	for (size_t i = 0; i < cfg->include_count; i++)
		free(cfg->includes[i]);
	free(cfg->includes);
	free(cfg->global.hostname);
	free(cfg->global.user);
	free(cfg->global.group);
	free(cfg->global.chroot);
	free_certificates(&cfg->tls.certificates);
	free(cfg->tls.client_ca);
	for (size_t i = 0; i < cfg->tls.sni_count; i++) {
		free(cfg->tls.snis[i].name);
		free_certificates(&cfg->tls.snis[i].certificates);
	}
	free(cfg->tls.snis);
	config_policy_free(&cfg->tls.policy);
	free(cfg->tls.ticket_key_file);
	for (size_t i = 0; i < cfg->backend.address_count; i++) {
		free(cfg->backend.addresses[i].text);
		free(cfg->backend.addresses[i].unix_path);
	}
	free(cfg->backend.addresses);
	for (char **keyword = cfg->backend.discard_ehlo_keywords;
	    keyword != NULL && *keyword != NULL; keyword++)
		free(*keyword);
	free(cfg->backend.discard_ehlo_keywords);

	for (size_t i = 0; i < cfg->listener_count; i++) {
		struct config_listener *listener = &cfg->listeners[i];

		for (size_t j = 0; j < listener->address_count; j++)
			free(listener->addresses[j].text);
		free(listener->addresses);
		for (size_t j = 0; j < listener->trusted_proxy_count; j++)
			free(listener->trusted_proxies[j].text);
		free(listener->trusted_proxies);
		free(listener->name);
		config_policy_free(&listener->policy);
	}
	free(cfg->listeners);
	free(cfg->admin.listen.text);

	memset(cfg, 0, sizeof(*cfg));
}
