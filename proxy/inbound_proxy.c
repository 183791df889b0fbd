/*
 * Reading the PROXY header of a listener with accept_proxy (see
 * inbound_proxy.h).  Nothing is sent to a connection whose header is
 * missing or invalid: the peer is a load balancer, not an SMTP client, so a
 * reply would reach no one who can act on it.  The warning line of such a
 * close is rate-limited like the limit lines.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/admission.h"
#include "proxy/inbound_proxy.h"
#include "proxy/trusted_networks.h"
#include "proxy/listener.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "smtp/dialogue.h"
#include "smtp/proxy_header_parse.h"
#include "smtp/reply.h"

/* Closes s without a reply.  The warning line is rate-limited to one a
 * second, and session_close() always writes the close line. */
static void
reject(struct session *s, const char *reason, const char *detail)
{
	unsigned suppressed;

	if (admission_warning_due(s->server, LIMIT_PROXY_HEADER, &suppressed))
		session_log(s, CONFIG_LOG_WARNING, "PROXY header rejected "
		    "listener=%s detail=\"%s\" suppressed=%u",
		    s->listener->config->name, detail, suppressed);
	session_close(s, reason, detail);
}

static unsigned
accepted_versions(enum config_accept_proxy accept)
{
	switch (accept) {
	case CONFIG_ACCEPT_PROXY_V1:
		return SMTP_PROXY_ACCEPT_V1;
	case CONFIG_ACCEPT_PROXY_V2:
		return SMTP_PROXY_ACCEPT_V2;
	case CONFIG_ACCEPT_PROXY_ANY:
		return SMTP_PROXY_ACCEPT_V1 | SMTP_PROXY_ACCEPT_V2;
	case CONFIG_ACCEPT_PROXY_NO:
		break;
	}
	return 0;
}

bool
inbound_proxy_start(struct session *s)
{
	const struct config_listener *l = s->listener->config;

	if (!trusted_networks_contain(l->trusted_proxies, l->trusted_proxy_count,
	    (const struct sockaddr *)&s->client_addr)) {
		reject(s, "proxy_untrusted", "the connection comes from an "
		    "address outside trusted_proxies");
		return false;
	}

	s->proxy_parser = malloc(sizeof(*s->proxy_parser));
	if (s->proxy_parser == NULL) {
		session_close(s, "out_of_memory", NULL);
		return false;
	}
	smtp_proxy_parser_init(s->proxy_parser,
	    accepted_versions(l->accept_proxy));
	session_set_state(s, SESSION_PROXY_HEADER);
	session_arm_timer(s);
	session_update_reading(s);
	return true;
}

/*
 * Takes the addresses of a complete header: the client's and the one it
 * connected to.  A header without addresses (LOCAL, UNKNOWN) leaves the
 * connection's own.  Then writes the session's open line.
 */
static void
take_addresses(struct session *s, const struct smtp_proxy_result *r)
{
	char local[INET6_ADDRSTRLEN + 8];

	memcpy(s->via, s->peer, sizeof(s->via));
	if (!r->local) {
		s->client_addr = r->source;
		s->local_addr = r->destination;
		session_format_address(&s->client_addr, s->peer,
		    sizeof(s->peer));
	}
	session_format_address(&s->local_addr, local, sizeof(local));
	session_log(s, CONFIG_LOG_INFO, "open listener=%s local=%s mode=%s "
	    "via=%s proxy=v%d%s%s", s->listener->config->name, local,
	    config_mode_name(s->listener->config->mode), s->via, r->version,
	    r->local ? " proxy_addresses=none" : "", s->server->worker_field);
}

/*
 * Hands the bytes that followed the header in the same read to the
 * protocol that now runs.  buf is taken over.
 */
static void
pass_on(struct session *s, char *buf, size_t offset, size_t len)
{
	size_t space = 0;
	char *into;

	if (len == 0 || s->state == SESSION_CLOSING) {
		free(buf);
		return;
	}
	if (s->state == SESSION_PRETLS) {
		/* A read in SESSION_PROXY_HEADER on a STARTTLS listener is at
		 * most SMTP_COMMAND_LINE_MAX bytes, which a fresh dialogue
		 * always has room for. */
		into = smtp_dialogue_input_space(s->dialogue, &space);
		if (len > space)
			len = space;
		memcpy(into, buf + offset, len);
		free(buf);
		smtp_dialogue_commit(s->dialogue, len);
		relay_run_dialogue(s);
		return;
	}

	uv_buf_t rest = uv_buf_init(buf, (unsigned)len);

	memmove(buf, buf + offset, len);
	relay_on_client_read((uv_stream_t *)&s->client, (ssize_t)len, &rest);
}

/*
 * Ends a STARTTLS session whose header completed while subtls drains, as
 * draining ends the sessions that had not sent STARTTLS yet.  An implicit
 * TLS session goes on instead: its client hears the 421 after the handshake.
 */
static void
close_draining(struct session *s)
{
	char reply[SMTP_REPLY_LINE_MAX];
	size_t n = smtp_reply_shutting_down(reply, sizeof(reply),
	    s->server->config->global.hostname);
	char *copy = malloc(n);

	if (copy != NULL) {
		memcpy(copy, reply, n);
		session_write_client(s, copy, n);
	}
	if (s->state != SESSION_CLOSING)
		session_close(s, "shutdown", "before STARTTLS");
}

void
inbound_proxy_read(struct session *s, ssize_t nread, const uv_buf_t *buf)
{
	enum smtp_proxy_parse_status status;
	size_t used = 0;

	if (nread <= 0) {
		free(buf->base);
		if (nread == UV_EOF)
			session_close(s, "client_closed", "before the PROXY "
			    "header");
		else if (nread < 0)
			session_close(s, "client_read_failed",
			    uv_strerror((int)nread));
		return;
	}

	status = smtp_proxy_parse(s->proxy_parser,
	    (const unsigned char *)buf->base, (size_t)nread, &used);
	if (status == SMTP_PROXY_PARSE_MORE) {
		free(buf->base);
		return;
	}
	if (status == SMTP_PROXY_PARSE_ERROR) {
		free(buf->base);
		reject(s, "proxy_header_invalid",
		    smtp_proxy_parse_error(s->proxy_parser));
		return;
	}

	take_addresses(s, smtp_proxy_parse_result(s->proxy_parser));
	free(s->proxy_parser);
	s->proxy_parser = NULL;
	s->last_activity_ms = uv_now(&s->server->loop);

	/* Per-client limits count the address from the header, so they are
	 * checked only now.  The global limits were checked at accept. */
	if (!admission_admit_client(s)) {
		free(buf->base);
		return;
	}
	if (s->server->draining &&
	    s->listener->config->mode == CONFIG_MODE_STARTTLS) {
		free(buf->base);
		close_draining(s);
		return;
	}
	/* NOTE: on an implicit TLS listener the handshake starts here even
	 * when max_handshakes_in_progress is reached, because the pause that
	 * enforces it acts at accept.  Sessions still reading their header
	 * can so exceed the limit by their number. */
	session_begin(s);
	pass_on(s, buf->base, used, (size_t)nread - used);
}

void
inbound_proxy_timeout(struct session *s)
{
	reject(s, "proxy_header_timeout", "no complete PROXY header within "
	    "handshake_timeout");
}
