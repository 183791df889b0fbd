/*
 * The key table: every key of every section, what it accepts, and the setter
 * that parses its value.  config.c finds the entry and rejects unknown and
 * repeated keys.  A setter checks the value and reports what is wrong with
 * it, so a new key needs one table entry, and a setter only when no
 * existing one fits.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/config.h"
#include "config/loader.h"

#define AUTH_FAILURES_MAX 100

/* RFC 5321 sets no maximum length for an ehlo-keyword, so this limit is
 * subtls's own. */
#define EHLO_KEYWORD_MAX 64

/* Returns the next item of a list value, cut in place, or NULL after the
 * last. */
static char *
next_token(char **cursor, const char *separators)
{
	char *start = *cursor + strspn(*cursor, separators);
	char *end;

	if (*start == '\0')
		return NULL;
	end = start + strcspn(start, separators);
	*cursor = *end == '\0' ? end : end + 1;
	*end = '\0';
	return start;
}

static unsigned
current_line(const struct config_loader *loader)
{
	return loader->reader.line;
}

static void *
field_of(struct config_loader *loader, const struct config_key *key)
{
	return (char *)config_section_struct(loader, key->section) +
	    key->offset;
}

static void
report_invalid(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	char quoted[CONFIG_QUOTE_SIZE];

	config_error(loader, current_line(loader),
	    "invalid %s %s (allowed: %s)", key->name,
	    config_quote(quoted, value), key->allowed);
}

static void
replace_string(struct config_loader *loader, char **field, const char *value)
{
	free(*field);
	*field = config_strdup(loader, value);
}

static void
set_hostname(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	if (!config_is_hostname(value)) {
		report_invalid(loader, key, value);
		return;
	}
	replace_string(loader, field_of(loader, key), value);
}

/* Set by config_set_chrooted(): /etc/passwd, /etc/group and the chroot
 * path are out of reach. */
static bool chrooted;

void
config_set_chrooted(bool value)
{
	chrooted = value;
}

/* Looking the names up now turns a typo into an error at its line; the
 * proxy looks them up again when it drops privileges. */
static void
set_user(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	char quoted[CONFIG_QUOTE_SIZE];

	errno = 0;
	if (!chrooted && getpwnam(value) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			config_error(loader, current_line(loader),
			    "cannot look up user %s: %s",
			    config_quote(quoted, value), strerror(errno));
		else
			config_error(loader, current_line(loader),
			    "user %s not found (allowed: %s)",
			    config_quote(quoted, value), key->allowed);
		return;
	}
	replace_string(loader, field_of(loader, key), value);
}

static void
set_group(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	char quoted[CONFIG_QUOTE_SIZE];

	errno = 0;
	if (!chrooted && getgrnam(value) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			config_error(loader, current_line(loader),
			    "cannot look up group %s: %s",
			    config_quote(quoted, value), strerror(errno));
		else
			config_error(loader, current_line(loader),
			    "group %s not found (allowed: %s)",
			    config_quote(quoted, value), key->allowed);
		return;
	}
	replace_string(loader, field_of(loader, key), value);
}

/* The directory must exist now, so that subtls -t finds a typo; main()
 * enters it after binding the listeners. */
static void
set_chroot(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	char quoted[CONFIG_QUOTE_SIZE];
	struct stat st;

	config_quote(quoted, value);
	if (value[0] != '/' || strcmp(value, "/") == 0) {
		report_invalid(loader, key, value);
		return;
	}
	if (chrooted) {
		replace_string(loader, field_of(loader, key), value);
		return;
	}
	if (stat(value, &st) != 0) {
		config_error(loader, current_line(loader),
		    "chroot %s: cannot use: %s (allowed: %s)", quoted,
		    strerror(errno), key->allowed);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		config_error(loader, current_line(loader),
		    "chroot %s: not a directory (allowed: %s)", quoted,
		    key->allowed);
		return;
	}
	replace_string(loader, field_of(loader, key), value);
}

static void
set_duration(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	uint64_t *field = field_of(loader, key);

	if (!config_parse_duration(value, field))
		report_invalid(loader, key, value);
}

/* Enum fields are written through an int, which is safe because GCC gives
 * an enum without negative values the type unsigned int. */
static void
set_choice(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	int *field = field_of(loader, key);

	for (const struct config_choice *c = key->choices; c->name; c++) {
		if (strcmp(value, c->name) == 0) {
			*field = c->value;
			return;
		}
	}
	report_invalid(loader, key, value);
}

/* The file is opened as the user that starts subtls, before it drops
 * privileges, which is also when tls/ loads it.  O_NONBLOCK keeps a FIFO
 * from blocking the open.  Returns false after reporting a problem. */
static bool
check_readable_file(struct config_loader *loader,
    const struct config_key *key, const char *value)
{
	char quoted[CONFIG_QUOTE_SIZE];
	unsigned before = loader->error_count;
	struct stat st;
	int fd;

	config_quote(quoted, value);
	fd = open(value, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		config_error(loader, current_line(loader),
		    "%s %s: cannot open: %s", key->name, quoted,
		    strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0)
		config_error(loader, current_line(loader),
		    "%s %s: cannot open: %s", key->name, quoted,
		    strerror(errno));
	else if (S_ISDIR(st.st_mode))
		config_error(loader, current_line(loader),
		    "%s %s: cannot open: %s", key->name, quoted,
		    strerror(EISDIR));
	else if (!S_ISREG(st.st_mode))
		config_error(loader, current_line(loader),
		    "%s %s: not a regular file (allowed: %s)", key->name,
		    quoted, key->allowed);
	close(fd);
	return loader->error_count == before;
}

static void
set_readable_file(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	replace_string(loader, field_of(loader, key), value);
	check_readable_file(loader, key, value);
}

static struct config_position
position_here(struct config_loader *loader)
{
	struct config_position at = {
		.file = loader->cfg->path,
		.line = current_line(loader),
	};

	return at;
}

/* Starts a new certificate/key pair in the section's list. */
static void
set_certificate(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	struct config_certificates *set = field_of(loader, key);
	struct config_certificate *grown;

	check_readable_file(loader, key, value);

	grown = realloc(set->items, (set->count + 1) * sizeof(*grown));
	if (grown == NULL) {
		loader->out_of_memory = true;
		return;
	}
	set->items = grown;
	memset(&grown[set->count], 0, sizeof(grown[0]));
	grown[set->count].certificate = config_strdup(loader, value);
	grown[set->count].certificate_at = position_here(loader);
	set->count++;
}

/*
 * Returns the certificate that a key or ocsp_response line belongs to: the
 * last certificate line of the section.  Reports the line and returns NULL
 * when there is none.
 */
static struct config_certificate *
owning_certificate(struct config_loader *loader, const struct config_key *key)
{
	struct config_certificates *set = field_of(loader, key);

	if (set->count == 0) {
		config_error(loader, current_line(loader), "%s without a "
		    "certificate before it (allowed: certificate = FILE, then "
		    "%s = FILE)", key->name, key->name);
		return NULL;
	}
	return &set->items[set->count - 1];
}

static void
set_certificate_key(struct config_loader *loader,
    const struct config_key *key, const char *value)
{
	struct config_certificate *pair = owning_certificate(loader, key);

	if (pair == NULL)
		return;
	if (pair->key != NULL) {
		config_error(loader, current_line(loader), "second key for "
		    "the certificate of line %u (allowed: one key after each "
		    "certificate)", pair->certificate_at.line);
		return;
	}
	check_readable_file(loader, key, value);
	pair->key = config_strdup(loader, value);
	pair->key_at = position_here(loader);
}

static void
set_ocsp_response(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	struct config_certificate *pair = owning_certificate(loader, key);

	if (pair == NULL)
		return;
	if (pair->ocsp_response != NULL) {
		config_error(loader, current_line(loader), "second "
		    "ocsp_response for the certificate of line %u (allowed: "
		    "one after each certificate)", pair->certificate_at.line);
		return;
	}
	check_readable_file(loader, key, value);
	pair->ocsp_response = config_strdup(loader, value);
	pair->ocsp_response_at = position_here(loader);
}

static void
set_yes_no(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	bool *field = field_of(loader, key);

	if (strcmp(value, "yes") == 0)
		*field = true;
	else if (strcmp(value, "no") == 0)
		*field = false;
	else
		report_invalid(loader, key, value);
}

/* Only digits, so that "-1" or "5x" is an error and not what strtoul()
 * makes of it. */
static void
set_auth_failures(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	unsigned *field = field_of(loader, key);
	size_t digits = strspn(value, "0123456789");
	unsigned long number;

	if (digits == 0 || digits > 3 || value[digits] != '\0') {
		report_invalid(loader, key, value);
		return;
	}
	number = strtoul(value, NULL, 10);
	if (number > AUTH_FAILURES_MAX) {
		report_invalid(loader, key, value);
		return;
	}
	*field = (unsigned)number;
}

/* The whole-number keys and their ranges. */
static const struct count_range {
	const char *name;
	unsigned long min;
	unsigned long max;
} count_ranges[] = {
	{ "max_sessions", 1, CONFIG_MAX_SESSIONS_MAX },
	{ "max_sessions_per_client", 0, CONFIG_MAX_SESSIONS_MAX },
	{ "connection_rate_per_client", 0, CONFIG_CONNECTION_RATE_MAX },
	{ "max_handshakes_in_progress", 0, CONFIG_MAX_SESSIONS_MAX },
	{ "max_errors", 1, CONFIG_MAX_ERRORS_MAX },
};

/* Sets a whole number within the range of count_ranges.  Only digits, so
 * that "-1", "5x" or "1e3" is an error and not what strtoul() makes of it. */
static void
set_count(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	unsigned *field = field_of(loader, key);
	size_t digits = strspn(value, "0123456789");
	const struct count_range *range = NULL;
	unsigned long number;

	for (size_t i = 0; i < sizeof(count_ranges) / sizeof(count_ranges[0]);
	    i++)
		if (strcmp(count_ranges[i].name, key->name) == 0)
			range = &count_ranges[i];
	if (range == NULL)
		abort();

	if (digits == 0 || digits > 9 || value[digits] != '\0') {
		report_invalid(loader, key, value);
		return;
	}
	number = strtoul(value, NULL, 10);
	if (number < range->min || number > range->max) {
		report_invalid(loader, key, value);
		return;
	}
	*field = (unsigned)number;
}

/* Sets workers: "auto" (CONFIG_WORKERS_AUTO) or 1 to CONFIG_WORKERS_MAX. */
static void
set_workers(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	unsigned *field = field_of(loader, key);
	size_t digits = strspn(value, "0123456789");
	unsigned long number;

	if (strcmp(value, "auto") == 0) {
		*field = CONFIG_WORKERS_AUTO;
		return;
	}
	if (digits == 0 || digits > 2 || value[digits] != '\0') {
		report_invalid(loader, key, value);
		return;
	}
	number = strtoul(value, NULL, 10);
	if (number < 1 || number > CONFIG_WORKERS_MAX) {
		report_invalid(loader, key, value);
		return;
	}
	*field = (unsigned)number;
}

/* Certificates live for months, so this duration also takes days. */
static void
set_long_duration(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	uint64_t *field = field_of(loader, key);
	size_t digits = strspn(value, "0123456789");
	unsigned long long number;

	if (digits == 0 || digits > 6 || strcmp(value + digits, "d") != 0) {
		if (!config_parse_duration(value, field))
			report_invalid(loader, key, value);
		return;
	}
	number = strtoull(value, NULL, 10);
	if (number < 1 || number > 3650) {
		report_invalid(loader, key, value);
		return;
	}
	*field = number * 24 * 3600 * 1000;
}

/* Appends name to the ':'-joined list in *field unless it is there. */
static bool
append_name(struct config_loader *loader, char **field, const char *name)
{
	size_t used = *field != NULL ? strlen(*field) : 0;
	size_t name_length = strlen(name);
	char *grown;

	for (char *p = *field; p != NULL && *p != '\0'; ) {
		size_t length = strcspn(p, ":");

		if (length == name_length && strncmp(p, name, length) == 0)
			return false;
		p += length + (p[length] == ':');
	}

	grown = realloc(*field, used + name_length + 2);
	if (grown == NULL) {
		loader->out_of_memory = true;
		return true;
	}
	if (used > 0)
		grown[used++] = ':';
	memcpy(grown + used, name, name_length + 1);
	*field = grown;
	return true;
}

/* The other vocabularies, to tell a TLS 1.3 suite given as a TLS 1.2
 * cipher (or the reverse) from an unknown name. */
static const struct config_vocabulary *const all_vocabularies[] = {
	&config_tls12_ciphers, &config_tls13_suites, &config_groups, NULL,
};

static void
report_unknown_name(struct config_loader *loader,
    const struct config_key *key, const char *name)
{
	const struct config_vocabulary *vocabulary = key->vocabulary;
	char quoted[CONFIG_QUOTE_SIZE];
	char allowed[512];

	config_quote(quoted, name);
	for (size_t i = 0; all_vocabularies[i] != NULL; i++) {
		const struct config_vocabulary *other = all_vocabularies[i];

		if (other != vocabulary &&
		    config_vocabulary_find(other, name) != NULL) {
			config_error(loader, current_line(loader),
			    "%s is a %s, not a %s (allowed: list it under %s)",
			    quoted, other->what, vocabulary->what, other->key);
			return;
		}
	}

	config_vocabulary_list(vocabulary, allowed, sizeof(allowed));
	config_error(loader, current_line(loader),
	    "unknown %s %s (allowed: %s)", vocabulary->what, quoted, allowed);
}

/* Adds the names of one line, the key line or a continuation line. */
static void
set_name_list(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	char **field = field_of(loader, key);
	char quoted[CONFIG_QUOTE_SIZE];
	char *copy = config_strdup(loader, value);
	char *cursor = copy;
	char *token;

	while (copy != NULL && (token = next_token(&cursor, ":, \t")) != NULL) {
		const char *name = config_vocabulary_find(key->vocabulary,
		    token);

		if (name == NULL)
			report_unknown_name(loader, key, token);
		else if (!append_name(loader, field, name))
			config_error(loader, current_line(loader),
			    "%s listed twice in %s", config_quote(quoted, name),
			    key->name);
	}
	free(copy);
}

/* Adds the ALPN protocol ids of one line (RFC 7301 section 3.1: 1 to 255
 * bytes each).  wolfSSL takes the list joined by ',', so ids with ',' or
 * ':' or blanks are not accepted. */
static void
set_alpn(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	char **field = field_of(loader, key);
	char quoted[CONFIG_QUOTE_SIZE];
	char *copy = config_strdup(loader, value);
	char *cursor = copy;
	char *token;

	while (copy != NULL && (token = next_token(&cursor, ":, \t")) != NULL) {
		bool printable = strlen(token) <= 255;

		for (const char *c = token; *c != '\0'; c++)
			printable = printable && *c > ' ' && *c < 0x7f;
		if (!printable)
			report_invalid(loader, key, token);
		else if (!append_name(loader, field, token))
			config_error(loader, current_line(loader),
			    "%s listed twice in %s", config_quote(quoted, token),
			    key->name);
	}
	free(copy);
}

/* An ehlo-keyword of RFC 5321 section 4.1.1.1: a letter or digit, then
 * letters, digits and '-'. */
static bool
is_ehlo_keyword(const char *text)
{
	size_t length = strlen(text);

	if (length == 0 || length > EHLO_KEYWORD_MAX ||
	    !isalnum((unsigned char)text[0]))
		return false;
	for (size_t i = 1; i < length; i++) {
		if (!isalnum((unsigned char)text[i]) && text[i] != '-')
			return false;
	}
	return true;
}

/* Appends keyword to the NULL-terminated array *field.  Returns false when
 * it is there already. */
static bool
append_keyword(struct config_loader *loader, char ***field,
    const char *keyword)
{
	size_t count = 0;
	char **grown;
	char *copy;

	if (*field == NULL)	/* out of memory before, already reported */
		return true;
	for (; (*field)[count] != NULL; count++) {
		if (strcmp((*field)[count], keyword) == 0)
			return false;
	}

	copy = config_strdup(loader, keyword);
	grown = realloc(*field, (count + 2) * sizeof(*grown));
	if (copy == NULL || grown == NULL) {
		loader->out_of_memory = true;
		free(copy);
		if (grown != NULL)
			*field = grown;
		return true;
	}
	grown[count] = copy;
	grown[count + 1] = NULL;
	*field = grown;
	return true;
}

/* Adds the EHLO keywords of one line, the key line or a continuation line.
 * Keywords are case-insensitive (RFC 5321 section 2.4), so they are stored
 * in upper case, and "size" after "SIZE" is a repeat.  STARTTLS, XCLIENT
 * and XFORWARD are stored too, so that a repeat of them is caught as well.
 * check.c drops them afterwards, because subtls always removes them. */
static void
set_ehlo_keywords(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	char ***field = field_of(loader, key);
	char quoted[CONFIG_QUOTE_SIZE];
	char *copy = config_strdup(loader, value);
	char *cursor = copy;
	char *token;

	while (copy != NULL && (token = next_token(&cursor, ", \t")) != NULL) {
		if (!is_ehlo_keyword(token)) {
			report_invalid(loader, key, token);
			continue;
		}
		for (char *c = token; *c != '\0'; c++)
			*c = (char)toupper((unsigned char)*c);
		if (!append_keyword(loader, field, token))
			config_error(loader, current_line(loader),
			    "%s listed twice in %s",
			    config_quote(quoted, token), key->name);
	}
	free(copy);
}

/* Parses value into address; returns NULL or why it is invalid. */
static const char *
parse_backend_address(struct config_loader *loader, const char *value,
    struct config_backend_address *address, char *reason_buf, size_t cap)
{
	size_t path_max = sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1;
	const char *reason = NULL;

	if (strncmp(value, "unix:", 5) == 0) {
		const char *path = value + 5;

		if (path[0] != '/')
			return "the socket path must be absolute";
		if (strlen(path) > path_max) {
			snprintf(reason_buf, cap, "the socket path is longer "
			    "than %zu bytes", path_max);
			return reason_buf;
		}
		address->is_unix = true;
		address->unix_path = config_strdup(loader, path);
		return NULL;
	}
	if (!config_parse_address(value, &address->tcp, &address->tcp_len,
	    &reason))
		return reason;
	if (config_is_wildcard(&address->tcp))
		return "a wildcard address accepts connections but does not "
		    "name a backend";
	return NULL;
}

/* Adds one backend address; each "address" line adds one, tried in order. */
static void
set_backend_address(struct config_loader *loader,
    const struct config_key *key, const char *value)
{
	struct config_backend *backend = &loader->cfg->backend;
	struct config_backend_address address = { 0 }, *grown;
	char quoted[CONFIG_QUOTE_SIZE], reason_buf[64];
	const char *reason;

	reason = parse_backend_address(loader, value, &address, reason_buf,
	    sizeof(reason_buf));
	if (reason != NULL) {
		config_error(loader, current_line(loader),
		    "invalid backend address %s: %s (allowed: %s)",
		    config_quote(quoted, value), reason, key->allowed);
		return;
	}
	for (size_t i = 0; i < backend->address_count; i++)
		if (strcmp(backend->addresses[i].text, value) == 0) {
			config_error(loader, current_line(loader),
			    "duplicate backend address %s (allowed: each "
			    "address once)", config_quote(quoted, value));
			free(address.unix_path);
			return;
		}

	grown = realloc(backend->addresses,
	    (backend->address_count + 1) * sizeof(*grown));
	address.text = config_strdup(loader, value);
	if (grown == NULL || address.text == NULL) {
		loader->out_of_memory = true;
		free(address.text);
		free(address.unix_path);
		if (grown != NULL)
			backend->addresses = grown;
		return;
	}
	grown[backend->address_count++] = address;
	backend->addresses = grown;
}

/* Returns the line of an earlier listen address equal to addr, 0 if none. */
static unsigned
find_listen_address(const struct config *cfg,
    const struct sockaddr_storage *addr)
{
	for (size_t i = 0; i < cfg->listener_count; i++) {
		const struct config_listener *listener = &cfg->listeners[i];

		for (size_t j = 0; j < listener->address_count; j++) {
			if (config_same_address(&listener->addresses[j].addr,
			    addr))
				return listener->addresses[j].at.line;
		}
	}
	return 0;
}

static void
add_listen_address(struct config_loader *loader,
    const struct config_key *key, const char *text)
{
	struct config_listener *listener =
	    &loader->cfg->listeners[loader->listener];
	struct config_listen_address address = { 0 };
	struct config_listen_address *grown;
	const char *reason;
	char quoted[CONFIG_QUOTE_SIZE];
	unsigned first;

	if (!config_parse_address(text, &address.addr, &address.addr_len,
	    &reason)) {
		config_error(loader, current_line(loader),
		    "invalid listen address %s: %s (allowed: %s)",
		    config_quote(quoted, text), reason, key->allowed);
		return;
	}
	first = find_listen_address(loader->cfg, &address.addr);
	if (first != 0) {
		config_error(loader, current_line(loader),
		    "duplicate listen address %s (first at line %u)",
		    config_quote(quoted, text), first);
		return;
	}

	grown = realloc(listener->addresses,
	    (listener->address_count + 1) * sizeof(*grown));
	address.text = config_strdup(loader, text);
	if (grown == NULL || address.text == NULL) {
		loader->out_of_memory = true;
		free(address.text);
		if (grown != NULL)
			listener->addresses = grown;
		return;
	}
	address.at.file = loader->path;
	address.at.line = current_line(loader);
	grown[listener->address_count++] = address;
	listener->addresses = grown;
}

/* Adds the addresses of one line, the key line or a continuation line. */
static void
set_listen(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	char *copy = config_strdup(loader, value);
	char *cursor = copy;
	char *token;

	while (copy != NULL && (token = next_token(&cursor, ", \t")) != NULL)
		add_listen_address(loader, key, token);
	free(copy);
}

/* Sets the one address of [admin] listen.  check.c rejects an address that
 * a listener also lists, because those may come later in the file. */
static void
set_admin_listen(struct config_loader *loader, const struct config_key *key,
    const char *value)
{
	struct config_listen_address *address = &loader->cfg->admin.listen;
	const char *reason;
	char quoted[CONFIG_QUOTE_SIZE];

	if (strpbrk(value, ", \t") != NULL) {
		config_error(loader, current_line(loader),
		    "invalid admin listen address %s: more than one address "
		    "(allowed: %s)", config_quote(quoted, value), key->allowed);
		return;
	}
	if (!config_parse_address(value, &address->addr, &address->addr_len,
	    &reason)) {
		config_error(loader, current_line(loader),
		    "invalid admin listen address %s: %s (allowed: %s)",
		    config_quote(quoted, value), reason, key->allowed);
		return;
	}
	address->text = config_strdup(loader, value);
	address->at.file = loader->path;
	address->at.line = current_line(loader);
}

/* Adds one network of trusted_proxies. */
static void
add_trusted_proxy(struct config_loader *loader, const struct config_key *key,
    const char *text)
{
	struct config_listener *listener =
	    &loader->cfg->listeners[loader->listener];
	struct config_network network, *grown;
	const char *reason;
	char quoted[CONFIG_QUOTE_SIZE];

	if (!config_parse_network(text, &network, &reason)) {
		config_error(loader, current_line(loader),
		    "invalid trusted_proxies entry %s: %s (allowed: %s)",
		    config_quote(quoted, text), reason, key->allowed);
		return;
	}
	if (network.prefix_len == 0)
		config_warning(loader, current_line(loader),
		    "trusted_proxies entry %s matches every %s address, so any "
		    "client can send a PROXY header with any client address "
		    "and so evade limits and bans (list only the addresses of "
		    "the load balancers)", config_quote(quoted, text),
		    network.family == AF_INET ? "IPv4" : "IPv6");

	grown = realloc(listener->trusted_proxies,
	    (listener->trusted_proxy_count + 1) * sizeof(*grown));
	network.text = config_strdup(loader, text);
	if (grown == NULL || network.text == NULL) {
		loader->out_of_memory = true;
		free(network.text);
		if (grown != NULL)
			listener->trusted_proxies = grown;
		return;
	}
	grown[listener->trusted_proxy_count++] = network;
	listener->trusted_proxies = grown;
}

/* Adds the networks of one line, the key line or a continuation line. */
static void
set_trusted_proxies(struct config_loader *loader,
    const struct config_key *key, const char *value)
{
	char *copy = config_strdup(loader, value);
	char *cursor = copy;
	char *token;

	while (copy != NULL && (token = next_token(&cursor, ", \t")) != NULL)
		add_trusted_proxy(loader, key, token);
	free(copy);
}

static const struct config_choice accept_proxy_choices[] = {
	{ "no", CONFIG_ACCEPT_PROXY_NO },
	{ "v1", CONFIG_ACCEPT_PROXY_V1 },
	{ "v2", CONFIG_ACCEPT_PROXY_V2 },
	{ "any", CONFIG_ACCEPT_PROXY_ANY },
	{ NULL, 0 },
};

static const struct config_choice log_targets[] = {
	{ "stderr", CONFIG_LOG_STDERR },
	{ "syslog", CONFIG_LOG_SYSLOG },
	{ NULL, 0 },
};

static const struct config_choice log_formats[] = {
	{ "text", CONFIG_LOG_TEXT },
	{ "json", CONFIG_LOG_JSON },
	{ NULL, 0 },
};

static const struct config_choice log_levels[] = {
	{ "error", CONFIG_LOG_ERROR },
	{ "warning", CONFIG_LOG_WARNING },
	{ "info", CONFIG_LOG_INFO },
	{ "debug", CONFIG_LOG_DEBUG },
	{ NULL, 0 },
};

/* TLSv1.2 is OpenSSL's spelling (MinProtocol).  TLS 1.0 and 1.1 are
 * accepted here and rejected by config_policy_check() unless the profile is
 * legacy.  SSLv3 is not a choice at all (RFC 7568). */
static const struct config_choice tls_versions[] = {
	{ "TLS1.0", CONFIG_TLS1_0 },
	{ "TLS1.1", CONFIG_TLS1_1 },
	{ "TLS1.2", CONFIG_TLS1_2 },
	{ "TLS1.3", CONFIG_TLS1_3 },
	{ "TLSv1.0", CONFIG_TLS1_0 },
	{ "TLSv1.1", CONFIG_TLS1_1 },
	{ "TLSv1.2", CONFIG_TLS1_2 },
	{ "TLSv1.3", CONFIG_TLS1_3 },
	{ NULL, 0 },
};

static const struct config_choice verify_client_modes[] = {
	{ "off", CONFIG_VERIFY_CLIENT_OFF },
	{ "optional", CONFIG_VERIFY_CLIENT_OPTIONAL },
	{ "require", CONFIG_VERIFY_CLIENT_REQUIRE },
	{ NULL, 0 },
};

static const struct config_choice bare_lf_actions[] = {
	{ "accept", CONFIG_BARE_LF_ACCEPT },
	{ "reject", CONFIG_BARE_LF_REJECT },
	{ NULL, 0 },
};

static const struct config_choice profile_names[] = {
	{ "modern", CONFIG_PROFILE_MODERN },
	{ "intermediate", CONFIG_PROFILE_INTERMEDIATE },
	{ "legacy", CONFIG_PROFILE_LEGACY },
	{ NULL, 0 },
};

static const struct config_choice yes_no[] = {
	{ "yes", 1 },
	{ "no", 0 },
	{ NULL, 0 },
};

static const struct config_choice identities[] = {
	{ "proxy-v2", CONFIG_IDENTITY_PROXY_V2 },
	{ "proxy-v1", CONFIG_IDENTITY_PROXY_V1 },
	{ "xclient", CONFIG_IDENTITY_XCLIENT },
	{ "none", CONFIG_IDENTITY_NONE },
	{ NULL, 0 },
};

static const struct config_choice modes[] = {
	{ "implicit", CONFIG_MODE_IMPLICIT },
	{ "starttls", CONFIG_MODE_STARTTLS },
	{ NULL, 0 },
};

#define DURATION "a whole number followed by s, m or h, or a bare number " \
	"of seconds, from 1s to 24h"
#define ADDRESS "a.b.c.d:port or [IPv6]:port (numeric, port 1 to 65535)"

#define GLOBAL(field) offsetof(struct config_global, field)
#define TLS(field) offsetof(struct config_tls, field)
#define POLICY(field) offsetof(struct config_tls, policy.field)
#define BACKEND(field) offsetof(struct config_backend, field)
#define LISTENER(field) offsetof(struct config_listener, field)
#define SNI(field) offsetof(struct config_sni, field)

const struct config_key config_keys[] = {
	{ CONFIG_SECTION_GLOBAL, "hostname", false,
	  "a domain name of letters, digits, '-' and '.'",
	  set_hostname, GLOBAL(hostname), CONFIG_NO_POSITION, NULL, NULL,
	  false },
	{ CONFIG_SECTION_GLOBAL, "user", false, "an existing user name",
	  set_user, GLOBAL(user), CONFIG_NO_POSITION, NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "group", false, "an existing group name",
	  set_group, GLOBAL(group), CONFIG_NO_POSITION, NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "chroot", false,
	  "the absolute path of an existing directory other than /",
	  set_chroot, GLOBAL(chroot), CONFIG_NO_POSITION, NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "allow_root", false, "yes, no",
	  set_yes_no, GLOBAL(allow_root), CONFIG_NO_POSITION, NULL, NULL,
	  false },
	{ CONFIG_SECTION_GLOBAL, "handshake_timeout", false, DURATION,
	  set_duration, GLOBAL(handshake_timeout_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "command_timeout", false, DURATION,
	  set_duration, GLOBAL(command_timeout_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "idle_timeout", false, DURATION,
	  set_duration, GLOBAL(idle_timeout_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "max_session_time", false, DURATION,
	  set_duration, GLOBAL(max_session_time_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "pretls_bare_lf", false, "accept, reject",
	  set_choice, GLOBAL(pretls_bare_lf), CONFIG_NO_POSITION,
	  bare_lf_actions, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "drain_timeout", false, DURATION,
	  set_duration, GLOBAL(drain_timeout_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "log", false, "stderr, syslog",
	  set_choice, GLOBAL(log), CONFIG_NO_POSITION, log_targets, NULL,
	  false },
	{ CONFIG_SECTION_GLOBAL, "log_level", false,
	  "error, warning, info, debug",
	  set_choice, GLOBAL(log_level), CONFIG_NO_POSITION, log_levels,
	  NULL, false },
	{ CONFIG_SECTION_GLOBAL, "log_format", false, "text, json",
	  set_choice, GLOBAL(log_format), CONFIG_NO_POSITION, log_formats,
	  NULL, false },
	{ CONFIG_SECTION_GLOBAL, "auth_failures", false,
	  "a whole number from 0 to 100; 0 turns the throttling off",
	  set_auth_failures, GLOBAL(auth_failures), CONFIG_NO_POSITION, NULL,
	  NULL, false },
	{ CONFIG_SECTION_GLOBAL, "auth_failure_window", false, DURATION,
	  set_duration, GLOBAL(auth_failure_window_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "auth_ban_time", false, DURATION,
	  set_duration, GLOBAL(auth_ban_time_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "max_sessions", false,
	  "a whole number from 1 to 60000",
	  set_count, GLOBAL(max_sessions), CONFIG_NO_POSITION, NULL, NULL,
	  false },
	{ CONFIG_SECTION_GLOBAL, "max_sessions_per_client", false,
	  "a whole number from 0 to 60000; 0 turns the limit off",
	  set_count, GLOBAL(max_sessions_per_client), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "connection_rate_per_client", false,
	  "connections per minute, a whole number from 0 to 1000000; 0 turns "
	  "the limit off",
	  set_count, GLOBAL(connection_rate_per_client), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "max_handshakes_in_progress", false,
	  "a whole number from 0 to 60000; 0 turns the limit off",
	  set_count, GLOBAL(max_handshakes_in_progress), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_GLOBAL, "max_errors", false,
	  "a whole number from 1 to 1000",
	  set_count, GLOBAL(max_errors), CONFIG_NO_POSITION, NULL, NULL,
	  false },
	{ CONFIG_SECTION_GLOBAL, "workers", false,
	  "a whole number from 1 to 64, or auto for one per CPU",
	  set_workers, GLOBAL(workers), CONFIG_NO_POSITION, NULL, NULL,
	  false },

	{ CONFIG_SECTION_TLS, "certificate", false,
	  "the path of a readable PEM file",
	  set_certificate, TLS(certificates), CONFIG_NO_POSITION, NULL, NULL,
	  true },
	{ CONFIG_SECTION_TLS, "key", false, "the path of a readable PEM file",
	  set_certificate_key, TLS(certificates), CONFIG_NO_POSITION, NULL,
	  NULL, true },
	{ CONFIG_SECTION_TLS, "ocsp_response", false,
	  "the path of a readable DER OCSP response",
	  set_ocsp_response, TLS(certificates), CONFIG_NO_POSITION, NULL,
	  NULL, true },
	{ CONFIG_SECTION_TLS, "strict_sni", false, "yes, no",
	  set_yes_no, TLS(strict_sni), CONFIG_NO_POSITION, NULL, NULL, false },
	{ CONFIG_SECTION_TLS, "expiry_warning", false,
	  "a whole number followed by d, h, m or s, from 1s to 3650d",
	  set_long_duration, TLS(expiry_warning_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_TLS, "client_ca", false,
	  "the path of a readable PEM file of CA certificates",
	  set_readable_file, TLS(client_ca), TLS(client_ca_at), NULL, NULL,
	  false },
	{ CONFIG_SECTION_TLS, "verify_client", false, "off, optional, require",
	  set_choice, TLS(verify_client), TLS(verify_client_at),
	  verify_client_modes, NULL, false },
	{ CONFIG_SECTION_TLS, "profile", false,
	  "modern, intermediate, legacy",
	  set_choice, POLICY(profile), POLICY(profile_at), profile_names,
	  NULL, false },
	{ CONFIG_SECTION_TLS, "min_version", false,
	  "TLS1.2, TLS1.3; TLS1.0, TLS1.1 with profile = legacy",
	  set_choice, POLICY(min_version), POLICY(min_version_at),
	  tls_versions, NULL, false },
	{ CONFIG_SECTION_TLS, "max_version", false,
	  "TLS1.2, TLS1.3; TLS1.0, TLS1.1 with profile = legacy",
	  set_choice, POLICY(max_version), POLICY(max_version_at),
	  tls_versions, NULL, false },
	{ CONFIG_SECTION_TLS, "ciphers", true, "TLS 1.2 cipher names",
	  set_name_list, POLICY(ciphers), POLICY(ciphers_at), NULL,
	  &config_tls12_ciphers, false },
	{ CONFIG_SECTION_TLS, "ciphersuites", true,
	  "TLS 1.3 cipher suite names",
	  set_name_list, POLICY(ciphersuites), POLICY(ciphersuites_at), NULL,
	  &config_tls13_suites, false },
	{ CONFIG_SECTION_TLS, "groups", true, "key exchange group names",
	  set_name_list, POLICY(groups), POLICY(groups_at), NULL,
	  &config_groups, false },
	{ CONFIG_SECTION_TLS, "prefer_server_ciphers", false, "yes, no",
	  set_choice, POLICY(prefer_server_ciphers), CONFIG_NO_POSITION,
	  yes_no, NULL, false },
	{ CONFIG_SECTION_TLS, "alpn", true,
	  "ALPN protocol ids of 1 to 255 printable characters, such as smtp",
	  set_alpn, POLICY(alpn), POLICY(alpn_at), NULL, NULL, false },
	{ CONFIG_SECTION_TLS, "ticket_lifetime", false, DURATION,
	  set_duration, TLS(ticket_lifetime_ms), CONFIG_NO_POSITION, NULL,
	  NULL, false },
	{ CONFIG_SECTION_TLS, "ticket_key_file", false,
	  "the path of a readable file of ticket keys",
	  set_readable_file, TLS(ticket_key_file), TLS(ticket_key_file_at),
	  NULL, NULL, false },
	{ CONFIG_SECTION_TLS, "watch_files", false, "yes, no",
	  set_yes_no, TLS(watch_files), CONFIG_NO_POSITION, NULL, NULL,
	  false },

	{ CONFIG_SECTION_BACKEND, "address", false,
	  "unix:/absolute/path, " ADDRESS,
	  set_backend_address, BACKEND(addresses), CONFIG_NO_POSITION, NULL,
	  NULL, true },
	{ CONFIG_SECTION_BACKEND, "identity", false,
	  "proxy-v2, proxy-v1, xclient, none",
	  set_choice, BACKEND(identity), CONFIG_NO_POSITION, identities,
	  NULL, false },
	{ CONFIG_SECTION_BACKEND, "connect_timeout", false, DURATION,
	  set_duration, BACKEND(connect_timeout_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_BACKEND, "reply_timeout", false, DURATION,
	  set_duration, BACKEND(reply_timeout_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_BACKEND, "retry_interval", false, DURATION,
	  set_duration, BACKEND(retry_interval_ms), CONFIG_NO_POSITION,
	  NULL, NULL, false },
	{ CONFIG_SECTION_BACKEND, "proxy_tlvs", false,
	  "yes, no; yes only with identity = proxy-v2",
	  set_yes_no, BACKEND(proxy_tlvs), CONFIG_NO_POSITION, NULL, NULL,
	  false },
	{ CONFIG_SECTION_BACKEND, "discard_ehlo_keywords", true,
	  "EHLO keywords (a letter or digit, then letters, digits and '-', "
	  "at most 64 characters), separated by commas or blanks",
	  set_ehlo_keywords, BACKEND(discard_ehlo_keywords),
	  CONFIG_NO_POSITION, NULL, NULL, false },
	{ CONFIG_SECTION_BACKEND, "trace_header", false, "yes, no",
	  set_yes_no, BACKEND(trace_header), CONFIG_NO_POSITION, NULL, NULL,
	  false },
	{ CONFIG_SECTION_BACKEND, "trace_auth_user", false,
	  "yes, no; yes only with trace_header = yes",
	  set_yes_no, BACKEND(trace_auth_user), CONFIG_NO_POSITION, NULL, NULL,
	  false },

	{ CONFIG_SECTION_LISTENER, "mode", false, "implicit, starttls",
	  set_choice, LISTENER(mode), CONFIG_NO_POSITION, modes, NULL, false },
	{ CONFIG_SECTION_LISTENER, "listen", true,
	  ADDRESS ", separated by commas or blanks",
	  set_listen, LISTENER(addresses), CONFIG_NO_POSITION, NULL, NULL,
	  false },
	{ CONFIG_SECTION_LISTENER, "tls_profile", false,
	  "modern, intermediate, legacy",
	  set_choice, LISTENER(tls_profile), LISTENER(tls_profile_at),
	  profile_names, NULL, false },
	{ CONFIG_SECTION_LISTENER, "require_auth", false, "yes, no",
	  set_yes_no, LISTENER(require_auth), CONFIG_NO_POSITION, NULL, NULL,
	  false },
	{ CONFIG_SECTION_LISTENER, "accept_proxy", false, "no, v1, v2, any",
	  set_choice, LISTENER(accept_proxy), CONFIG_NO_POSITION,
	  accept_proxy_choices, NULL, false },
	{ CONFIG_SECTION_LISTENER, "trusted_proxies", true,
	  "IPv4 or IPv6 addresses or networks such as 10.0.0.0/8 or "
	  "2001:db8::/32, separated by commas or blanks",
	  set_trusted_proxies, LISTENER(trusted_proxies), CONFIG_NO_POSITION,
	  NULL, NULL, false },

	{ CONFIG_SECTION_ADMIN, "listen", false,
	  "one address, " ADDRESS,
	  set_admin_listen, CONFIG_NO_POSITION, CONFIG_NO_POSITION, NULL, NULL,
	  false },

	{ CONFIG_SECTION_SNI, "certificate", false,
	  "the path of a readable PEM file",
	  set_certificate, SNI(certificates), CONFIG_NO_POSITION, NULL, NULL,
	  true },
	{ CONFIG_SECTION_SNI, "key", false, "the path of a readable PEM file",
	  set_certificate_key, SNI(certificates), CONFIG_NO_POSITION, NULL,
	  NULL, true },
	{ CONFIG_SECTION_SNI, "ocsp_response", false,
	  "the path of a readable DER OCSP response",
	  set_ocsp_response, SNI(certificates), CONFIG_NO_POSITION, NULL,
	  NULL, true },
};

const size_t config_key_count = sizeof(config_keys) / sizeof(config_keys[0]);
