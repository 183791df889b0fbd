/*
 * libFuzzer target: the config loader (config_load()) on a file with the
 * input's text, and config_print() on what loads.
 *
 * The input may hold up to three files, separated by a line "@@": the
 * config file main.conf, then a.conf and b.conf, which "include = a.conf"
 * reads.  A file cert.pem (empty) exists for the keys that name files.
 *
 * The loader opens every file a key names, so the harness confines it.  It
 * runs in a new empty directory under /tmp.  While config_load() runs,
 * open() and fopen(), linked with -Wl,--wrap, fail with EACCES for any path
 * that contains a '/'.  Only the files above can therefore be opened, and an
 * absolute path or one into another directory fails as a missing file does.  getpwnam() and getgrnam() still read the system's user database,
 * which is harmless.
 *
 * A config that loads without errors is printed, loaded again and printed
 * again: both loads must succeed and the two printouts must match after
 * their first line, which names the file read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "test/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);
FILE *__real_fopen64(const char *path, const char *mode);
FILE *__wrap_fopen64(const char *path, const char *mode);
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_open64(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);

static const char *const file_names[] = { "main.conf", "a.conf", "b.conf" };
#define FILE_COUNT (sizeof(file_names) / sizeof(file_names[0]))

static bool confined;
static FILE *errors;
static char work_dir[] = "/tmp/subtls-fuzz-config-XXXXXX";

static bool
path_allowed(const char *path)
{
	return !confined || strchr(path, '/') == NULL;
}

FILE *
__wrap_fopen(const char *path, const char *mode)
{
	if (!path_allowed(path)) {
		errno = EACCES;
		return NULL;
	}
	return __real_fopen(path, mode);
}

FILE *
__wrap_fopen64(const char *path, const char *mode)
{
	return __wrap_fopen(path, mode);
}

int
__wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (!path_allowed(path)) {
		errno = EACCES;
		return -1;
	}
	va_start(ap, flags);
	if (flags & O_CREAT)
		mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	return __real_open(path, flags, mode);
}

int
__wrap_open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & O_CREAT)
		mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	return __wrap_open(path, flags, mode);
}

static void
write_file(const char *name, const char *text, size_t len)
{
	FILE *file = __real_fopen(name, "w");

	FUZZ_ASSERT(file != NULL);
	FUZZ_ASSERT(fwrite(text, 1, len, file) == len);
	FUZZ_ASSERT(fclose(file) == 0);
}

/* Removes the working directory when libFuzzer exits normally. */
static void
remove_work_dir(void)
{
	static const char *const written[] = {
		"main.conf", "a.conf", "b.conf", "cert.pem", "printed.conf",
	};

	for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++)
		unlink(written[i]);
	if (chdir("/") == 0)
		rmdir(work_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;

	/* Crash files go to -artifact_prefix, which ./run sets absolute. */
	FUZZ_ASSERT(mkdtemp(work_dir) != NULL);
	FUZZ_ASSERT(chdir(work_dir) == 0);
	atexit(remove_work_dir);
	write_file("cert.pem", "", 0);
	errors = __real_fopen("/dev/null", "w");
	FUZZ_ASSERT(errors != NULL);
	return 0;
}

static char *
print_config(const struct config *cfg, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	FUZZ_ASSERT(out != NULL);
	config_print(cfg, out);
	FUZZ_ASSERT(fclose(out) == 0);
	return text;
}

/* Returns the text after the first line. */
static const char *
after_first_line(const char *text)
{
	const char *newline = strchr(text, '\n');

	return newline != NULL ? newline + 1 : text;
}

static void
check_round_trip(const struct config *first)
{
	struct config second;
	size_t len, again_len;
	char *printed = print_config(first, &len);
	char *again;
	unsigned count;

	write_file("printed.conf", printed, len);
	confined = true;
	count = config_load(&second, "printed.conf", errors);
	confined = false;
	FUZZ_ASSERT(count == 0);

	again = print_config(&second, &again_len);
	FUZZ_ASSERT(strcmp(after_first_line(again),
	    after_first_line(printed)) == 0);
	config_free(&second);
	free(printed);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t pos = 0;
	struct config cfg;
	unsigned count;

	for (size_t i = 0; i < FILE_COUNT; i++) {
		const char *end = NULL;
		size_t len = size - pos;

		if (i + 1 < FILE_COUNT)
			end = memmem(text + pos, size - pos, "\n@@\n", 4);
		if (end != NULL)
			len = (size_t)(end - (text + pos)) + 1;
		write_file(file_names[i], text + pos, len);
		pos = end != NULL ? pos + len + 3 : size;
	}

	confined = true;
	count = config_load(&cfg, "main.conf", errors);
	confined = false;
	if (count == 0)
		check_round_trip(&cfg);
	config_free(&cfg);
	return 0;
}
