/*
 * The end of a relaying session that subtls decides, because the backend
 * connection was lost or subtls is shutting down.  Either way the client
 * gets a reply it can act on before the close, whenever the TLS session can
 * still carry one.  That reply is never one that reads as the acceptance of
 * a message.
 */
#include <stdio.h>

#include "proxy/server.h"
#include "proxy/session.h"
#include "smtp/follower.h"
#include "smtp/reply.h"

/* Sends reply over TLS, then closes; the reply is skipped when TLS is not up. */
static void
reply_and_close(struct session *s, const char *reply, size_t len,
    const char *reason, const char *detail)
{
	if (len > 0 && s->tls_established && !s->tls_failed) {
		s->bytes_out += len;
		if (!session_reply_closing(s, reply, len))
			return;
	}
	session_close(s, reason, detail);
}

void
conversation_backend_lost(struct session *s, const char *reason,
    const char *detail)
{
	char reply[SMTP_REPLY_LINE_MAX];
	size_t n;
	bool in_transaction;

	/* A client that is gone needs no reply, and one that got the
	 * backend's own 221 or 421 expects the close. */
	if (s->client_finished || s->backend_said_goodbye || s->follower == NULL) {
		session_close(s, reason, detail);
		return;
	}
	in_transaction = smtp_follower_in_transaction(s->follower);
	session_log(s, CONFIG_LOG_WARNING, "backend=%s lost %s a transaction: "
	    "%s", s->backend_name, in_transaction ? "inside" : "outside",
	    detail != NULL ? detail : "closed");
	n = smtp_reply_backend_lost(reply, sizeof(reply),
	    s->server->config->global.hostname, in_transaction);
	reply_and_close(s, reply, n, reason, detail);
}

/* Whether the session waits for nothing but its client's next command. */
static bool
between_transactions(const struct session *s)
{
	return s->follower != NULL &&
	    !smtp_follower_in_transaction(s->follower) &&
	    smtp_follower_pending(s->follower) == 0 && s->refusal == NULL &&
	    s->xclient != XCLIENT_HELD && s->xclient != XCLIENT_SENT;
}

void
conversation_drain_check(struct session *s)
{
	char reply[SMTP_REPLY_LINE_MAX];
	size_t n;

	if (!s->server->draining || s->state != SESSION_RELAYING ||
	    !between_transactions(s))
		return;
	n = smtp_reply_shutting_down(reply, sizeof(reply),
	    s->server->config->global.hostname);
	reply_and_close(s, reply, n, "shutdown", "between transactions");
}

void
conversation_drain_close(struct session *s)
{
	char reply[SMTP_REPLY_LINE_MAX];
	size_t n = smtp_reply_shutting_down(reply, sizeof(reply),
	    s->server->config->global.hostname);

	reply_and_close(s, reply, n, "shutdown", "drain timeout");
}
