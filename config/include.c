/*
 * "include = FILE": reads another file in place, so that one centrally
 * managed file (a ConfigMap, a configuration-management template) can set
 * the TLS policy of every host.
 *
 * An include may stand at the top of the file or in any section.  Lines of
 * the included file before its first section header belong to the section
 * of the include line, and after the included file the including file goes
 * on in that same section.  A relative path is relative to the directory of
 * the including file.  Errors inside the included file name that file and
 * its line.  Includes nest up to CONFIG_INCLUDE_DEPTH_MAX levels, and a
 * file that includes itself, directly or through others, is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/loader.h"

#define INCLUDE_ALLOWED "the path of a readable config file, relative to " \
	"the including file's directory or absolute"

/* Returns value resolved against the directory of including, malloc'd. */
static char *
resolve_path(const char *including, const char *value)
{
	const char *slash = strrchr(including, '/');
	char *path = NULL;

	if (value[0] == '/' || slash == NULL)
		return strdup(value);
	if (asprintf(&path, "%.*s/%s", (int)(slash - including), including,
	    value) < 0)
		return NULL;
	return path;
}

/*
 * Opens path for reading if it is a regular file, or returns NULL with errno
 * set (EINVAL for a file of another type).  O_NONBLOCK keeps a FIFO from
 * blocking the open.  A device such as /dev/zero, which never ends, is
 * rejected like a directory.
 */
static FILE *
open_regular(const char *path)
{
	struct stat st;
	FILE *file;
	int fd, error;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0) {
		error = errno;
	} else if (!S_ISREG(st.st_mode)) {
		error = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	} else {
		file = fdopen(fd, "r");
		if (file != NULL)
			return file;
		error = errno;
	}
	close(fd);
	errno = error;
	return NULL;
}

/* Keeps path in cfg->includes, which positions point into.  Returns the
 * kept copy, or NULL when out of memory. */
static const char *
keep_path(struct config_loader *loader, char *path)
{
	struct config *cfg = loader->cfg;
	char **grown = realloc(cfg->includes,
	    (cfg->include_count + 1) * sizeof(*grown));

	if (grown == NULL) {
		loader->out_of_memory = true;
		free(path);
		return NULL;
	}
	cfg->includes = grown;
	cfg->includes[cfg->include_count++] = path;
	return path;
}

/* Returns whether real is one of the files being read. */
static bool
is_being_read(const struct config_loader *loader, const char *real)
{
	for (unsigned i = 0; i < loader->depth; i++) {
		if (loader->reading[i] != NULL &&
		    strcmp(loader->reading[i], real) == 0)
			return true;
	}
	return false;
}

/* Reads file as path with the loader's state saved around it. */
static void
read_included(struct config_loader *loader, FILE *file, const char *path,
    char *real)
{
	struct ini_reader saved_reader = loader->reader;
	const char *saved_path = loader->path;
	enum config_section saved_section = loader->section;
	size_t saved_listener = loader->listener;

	loader->path = path;
	loader->reading[loader->depth++] = real;
	config_parse_file(loader, file);
	loader->reading[--loader->depth] = NULL;

	loader->reader = saved_reader;
	loader->path = saved_path;
	loader->section = saved_section;
	loader->listener = saved_listener;
	loader->key = NULL;
}

void
config_include(struct config_loader *loader, const char *value,
    unsigned line)
{
	char quoted[CONFIG_QUOTE_SIZE];
	const char *kept;
	char *path, *real;
	FILE *file;

	if (*value == '\0') {
		config_error(loader, line, "missing value for include "
		    "(allowed: %s)", INCLUDE_ALLOWED);
		return;
	}
	config_quote(quoted, value);
	if (loader->depth > CONFIG_INCLUDE_DEPTH_MAX) {
		config_error(loader, line, "include %s: more than %d nested "
		    "includes (allowed: at most %d levels)", quoted,
		    CONFIG_INCLUDE_DEPTH_MAX, CONFIG_INCLUDE_DEPTH_MAX);
		return;
	}

	path = resolve_path(loader->path, value);
	if (path == NULL) {
		loader->out_of_memory = true;
		return;
	}
	file = open_regular(path);
	if (file == NULL) {
		config_error(loader, line, "include %s: cannot open %s: %s "
		    "(allowed: %s)", quoted, path,
		    errno == EINVAL ? "not a regular file" : strerror(errno),
		    INCLUDE_ALLOWED);
		free(path);
		return;
	}

	real = realpath(path, NULL);
	if (real == NULL || is_being_read(loader, real)) {
		config_error(loader, line, "include %s: include loop, %s is "
		    "already being read (allowed: each file once in a chain "
		    "of includes)", quoted, path);
		free(real);
		free(path);
		fclose(file);
		return;
	}

	kept = keep_path(loader, path);
	if (kept != NULL)
		read_included(loader, file, kept, real);
	free(real);
	fclose(file);
}
