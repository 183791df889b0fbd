/*
 * SIGHUP: build the whole new state first, switch only when all of it is
 * valid.  The errors of the new file go to a memory stream, so that the
 * loader's "file:line: message" lines reach the log unchanged.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "proxy/admin.h"
#include "proxy/backend_pool.h"
#include "proxy/contexts.h"
#include "proxy/listener.h"
#include "proxy/listener_reload.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/notify.h"
#include "proxy/reload.h"
#include "proxy/server.h"
#include "proxy/watch.h"
#include "proxy/worker.h"
#include "tls/context.h"
#include "tls/tickets.h"

/* The next state, kept apart from the running one until the switch. */
struct reload {
	struct config *config;
	struct tls_context **tls;		/* per listener (contexts.c) */
	struct tls_ticket_keys *ticket_keys;
	struct listener_rebind *rebinds;	/* one per listener; sockets
						 * NULL: addresses unchanged */
	struct listener_rebind **worker_rebinds;	/* the same for each
							 * other worker, by
							 * index; [0] unused */
	size_t worker_count;
	atomic_size_t open_sessions;	/* summed over the workers */
	FILE *errors;
	unsigned error_count;
};

static bool
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

__attribute__((format(printf, 3, 4)))
static void
report(struct reload *r, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (line > 0)
		fprintf(r->errors, "%s:%u: ", r->config->path, line);
	else
		fprintf(r->errors, "%s: ", r->config->path);
	va_start(ap, fmt);
	vfprintf(r->errors, fmt, ap);
	va_end(ap);
	fputc('\n', r->errors);
	r->error_count++;
}

static bool
same_addresses(const struct config_listener *a, const struct config_listener *b)
{
	if (a->address_count != b->address_count)
		return false;
	for (size_t i = 0; i < a->address_count; i++)
		if (strcmp(a->addresses[i].text, b->addresses[i].text) != 0 ||
		    a->addresses[i].ipv6_only != b->addresses[i].ipv6_only)
			return false;
	return true;
}

/*
 * The user and the chroot stay, because a process that dropped privileges
 * can neither switch users nor leave its chroot.  Listeners keep their
 * names and modes, because open sessions and the log idents refer to them.
 * Their addresses may change (prepare_listeners).
 */
static void
check_restart_settings(struct reload *r, const struct config *running)
{
	const struct config *next = r->config;

	if (!same_text(running->global.user, next->global.user) ||
	    !same_text(running->global.group, next->global.group))
		report(r, 0, "user or group changed (allowed: the running "
		    "values; a new user or group needs a restart)");
	if (!same_text(running->global.chroot, next->global.chroot))
		report(r, 0, "chroot changed (allowed: the running value; a "
		    "new chroot needs a restart)");
	if (running->global.workers != next->global.workers)
		report(r, 0, "workers changed (allowed: the running value; a "
		    "new number of workers needs a restart)");

	if (running->listener_count != next->listener_count) {
		report(r, 0, "the number of listeners changed from %zu to %zu "
		    "(allowed: the running listeners; adding or removing one "
		    "needs a restart)", running->listener_count,
		    next->listener_count);
		return;
	}
	for (size_t i = 0; i < next->listener_count; i++) {
		const struct config_listener *old = &running->listeners[i];
		const struct config_listener *new = &next->listeners[i];

		if (strcmp(old->name, new->name) == 0 && old->mode == new->mode)
			continue;
		report(r, new->at.line, "listener %s: the name or mode "
		    "changed (allowed: [listener %s] with mode %s in this "
		    "place; a listener's name and mode need a restart)",
		    new->name, old->name, config_mode_name(old->mode));
	}
}

/* Binds the new addresses of every listener whose addresses changed. */
static void
prepare_listeners(struct reload *r, const struct server *srv)
{
	r->rebinds = calloc(srv->listener_count, sizeof(*r->rebinds));
	if (r->rebinds == NULL) {
		report(r, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < srv->listener_count; i++) {
		const struct listener *l = &srv->listeners[i];
		const struct config_listener *next = &r->config->listeners[i];

		if (!same_addresses(l->config, next))
			listener_rebind_prepare(l, next, &r->rebinds[i],
			    r->errors, &r->error_count);
	}
}

/* Prepares the other workers' sockets for the listeners that move. */
static void
prepare_worker_listeners(struct reload *r, const struct server *srv)
{
	const struct server *worker;

	r->worker_count = workers_count(srv);
	if (r->worker_count <= 1)
		return;
	/* An array of pointers: sizeof(*worker_rebinds) is a pointer's. */
	r->worker_rebinds = calloc(r->worker_count,
	    /* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	    sizeof(*r->worker_rebinds));
	if (r->worker_rebinds == NULL) {
		report(r, 0, "out of memory");
		return;
	}
	for (size_t w = 1; w < r->worker_count; w++) {
		r->worker_rebinds[w] = calloc(srv->listener_count,
		    sizeof(**r->worker_rebinds));
		if (r->worker_rebinds[w] == NULL) {
			report(r, 0, "out of memory");
			return;
		}
		worker = workers_server(srv, w);
		for (size_t i = 0; i < srv->listener_count; i++) {
			if (r->rebinds[i].sockets == NULL)
				continue;
			/* Reads the worker's listener while its loop runs:
			 * only a drain or a reload, neither of which can run
			 * now, changes which of its sockets are open. */
			if (listener_rebind_prepare(&worker->listeners[i],
			    &r->config->listeners[i], &r->worker_rebinds[w][i],
			    r->errors, &r->error_count) != 0)
				return;
		}
	}
}

static void
discard_rebinds(struct listener_rebind *rebinds, size_t count)
{
	if (rebinds == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		listener_rebind_discard(&rebinds[i]);
	free(rebinds);
}

static void
discard_listeners(struct reload *r, size_t count)
{
	discard_rebinds(r->rebinds, count);
	r->rebinds = NULL;
	if (r->worker_rebinds == NULL)
		return;
	for (size_t w = 1; w < r->worker_count; w++)
		discard_rebinds(r->worker_rebinds[w], count);
	free(r->worker_rebinds);
	r->worker_rebinds = NULL;
}

static void
build_next_state(struct reload *r, const struct server *srv)
{
	r->error_count = config_load(r->config, srv->config->path, r->errors);
	if (r->error_count > 0)
		return;
	check_restart_settings(r, srv->config);
	if (r->error_count > 0)
		return;
	r->tls = contexts_build(r->config, r->errors, &r->error_count);
	if (r->error_count > 0)
		return;
	r->ticket_keys = tls_ticket_keys_load(&r->config->tls, r->errors,
	    &r->error_count);
	if (r->error_count > 0)
		return;
	prepare_listeners(r, srv);
	if (r->error_count > 0)
		return;
	prepare_worker_listeners(r, srv);
}

/* Logs each error line, then the verdict. */
static void
log_failure(const struct server *srv, char *text, unsigned error_count)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		log_error("reload: %s", line);
	log_error("reload of %s failed with %u error%s: the running "
	    "configuration stays in effect", srv->config->path, error_count,
	    error_count == 1 ? "" : "s");
}

/* Moves the listeners of srv with new addresses, and points the others at
 * their identical entries in next.  Frees rebinds. */
static void
switch_listeners(struct server *srv, const struct config *next,
    struct listener_rebind *rebinds)
{
	for (size_t i = 0; i < srv->listener_count; i++) {
		struct listener *l = &srv->listeners[i];
		const struct config_listener *listener = &next->listeners[i];

		if (rebinds != NULL && rebinds[i].sockets != NULL) {
			listener_rebind_commit(l, listener, &rebinds[i]);
			continue;
		}
		l->config = listener;
		for (size_t j = 0; j < l->socket_count; j++)
			l->sockets[j].address = &listener->addresses[j];
	}
	free(rebinds);
}

/* Switches one worker's server to the next state.  Runs on that worker's
 * thread. */
static void
switch_server(struct server *srv, struct reload *r,
    struct listener_rebind *rebinds)
{
	srv->tls = r->tls;
	switch_listeners(srv, r->config, rebinds);
	for (size_t i = 0; i < srv->listener_count; i++)
		srv->listeners[i].tls = srv->tls[i];
	srv->config = r->config;
	/* An address that stays keeps its state, so a reload does not send
	 * sessions to an address known to be down. */
	if (!backend_pool_update(srv->backends, &srv->config->backend))
		log_warning("out of memory: the backend addresses of the old "
		    "configuration stay in use");
	atomic_fetch_add(&r->open_sessions, srv->session_count);
}

static void
switch_other_worker(struct server *srv, void *arg)
{
	struct reload *r = arg;

	switch_server(srv, r, r->worker_rebinds[srv->worker_index]);
	r->worker_rebinds[srv->worker_index] = NULL;
}

/*
 * Switches every worker, then frees the old state.  The old contexts and
 * config go only once each worker has switched: until then its listeners
 * point into them.  Sessions in flight keep their own references to the
 * old contexts.
 */
static void
switch_to(struct server *srv, struct reload *r)
{
	struct config *old_config = srv->config;
	struct tls_context **old_tls = srv->tls;

	tls_ticket_keys_install(r->ticket_keys);
	log_setup(r->config->global.log, r->config->global.log_level);
	log_set_format(r->config->global.log_format);

	switch_server(srv, r, r->rebinds);
	r->rebinds = NULL;
	workers_run_on_each(srv, switch_other_worker, r);
	free(r->worker_rebinds);
	r->worker_rebinds = NULL;

	contexts_free(old_config, old_tls);
	config_free(old_config);
	free(old_config);
}

void
server_reload(struct server *srv, const char *reason)
{
	struct reload r = { 0 };
	char *error_text = NULL;
	size_t error_size = 0, open_sessions;

	if (srv->draining) {
		log_info("%s while draining: not reloading", reason);
		return;
	}
	log_info("%s: reloading %s", reason, srv->config->path);
	notify_reloading();

	r.config = calloc(1, sizeof(*r.config));
	r.errors = open_memstream(&error_text, &error_size);
	if (r.config == NULL || r.errors == NULL) {
		log_error("reload of %s failed: out of memory",
		    srv->config->path);
		metrics_reload(srv, false);
		if (r.errors != NULL)
			fclose(r.errors);
		free(error_text);
		free(r.config);
		notify_ready();
		return;
	}

	build_next_state(&r, srv);
	fclose(r.errors);

	if (r.error_count > 0) {
		log_failure(srv, error_text, r.error_count);
		metrics_reload(srv, false);
		discard_listeners(&r, srv->listener_count);
		tls_ticket_keys_free(r.ticket_keys);
		if (r.tls != NULL)
			contexts_free(r.config, r.tls);
		config_free(r.config);
		free(r.config);
		free(error_text);
		notify_ready();
		return;
	}
	free(error_text);

	switch_to(srv, &r);
	watch_files_start(srv);
	metrics_reload(srv, true);
	admin_config_reloaded(srv);
	open_sessions = atomic_load(&r.open_sessions);
	log_info("reloaded %s: new sessions use the new certificate, key and "
	    "policy; %zu open session%s %s previous TLS context",
	    srv->config->path, open_sessions, open_sessions == 1 ? "" : "s",
	    open_sessions == 1 ? "keeps its" : "keep their");
	notify_ready();
}
