/*
 * subtls: a TLS-terminating proxy for SMTP submission.
 *
 * main() reads the configuration, builds the TLS contexts, binds the
 * listeners, drops privileges and runs one event loop until SIGTERM or
 * SIGINT has drained the sessions.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "config/config.h"
#include "proxy/contexts.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "tls/build_info.h"
#include "tls/context.h"

#define SUBTLS_VERSION "0.1.0"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: subtls [-t] -c FILE\n"
	    "       subtls -V\n"
	    "  -c FILE  configuration file (INI)\n"
	    "  -t       check the configuration, print the effective settings "
	    "and exit\n"
	    "  -V       print the versions of subtls, wolfSSL and libuv\n");
}

static void
print_versions(void)
{
	printf("subtls %s\n", SUBTLS_VERSION);
	tls_print_build_info(stdout);
	printf("libuv %s\n", uv_version_string());
}

/* Switches to the configured user and group after the sockets are bound. */
static int
drop_privileges(const struct config_global *g)
{
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (g->user == NULL)
		return 0;
	pw = getpwnam(g->user);
	if (pw == NULL) {
		log_error("user '%s' not found", g->user);
		return -1;
	}
	gid = pw->pw_gid;
	if (g->group != NULL) {
		gr = getgrnam(g->group);
		if (gr == NULL) {
			log_error("group '%s' not found", g->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_error("cannot switch to user '%s': %s", g->user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_error("privileges were not dropped: setuid(0) still works");
		return -1;
	}
	log_info("running as user %s (uid %u, gid %u)", g->user,
	    (unsigned)pw->pw_uid, (unsigned)gid);
	return 0;
}

static void
on_signal(uv_signal_t *handle, int signum)
{
	server_drain(handle->data, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void
log_start(const struct server *srv)
{
	const struct config *cfg = srv->config;

	for (size_t i = 0; i < cfg->listener_count; i++) {
		const struct config_listener *l = &cfg->listeners[i];

		for (size_t j = 0; j < l->address_count; j++)
			log_info("listener %s: %s on %s", l->name,
			    config_mode_name(l->mode), l->addresses[j].text);
	}
	log_info("subtls %s started: backend %s, identity %s, wolfSSL %s",
	    SUBTLS_VERSION, cfg->backend.address,
	    config_identity_name(cfg->backend.identity), tls_library_version());
	if (cfg->backend.identity == CONFIG_IDENTITY_NONE)
		log_warning("identity = none: the backend sees every client as "
		    "subtls's own address, so a Postfix that permits "
		    "mynetworks would relay for anyone; use proxy-v2");
	contexts_warn_weakened(srv);
}

static int
run(struct server *srv)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)getpid() << 32;
	srv->session_id_base = seed;

	uv_loop_init(&srv->loop);
	uv_timer_init(&srv->loop, &srv->drain_timer);
	srv->drain_timer.data = srv;
	uv_signal_init(&srv->loop, &srv->sigterm);
	uv_signal_init(&srv->loop, &srv->sigint);
	srv->sigterm.data = srv->sigint.data = srv;

	if (listeners_open(srv) != 0 ||
	    drop_privileges(&srv->config->global) != 0) {
		listeners_close(srv);
		uv_close((uv_handle_t *)&srv->drain_timer, NULL);
		uv_close((uv_handle_t *)&srv->sigterm, NULL);
		uv_close((uv_handle_t *)&srv->sigint, NULL);
		uv_run(&srv->loop, UV_RUN_DEFAULT);
		listeners_free(srv);
		uv_loop_close(&srv->loop);
		return 1;
	}
	uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
	uv_signal_start(&srv->sigint, on_signal, SIGINT);
	log_start(srv);

	uv_run(&srv->loop, UV_RUN_DEFAULT);

	listeners_free(srv);
	if (uv_loop_close(&srv->loop) != 0)
		log_warning("event loop closed with handles still open");
	log_info("stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	bool check_only = false;
	struct config cfg;
	struct server srv;
	unsigned errors;
	int opt, status;

	while ((opt = getopt(argc, argv, "c:htV")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'V':
			print_versions();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}

	signal(SIGPIPE, SIG_IGN);
	if (tls_library_init() != 0) {
		fprintf(stderr, "subtls: cannot initialize wolfSSL\n");
		return 1;
	}
	errors = config_load(&cfg, path, stderr);
	memset(&srv, 0, sizeof(srv));
	srv.config = &cfg;
	if (errors == 0)
		contexts_build(&srv, stderr, &errors);
	if (errors > 0) {
		fprintf(stderr, "subtls: %s: %u error%s, not started\n", path,
		    errors, errors == 1 ? "" : "s");
		status = 1;
	} else if (check_only) {
		config_print(&cfg, stdout);
		contexts_print(&srv, stdout);
		status = 0;
	} else {
		log_setup(cfg.global.log, cfg.global.log_level);
		status = run(&srv);
	}

	contexts_free(&srv);
	config_free(&cfg);
	tls_library_cleanup();
	return status;
}
