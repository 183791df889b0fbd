/*
 * Internal to config/: the state of one config_load() call, the table of
 * keys, and the value parsers that the key setters share.
 */
#ifndef CONFIG_LOADER_H
#define CONFIG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "config/ini_reader.h"

enum config_section {
	CONFIG_SECTION_NONE,		/* before the first section header */
	CONFIG_SECTION_SKIPPED,		/* under a rejected or unknown header */
	CONFIG_SECTION_GLOBAL,
	CONFIG_SECTION_TLS,
	CONFIG_SECTION_BACKEND,
	CONFIG_SECTION_ADMIN,
	CONFIG_SECTION_LISTENER,	/* [listener NAME] */
	CONFIG_SECTION_SNI,		/* [sni NAME] */
	CONFIG_SECTION_COUNT,
};

struct config_loader;

/* One word of a config setting, such as "implicit" for mode. */
struct config_choice {
	const char *name;
	int value;
};

/* A name that a list accepts in place of a canonical name. */
struct config_alias {
	const char *alias;
	const char *name;
};

/* The names a list key accepts (ciphers, ciphersuites, groups). */
struct config_vocabulary {
	const char *key;			/* "ciphers" */
	const char *what;			/* "TLS 1.2 cipher" */
	const char *const *names;		/* canonical, NULL-terminated */
	const struct config_alias *aliases;	/* ends with a NULL alias */
};

/* An entry of the key table: where a key belongs and how it is set. */
struct config_key {
	enum config_section section;
	const char *name;
	bool is_list;		/* may continue on indented lines */
	const char *allowed;	/* for "(allowed: ...)" in messages */

	/* Parses value into the section's struct and reports its own errors.
	 * The setter of a list key runs once per line. */
	void (*set)(struct config_loader *loader, const struct config_key *key,
	    const char *value);

	size_t offset;		/* of the field in the section's struct */
	size_t position_offset;	/* of its config_position, or NO_POSITION */
	const struct config_choice *choices;		/* for choice keys */
	const struct config_vocabulary *vocabulary;	/* for name lists */
	bool repeats;		/* may appear more than once in a section */
};

#define CONFIG_NO_POSITION SIZE_MAX

extern const struct config_key config_keys[];
extern const size_t config_key_count;

struct config_key_use {
	const char *file;	/* of the key line (the config or an include) */
	unsigned line;		/* of the key line, 0 if the key is absent */
	bool has_value;		/* a line of it held more than separators */
	bool rejected;		/* a line of it had an invalid value */
};

/* Included files may include others up to this depth. */
#define CONFIG_INCLUDE_DEPTH_MAX 8

struct config_loader {
	struct config *cfg;
	const char *path;	/* the file being read, for messages and
				 * positions: cfg->path or an include */
	FILE *errors;			/* NULL: count errors only */
	unsigned error_count;
	bool out_of_memory;		/* reported once, at the end */
	struct ini_reader reader;

	enum config_section section;
	unsigned section_at[CONFIG_SECTION_COUNT];	/* first header line */
	const char *section_file[CONFIG_SECTION_COUNT];	/* and its file */

	/* The files being read, outermost first, as realpath() returns them,
	 * to reject an include loop. */
	char *reading[CONFIG_INCLUDE_DEPTH_MAX + 1];
	unsigned depth;		/* entries of reading[] in use */
	size_t listener;		/* index of the current listener */
	size_t sni;			/* index of the current [sni NAME] */

	/* The key of the last key line, or NULL when that line was not
	 * accepted: continuation lines go to it. */
	const struct config_key *key;
	bool after_include;	/* the last key line was an include */

	/* Uses of the keys: config_key_count entries for [global], [tls] and
	 * [backend], then as many per listener. */
	struct config_key_use *key_uses;
};

/* Writes "file:line: message" (or "file: message" for line 0) and counts
 * it. */
__attribute__((format(printf, 3, 4)))
void config_error(struct config_loader *loader, unsigned line,
    const char *format, ...);

/* Like config_error() for a line of file, which may be an included file;
 * file NULL means the config file itself. */
__attribute__((format(printf, 4, 5)))
void config_error_in(struct config_loader *loader, const char *file,
    unsigned line, const char *format, ...);

/* Writes "file:line: warning: message" for a setting that loads but is
 * probably a mistake.  Warnings are not counted as errors. */
__attribute__((format(printf, 3, 4)))
void config_warning(struct config_loader *loader, unsigned line,
    const char *format, ...);

/* Reads file, already open, with the current loader->path (config.c). */
void config_parse_file(struct config_loader *loader, FILE *file);

/* Reads the file that "include = value" names at line of the current file
 * (config.c). */
void config_include(struct config_loader *loader, const char *value,
    unsigned line);

/* Returns the key of section named name, or NULL. */
const struct config_key *config_find_key(enum config_section section,
    const char *name);

/* Returns how key was given in its section (in listeners[listener] for
 * listener keys). */
const struct config_key_use *config_key_use(
    const struct config_loader *loader, const struct config_key *key,
    size_t listener);

/* Returns the struct that a key of the current section writes to. */
void *config_section_struct(struct config_loader *loader,
    enum config_section section);

/* strdup() that records a failure in loader->out_of_memory. */
char *config_strdup(struct config_loader *loader, const char *text);

/* Writes text in double quotes, with control characters replaced by '?'
 * and anything after the first 250 bytes cut to "...", so that a message
 * stays one line.  The limit leaves a file path of a usual length whole.
 * out must have room for CONFIG_QUOTE_SIZE bytes.
 */
#define CONFIG_QUOTE_SIZE 256
const char *config_quote(char *out, const char *text);

/* Value parsers (values.c).  config_parse_address() returns false with
 * *reason set to a short explanation when text is invalid. */
bool config_parse_address(const char *text, struct sockaddr_storage *addr,
    socklen_t *addr_len, const char **reason);
bool config_is_hostname(const char *text);
/* Parses "address" or "address/prefix_len" into network (text not set).
 * Returns false with *reason set when text is invalid. */
bool config_parse_network(const char *text, struct config_network *network,
    const char **reason);
const char *config_vocabulary_find(const struct config_vocabulary *vocabulary,
    const char *name);
void config_vocabulary_list(const struct config_vocabulary *vocabulary,
    char *out, size_t size);
bool config_same_address(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b);
uint16_t config_address_port(const struct sockaddr_storage *addr);
bool config_is_ipv6_wildcard(const struct sockaddr_storage *addr);
/* True for 0.0.0.0 and [::]. */
bool config_is_wildcard(const struct sockaddr_storage *addr);

extern const struct config_vocabulary config_tls12_ciphers;
extern const struct config_vocabulary config_tls13_suites;
extern const struct config_vocabulary config_groups;

/* The policy settings that a profile fills in when the file lacks them. */
enum config_policy_setting {
	CONFIG_POLICY_MIN_VERSION,
	CONFIG_POLICY_MAX_VERSION,
	CONFIG_POLICY_CIPHERS,
	CONFIG_POLICY_CIPHERSUITES,
	CONFIG_POLICY_GROUPS,
	CONFIG_POLICY_SETTINGS,
};

/* Profiles (profiles.c).  config_policy_complete() fills each setting that
 * given[] marks as absent from policy->profile, config_policy_check()
 * reports what only profile legacy allows, config_policy_from_profile()
 * builds a listener's tls_profile policy, and config_policy_copy() makes a
 * deep copy. */
void config_policy_complete(struct config_loader *loader,
    struct config_policy *policy, const bool given[CONFIG_POLICY_SETTINGS]);
void config_policy_check(struct config_loader *loader,
    const struct config_policy *policy);
void config_policy_from_profile(struct config_loader *loader,
    struct config_policy *policy, enum config_profile profile,
    const struct config_position *at, const struct config_policy *tls);
void config_policy_copy(struct config_loader *loader, struct config_policy *to,
    const struct config_policy *from);
void config_policy_free(struct config_policy *policy);

/* Sets the defaults of the settings that have one (check.c). */
void config_set_defaults(struct config *cfg);

/* Completes the defaults and checks what no single line can: required
 * sections and keys, empty lists, settings that need another setting, and
 * the IPv6 wildcard rule (check.c). */
void config_check(struct config_loader *loader);

#endif
