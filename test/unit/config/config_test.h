/*
 * Helpers for the config tests: a temporary directory that contains the
 * config files and an empty certificate and key, and config_load() with its
 * error output captured.
 *
 * Config texts and expected messages are templates: "@DIR@" becomes the
 * temporary directory and "@FILE@" the path of the config file, so that a
 * test states the exact "file:line: message" lines it expects.
 */
#ifndef TEST_UNIT_CONFIG_CONFIG_TEST_H
#define TEST_UNIT_CONFIG_CONFIG_TEST_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "test/unit/check.h"

static char config_test_dir[64];

/* Replaces each "@DIR@" with the temporary directory and each "@FILE@"
 * with file (when not NULL).  The caller frees the result. */
static inline char *
config_test_expand(const char *template, const char *file)
{
	char *out = NULL;
	size_t out_size = 0;
	FILE *stream = open_memstream(&out, &out_size);

	if (stream == NULL)
		abort();
	for (const char *p = template; *p != '\0'; p++) {
		if (strncmp(p, "@DIR@", 5) == 0) {
			fputs(config_test_dir, stream);
			p += 4;
		} else if (file != NULL && strncmp(p, "@FILE@", 6) == 0) {
			fputs(file, stream);
			p += 5;
		} else {
			fputc(*p, stream);
		}
	}
	fclose(stream);
	return out;
}

static inline void
config_test_write_file(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");

	if (file == NULL || fputs(text, file) == EOF || fclose(file) != 0) {
		perror(path);
		abort();
	}
}

/* Creates the temporary directory with "cert.pem" and "key.pem" in it. */
static inline void
config_test_setup(void)
{
	char path[128];

	snprintf(config_test_dir, sizeof(config_test_dir),
	    "/tmp/subtls-config-test.XXXXXX");
	if (mkdtemp(config_test_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(path, sizeof(path), "%s/cert.pem", config_test_dir);
	config_test_write_file(path, "");
	snprintf(path, sizeof(path), "%s/key.pem", config_test_dir);
	config_test_write_file(path, "");
}

/* Removes the temporary directory and the files in it. */
static inline void
config_test_teardown(void)
{
	DIR *dir = opendir(config_test_dir);
	struct dirent *entry;
	char path[384];

	while (dir != NULL && (entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 ||
		    strcmp(entry->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", config_test_dir,
		    entry->d_name);
		unlink(path);
	}
	if (dir != NULL)
		closedir(dir);
	rmdir(config_test_dir);
}

/* Writes the expanded template to name in the temporary directory and
 * returns its path, which the caller frees. */
static inline char *
config_test_write(const char *name, const char *template)
{
	char *path = NULL;
	char *text;

	if (asprintf(&path, "%s/%s", config_test_dir, name) < 0)
		abort();
	text = config_test_expand(template, path);
	config_test_write_file(path, text);
	free(text);
	return path;
}

/* Runs config_load() and returns its error output, which the caller
 * frees.  *count gets the number of errors. */
static inline char *
config_test_load(struct config *cfg, const char *path, unsigned *count)
{
	char *errors = NULL;
	size_t errors_size = 0;
	FILE *stream = open_memstream(&errors, &errors_size);

	if (stream == NULL)
		abort();
	*count = config_load(cfg, path, stream);
	fclose(stream);
	return errors;
}

/* Compares two strings and shows both when they differ. */
#define CHECK_TEXT(got, want, ...) \
	CHECK_BYTES((got), strlen(got), (want), strlen(want), __VA_ARGS__)

/* A config that loads without errors, for tests that change one part. */
#define CONFIG_TEST_TLS \
	"[tls]\n" \
	"certificate = @DIR@/cert.pem\n" \
	"key = @DIR@/key.pem\n"
#define CONFIG_TEST_BACKEND \
	"[backend]\n" \
	"address = 127.0.0.1:10587\n"
#define CONFIG_TEST_LISTENER \
	"[listener smtps]\n" \
	"mode = implicit\n" \
	"listen = 127.0.0.1:465\n"

/*
 * Loads template (as "subtls.ini") and checks the exact error output, whose
 * "@FILE@" and "@DIR@" are expanded, and the error count, which is the
 * number of lines expected.
 */
static inline void
config_test_expect_errors(const char *name, const char *template,
    const char *expected_template)
{
	struct config cfg;
	char *path = config_test_write("subtls.ini", template);
	char *expected = config_test_expand(expected_template, path);
	unsigned expected_count = 0;
	unsigned count;
	char *errors;

	for (const char *p = expected; *p != '\0'; p++)
		expected_count += *p == '\n';

	errors = config_test_load(&cfg, path, &count);
	CHECK_TEXT(errors, expected, "%s: error lines", name);
	CHECK(count == expected_count, "%s: %u errors (got %u)", name,
	    expected_count, count);

	config_free(&cfg);
	free(errors);
	free(expected);
	free(path);
}

#endif
