/*
 * subtls: a TLS-terminating proxy for SMTP submission.
 *
 * main() reads the configuration, builds the TLS context and the ticket
 * keys, binds the listeners, drops privileges, starts the other workers
 * (proxy/worker.h) and runs the main thread's event loop until SIGTERM or
 * SIGINT has drained the sessions of every worker.  SIGHUP reloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config/config.h"
#include "proxy/admin.h"
#include "proxy/backend_pool.h"
#include "proxy/contexts.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/notify.h"
#include "proxy/privileges.h"
#include "proxy/reload.h"
#include "proxy/auth_throttle.h"
#include "proxy/client_limits.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "proxy/watch.h"
#include "proxy/worker.h"
#include "tls/build_info.h"
#include "tls/context.h"
#include "tls/session_cache.h"
#include "tls/tickets.h"

#define SUBTLS_VERSION "0.1.0"

#define IDENTITY_NONE_WARNING \
	"identity = none: the backend sees every client as subtls's own " \
	"address, so a Postfix that permits mynetworks would relay for " \
	"anyone; use proxy-v2"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: subtls [-t] -c FILE\n"
	    "       subtls -V\n"
	    "       subtls -h\n"
	    "  -c FILE  configuration file (INI)\n"
	    "  -t       check the configuration, print the effective settings "
	    "and exit\n"
	    "  -V       print the versions of subtls, wolfSSL and libuv\n"
	    "  -h       print this help and exit (also --help)\n");
}

static void
print_versions(void)
{
	printf("subtls %s\n", SUBTLS_VERSION);
	tls_print_build_info(stdout);
	printf("libuv %s\n", uv_version_string());
}

/* Descriptors that are not sessions': listening sockets, the log, the
 * event loop's own, the spare.  An estimate with room to spare. */
#define RESERVED_DESCRIPTORS 32

/*
 * Raises the open-file limit to its hard maximum, because each session
 * needs two descriptors, and warns when max_sessions does not fit in it.
 * At the limit subtls sheds new connections (proxy/listener.c).
 */
static void
raise_file_limit(const struct server *srv)
{
	const struct config_global *global = &srv->config->global;
	unsigned long long reserved = RESERVED_DESCRIPTORS, sessions;
	struct rlimit limit;
	size_t addresses = 0;

	/* Each further worker has its own listening sockets, event loop
	 * descriptors (epoll and the async eventfd) and spare descriptor. */
	for (size_t i = 0; i < srv->config->listener_count; i++)
		addresses += srv->config->listeners[i].address_count;
	reserved += (workers_count(srv) - 1ULL) * (3 + addresses);

	if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
		return;
	if (limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &limit);
		(void)getrlimit(RLIMIT_NOFILE, &limit);
	}
	sessions = limit.rlim_cur > reserved ?
	    (limit.rlim_cur - reserved) / 2 : 0;
	log_info("file descriptor limit %llu, enough for about %llu sessions",
	    (unsigned long long)limit.rlim_cur, sessions);
	if (sessions < global->max_sessions)
		log_warning("max_sessions = %u needs about %llu descriptors, "
		    "but the limit is %llu: connections beyond about %llu "
		    "sessions are closed at once; raise the hard limit "
		    "(LimitNOFILE= in a systemd unit) or lower max_sessions",
		    global->max_sessions,
		    2ULL * global->max_sessions + reserved,
		    (unsigned long long)limit.rlim_cur, sessions);
}

/*
 * Warns when the backend's unix socket cannot be used by the user subtls now
 * runs as.  Only a warning: the backend may simply not be running yet.
 * started_as_root selects the hint, because only a subtls started as root
 * may set "group".  An unprivileged one gets its groups from its parent.
 */
static void
check_backend_socket(const struct config_backend_address *backend,
    bool started_as_root)
{
	const char *hint = started_as_root ? "group = postdrop" :
	    "start subtls with postdrop as a supplementary group, such as "
	    "SupplementaryGroups=postdrop in a systemd unit or "
	    "supplementalGroups in a Kubernetes pod";

	if (!backend->is_unix || access(backend->unix_path, R_OK | W_OK) == 0)
		return;
	if (errno == ENOENT)
		log_warning("backend=%s: the socket does not exist yet; is the "
		    "backend running?", backend->text);
	else
		log_warning("backend=%s: this process (uid %u) cannot connect: "
		    "%s; give it access to the socket (for Postfix's public/ "
		    "directory: %s)", backend->text, (unsigned)geteuid(),
		    strerror(errno), hint);
}

static void
on_signal(uv_signal_t *handle, int signum)
{
	server_drain(handle->data, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void
on_sighup(uv_signal_t *handle, int signum)
{
	(void)signum;
	server_reload(handle->data, "SIGHUP");
}

static void
log_start(const struct server *srv)
{
	const struct config *cfg = srv->config;

	for (size_t i = 0; i < cfg->listener_count; i++) {
		const struct config_listener *l = &cfg->listeners[i];

		for (size_t j = 0; j < l->address_count; j++)
			log_info("listening listener=%s mode=%s address=%s",
			    l->name, config_mode_name(l->mode),
			    l->addresses[j].text);
	}
	for (size_t i = 0; i < cfg->backend.address_count; i++)
		log_info("backend address=%s", cfg->backend.addresses[i].text);
	log_info("subtls %s started backends=%zu identity=%s wolfssl=%s "
	    "workers=%u", SUBTLS_VERSION, cfg->backend.address_count,
	    config_identity_name(cfg->backend.identity), tls_library_version(),
	    workers_count(srv));
	if (cfg->backend.identity == CONFIG_IDENTITY_NONE)
		log_warning("%s", IDENTITY_NONE_WARNING);
	contexts_warn_weakened(srv->config, srv->tls);
}

/* Returns the number of workers that the configuration sets. */
static unsigned
configured_workers(const struct config_global *global)
{
	if (global->workers == CONFIG_WORKERS_AUTO)
		return workers_auto_count(CONFIG_WORKERS_MAX);
	return global->workers;
}

static int
run(struct server *srv)
{
	static struct server_shared shared;
	/* Read before privileges_drop() changes the uid. */
	bool started_as_root = geteuid() == 0;
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)getpid() << 32;
	srv->session_id_base = seed;
	srv->shared = &shared;
	srv->worker_count = configured_workers(&srv->config->global);
	srv->throttle = auth_throttle_new();
	srv->client_limits = client_limits_new();
	srv->metrics = metrics_new(srv->config->listener_count, SUBTLS_VERSION);
	if (srv->throttle == NULL || srv->client_limits == NULL ||
	    srv->metrics == NULL) {
		log_error("out of memory");
		auth_throttle_free(srv->throttle);
		client_limits_free(srv->client_limits);
		metrics_free(srv->metrics);
		return 1;
	}
	/* Closed and reopened to shed a connection when descriptors run
	 * out (proxy/listener.c); a failure here only loses that. */
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	uv_loop_init(&srv->loop);
	srv->backends = backend_pool_new(&srv->loop, &srv->config->backend);
	if (srv->backends == NULL) {
		log_error("out of memory");
		uv_loop_close(&srv->loop);
		auth_throttle_free(srv->throttle);
		return 1;
	}
	uv_timer_init(&srv->loop, &srv->drain_timer);
	srv->drain_timer.data = srv;
	uv_signal_init(&srv->loop, &srv->sigterm);
	uv_signal_init(&srv->loop, &srv->sigint);
	uv_signal_init(&srv->loop, &srv->sighup);
	srv->sigterm.data = srv->sigint.data = srv->sighup.data = srv;

	notify_open();
	if (privileges_check_start(&srv->config->global) != 0 ||
	    listeners_open(srv) != 0 ||
	    workers_open(srv, srv->worker_count) != 0 ||
	    admin_open(srv) != 0 ||
	    privileges_drop(&srv->config->global, srv->config->path) != 0 ||
	    workers_run(srv) != 0) {
		workers_abandon(srv);
		listeners_close(srv);
		admin_close(srv->admin);
		uv_close((uv_handle_t *)&srv->drain_timer, NULL);
		uv_close((uv_handle_t *)&srv->sigterm, NULL);
		uv_close((uv_handle_t *)&srv->sigint, NULL);
		uv_close((uv_handle_t *)&srv->sighup, NULL);
		backend_pool_free(srv->backends);
		uv_run(&srv->loop, UV_RUN_DEFAULT);
		workers_join(srv);
		listeners_free(srv);
		admin_free(srv->admin);
		metrics_free(srv->metrics);
		uv_loop_close(&srv->loop);
		auth_throttle_free(srv->throttle);
		client_limits_free(srv->client_limits);
		if (srv->spare_fd >= 0)
			close(srv->spare_fd);
		return 1;
	}
	uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
	uv_signal_start(&srv->sigint, on_signal, SIGINT);
	uv_signal_start(&srv->sighup, on_sighup, SIGHUP);
	log_start(srv);
	raise_file_limit(srv);
	for (size_t i = 0; i < srv->config->backend.address_count; i++)
		check_backend_socket(&srv->config->backend.addresses[i],
		    started_as_root);
	/* Probes the backend once, so that the first /readyz finds a result.
	 * It runs after the chroot and the switch of user, as sessions do. */
	if (srv->admin != NULL)
		backend_pool_check(srv->backends);
	watch_files_start(srv);
	log_startup_done();
	notify_ready();

	uv_run(&srv->loop, UV_RUN_DEFAULT);

	workers_join(srv);
	listeners_free(srv);
	admin_free(srv->admin);
	metrics_free(srv->metrics);
	auth_throttle_free(srv->throttle);
	client_limits_free(srv->client_limits);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	if (uv_loop_close(&srv->loop) != 0)
		log_warning("event loop closed with handles still open");
	log_info("stopped");
	return 0;
}

/*
 * Writes what loading the certificates reported (warnings such as a
 * certificate that expires soon, or an OCSP response that is not stapled)
 * to the log, one line each, so that with log = syslog nothing goes to
 * stderr.
 */
static void
log_load_messages(const char *messages)
{
	const char *line = messages;

	while (line != NULL && *line != '\0') {
		size_t length = strcspn(line, "\n");

		log_warning("%.*s", (int)length, line);
		line += length + (line[length] == '\n');
	}
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	bool check_only = false;
	struct config *cfg;
	struct tls_ticket_keys *ticket_keys = NULL;
	struct server srv;
	unsigned errors;
	int opt, status;
	char *tls_messages = NULL;
	size_t tls_messages_size = 0;
	FILE *tls_output;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
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
		if (path == NULL)
			fprintf(stderr, "subtls: missing -c FILE\n");
		else
			fprintf(stderr, "subtls: unexpected argument '%s'\n",
			    argv[optind]);
		usage(stderr);
		return 2;
	}

	signal(SIGPIPE, SIG_IGN);
	if (tls_library_init() != 0) {
		fprintf(stderr, "subtls: cannot initialize wolfSSL\n");
		return 1;
	}
	/* On the heap: a reload replaces it (proxy/reload.c). */
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		fprintf(stderr, "subtls: out of memory\n");
		return 1;
	}
	errors = config_load(cfg, path, stderr);
	memset(&srv, 0, sizeof(srv));
	srv.config = cfg;
	if (errors == 0) {
		/* Kept until the log is set up; stderr if memory runs out. */
		tls_output = open_memstream(&tls_messages, &tls_messages_size);
		srv.tls = contexts_build(cfg,
		    tls_output != NULL ? tls_output : stderr, &errors);
		if (tls_output != NULL)
			fclose(tls_output);
	}
	if (errors == 0)
		ticket_keys = tls_ticket_keys_load(&cfg->tls, stderr, &errors);
	if (ticket_keys != NULL)
		tls_ticket_keys_install(ticket_keys);
	if (errors > 0 || check_only) {
		fputs(tls_messages != NULL ? tls_messages : "", stderr);
		free(tls_messages);
		tls_messages = NULL;
	}
	if (errors > 0) {
		fprintf(stderr, "subtls: %s: %u error%s, not started\n", path,
		    errors, errors == 1 ? "" : "s");
		status = 1;
	} else if (check_only) {
		config_print(cfg, stdout);
		contexts_print(cfg, srv.tls, stdout);
		tls_ticket_keys_print(stdout);
		if (cfg->backend.identity == CONFIG_IDENTITY_NONE)
			fprintf(stderr, "subtls: %s: warning: %s\n", path,
			    IDENTITY_NONE_WARNING);
		/* The file is fine for a start as another user (the systemd
		 * unit), so this is only a warning. */
		if (geteuid() == 0 && cfg->global.user == NULL &&
		    !cfg->global.allow_root)
			fprintf(stderr, "subtls: %s: warning: no user in "
			    "[global] and allow_root is not yes, so a start as "
			    "root would be refused; a start as another user "
			    "works\n", path);
		status = 0;
	} else {
		log_setup(cfg->global.log, cfg->global.log_level);
		log_set_format(cfg->global.log_format);
		log_load_messages(tls_messages);
		free(tls_messages);
		status = run(&srv);
	}

	contexts_free(srv.config, srv.tls);
	tls_ticket_keys_cleanup();
	tls_session_cache_cleanup();
	config_free(srv.config);
	free(srv.config);
	tls_library_cleanup();
	return status;
}
