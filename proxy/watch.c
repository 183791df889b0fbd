/*
 * Watching the TLS files (see watch.h).
 *
 * The watch is on each file's directory, not on the file.  Renewal tools
 * replace a file by renaming a new one over it: certbot swaps the symbolic
 * links in live/, and Kubernetes swaps the "..data" link of a secret volume.
 * An inotify watch on the old file would see only its removal.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/log.h"
#include "proxy/reload.h"
#include "proxy/server.h"
#include "proxy/watch.h"

/* Files and directories watched at most: certificates, keys, OCSP responses,
 * the client CA and the ticket key file.  More are left out with a warning. */
#define WATCHED_FILES_MAX 64

struct watched_directory {
	uv_fs_event_t handle;
	struct file_watch *watch;
	char *path;
	char *names[WATCHED_FILES_MAX];	/* base names of the files in it */
	size_t name_count;
};

struct file_watch {
	struct server *server;
	uv_timer_t debounce;
	struct watched_directory directories[WATCHED_FILES_MAX];
	size_t directory_count;
	size_t handles_open;	/* the timer and the directory handles */
};

static void
on_handle_closed(uv_handle_t *handle)
{
	struct file_watch *watch = handle->data;

	if (--watch->handles_open > 0)
		return;
	for (size_t i = 0; i < watch->directory_count; i++) {
		struct watched_directory *d = &watch->directories[i];

		free(d->path);
		for (size_t j = 0; j < d->name_count; j++)
			free(d->names[j]);
	}
	free(watch);
}

static void
on_debounce(uv_timer_t *timer)
{
	struct file_watch *watch = timer->data;

	server_reload(watch->server, "TLS files changed");
}

static bool
is_watched_name(const struct watched_directory *d, const char *name)
{
	if (name == NULL)
		return true;		/* the kernel gave no name: check */
	if (strcmp(name, "..data") == 0)
		return true;
	for (size_t i = 0; i < d->name_count; i++)
		if (strcmp(d->names[i], name) == 0)
			return true;
	return false;
}

static void
on_directory_event(uv_fs_event_t *handle, const char *name, int events,
    int status)
{
	struct watched_directory *d = handle->data;

	(void)events;
	if (status < 0) {
		log_warning("watching %s failed: %s", d->path,
		    uv_strerror(status));
		return;
	}
	if (!is_watched_name(d, name))
		return;
	uv_timer_start(&d->watch->debounce, on_debounce, WATCH_DEBOUNCE_MS, 0);
}

/* Adds path's directory and base name to the watch. */
static void
add_file(struct file_watch *watch, const char *path)
{
	char *copy_for_dir = strdup(path), *copy_for_base = strdup(path);
	struct watched_directory *d = NULL;
	char *directory, *base;

	if (copy_for_dir == NULL || copy_for_base == NULL)
		goto out;
	directory = dirname(copy_for_dir);
	base = basename(copy_for_base);

	for (size_t i = 0; i < watch->directory_count; i++)
		if (strcmp(watch->directories[i].path, directory) == 0)
			d = &watch->directories[i];
	if ((d == NULL && watch->directory_count == WATCHED_FILES_MAX) ||
	    (d != NULL && d->name_count == WATCHED_FILES_MAX)) {
		log_warning("not watching %s: more than %d files or directories",
		    path, WATCHED_FILES_MAX);
		goto out;
	}
	if (d == NULL) {
		char *path_copy = strdup(directory);

		if (path_copy == NULL)
			goto out;
		d = &watch->directories[watch->directory_count++];
		d->watch = watch;
		d->path = path_copy;
	}
	if ((d->names[d->name_count] = strdup(base)) != NULL)
		d->name_count++;
out:
	free(copy_for_dir);
	free(copy_for_base);
}

static void
add_certificates(struct file_watch *watch,
    const struct config_certificates *certificates)
{
	for (size_t i = 0; i < certificates->count; i++) {
		const struct config_certificate *c = &certificates->items[i];

		add_file(watch, c->certificate);
		if (c->key != NULL)
			add_file(watch, c->key);
		if (c->ocsp_response != NULL)
			add_file(watch, c->ocsp_response);
	}
}

void
watch_files_start(struct server *srv)
{
	const struct config_tls *tls = &srv->config->tls;
	struct file_watch *watch;

	watch_files_stop(srv);
	if (!tls->watch_files)
		return;
	watch = calloc(1, sizeof(*watch));
	if (watch == NULL) {
		log_warning("cannot watch the TLS files: out of memory");
		return;
	}
	watch->server = srv;
	add_certificates(watch, &tls->certificates);
	for (size_t i = 0; i < tls->sni_count; i++)
		add_certificates(watch, &tls->snis[i].certificates);
	if (tls->client_ca != NULL)
		add_file(watch, tls->client_ca);
	if (tls->ticket_key_file != NULL)
		add_file(watch, tls->ticket_key_file);

	uv_timer_init(&srv->loop, &watch->debounce);
	watch->debounce.data = watch;
	watch->handles_open = 1;
	for (size_t i = 0; i < watch->directory_count; i++) {
		struct watched_directory *d = &watch->directories[i];
		int rc;

		uv_fs_event_init(&srv->loop, &d->handle);
		d->handle.data = d;
		watch->handles_open++;
		rc = uv_fs_event_start(&d->handle, on_directory_event, d->path,
		    0);
		if (rc != 0)
			log_warning("cannot watch %s for changes: %s", d->path,
			    uv_strerror(rc));
		else
			log_info("watching %s for changes to the TLS files",
			    d->path);
	}
	srv->file_watch = watch;
}

void
watch_files_stop(struct server *srv)
{
	struct file_watch *watch = srv->file_watch;

	if (watch == NULL)
		return;
	srv->file_watch = NULL;
	for (size_t i = 0; i < watch->directory_count; i++) {
		watch->directories[i].handle.data = watch;
		uv_close((uv_handle_t *)&watch->directories[i].handle,
		    on_handle_closed);
	}
	uv_close((uv_handle_t *)&watch->debounce, on_handle_closed);
}
