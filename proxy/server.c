/*
 * Running and stopping one event loop's server: signals and the drain.
 * SIGTERM reaches the main thread's server, which passes the drain on to
 * every other worker and stops once they all have.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/admin.h"
#include "proxy/backend_pool.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/notify.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "proxy/watch.h"
#include "proxy/worker.h"
#include "smtp/reply.h"

static void
on_closed_ignore(uv_handle_t *handle)
{
	(void)handle;
}

/* Closes the server's own handles so that uv_run() can return.  Only the
 * main thread's server has the signal handles, the watch and the admin
 * listener. */
static void
server_finish(struct server *srv)
{
	if (srv->worker_index == 0)
		log_info("all sessions closed, stopping");
	if (!uv_is_closing((uv_handle_t *)&srv->drain_timer))
		uv_close((uv_handle_t *)&srv->drain_timer, on_closed_ignore);
	if (srv->worker_index == 0) {
		if (!uv_is_closing((uv_handle_t *)&srv->sigterm))
			uv_close((uv_handle_t *)&srv->sigterm,
			    on_closed_ignore);
		if (!uv_is_closing((uv_handle_t *)&srv->sigint))
			uv_close((uv_handle_t *)&srv->sigint, on_closed_ignore);
		if (!uv_is_closing((uv_handle_t *)&srv->sighup))
			uv_close((uv_handle_t *)&srv->sighup, on_closed_ignore);
		watch_files_stop(srv);
		admin_close(srv->admin);
	}
	backend_pool_free(srv->backends);
	srv->backends = NULL;
	workers_server_finished(srv);
}

void
server_check_finished(struct server *srv)
{
	if (srv->draining && srv->session_count == 0 &&
	    !uv_is_closing((uv_handle_t *)&srv->drain_timer) &&
	    workers_others_finished(srv))
		server_finish(srv);
}

static void
on_drain_timeout(uv_timer_t *timer)
{
	struct server *srv = timer->data;

	log_warning("drain timeout: closing %zu open session%s",
	    srv->session_count, srv->session_count == 1 ? "" : "s");
	while (srv->sessions != NULL)
		conversation_drain_close(srv->sessions);
}

/*
 * Tells the sessions that wait for their client's next command that subtls
 * stops: 421 4.3.2 and close.  Sessions inside a transaction, and those
 * still in the handshake or connecting to the backend, get it later (see
 * conversation_drain_check).
 */
static void
drain_sessions(struct server *srv)
{
	struct session *s = srv->sessions, *next;
	char reply[SMTP_REPLY_LINE_MAX], *copy;
	size_t n;

	n = smtp_reply_shutting_down(reply, sizeof(reply),
	    srv->config->global.hostname);
	while (s != NULL) {
		/* The session leaves the list when it closes. */
		next = s->next;
		if (s->state == SESSION_RELAYING)
			conversation_drain_check(s);
		else if (s->state == SESSION_PRETLS) {
			copy = malloc(n);
			if (copy != NULL) {
				memcpy(copy, reply, n);
				session_write_client(s, copy, n);
			}
			if (s->state != SESSION_CLOSING)
				session_close(s, "shutdown",
				    "before STARTTLS");
		}
		s = next;
	}
}

void
server_drain(struct server *srv, const char *signal_name)
{
	if (srv->draining) {
		log_info("%s again: closing %zu open session%s now",
		    signal_name, srv->session_count,
		    srv->session_count == 1 ? "" : "s");
		workers_drain(srv, signal_name);
		sessions_close_all(srv, "shutdown");
		return;
	}
	srv->draining = true;
	if (srv->worker_index == 0)
		notify_stopping();
	workers_drain(srv, signal_name);
	srv->drain_deadline_ms = uv_now(&srv->loop) +
	    srv->config->global.drain_timeout_ms;
	listeners_close(srv);
	log_info("%s: stopped accepting, draining %zu session%s for up to "
	    "%llu s (send it again to close them now)", signal_name,
	    srv->session_count, srv->session_count == 1 ? "" : "s",
	    (unsigned long long)(srv->config->global.drain_timeout_ms / 1000));
	if (srv->session_count == 0) {
		server_check_finished(srv);
		return;
	}
	drain_sessions(srv);
	uv_timer_start(&srv->drain_timer, on_drain_timeout,
	    srv->config->global.drain_timeout_ms, 0);
}

void
server_session_gone(struct server *srv)
{
	srv->session_count--;
	server_check_finished(srv);
}
