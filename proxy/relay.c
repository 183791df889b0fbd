/*
 * The byte pumps of a session: the pre-TLS dialogue, the TLS handshake, and
 * the relay in both directions.
 *
 * Flow control keeps one chunk in flight per direction.  The client is read
 * only while the TLS engine contains no unread ciphertext and no write to the
 * backend is pending.  The backend is read only while no write to the client
 * is pending.  A slow side therefore stops the other, and memory per session
 * stays bounded whatever the message size.  Buffers exist only while data is
 * in flight: allocated for a read, freed once written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/admission.h"
#include "proxy/inbound_proxy.h"
#include "proxy/listener.h"
#include "proxy/metrics.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "smtp/dialogue.h"
#include "tls/engine.h"

/* Replies collected from one read before they are written in one go. */
#define DIALOGUE_BATCH (8 * SMTP_DIALOGUE_REPLY_MAX)

/* The content type of a TLS handshake record (RFC 8446 section 5.1). */
#define TLS_RECORD_HANDSHAKE 0x16

/* Returns the first address of a listener of mode, or NULL if none. */
static const char *
listener_address(const struct config *cfg, enum config_listener_mode mode)
{
	for (size_t i = 0; i < cfg->listener_count; i++) {
		const struct config_listener *l = &cfg->listeners[i];

		if (l->mode == mode && l->address_count > 0)
			return l->addresses[0].text;
	}
	return NULL;
}

static void
log_too_many_errors(struct session *s)
{
	unsigned suppressed;

	metrics_limit_refusal(s->listener, "max_errors");
	if (admission_warning_due(s->server, LIMIT_MAX_ERRORS, &suppressed))
		session_log(s, CONFIG_LOG_WARNING, "limit reached listener=%s "
		    "limit=max_errors value=%u action=closed suppressed=%u",
		    s->listener->config->name,
		    s->server->config->global.max_errors, suppressed);
}

/* Closes a session whose pre-TLS dialogue ended without STARTTLS. */
static void
dialogue_closed(struct session *s, enum smtp_close_reason why)
{
	char detail[256];
	const char *implicit;

	switch (why) {
	case SMTP_CLOSE_STARTTLS_PIPELINING:
		session_log(s, CONFIG_LOG_WARNING, "rejected: command "
		    "pipelined after STARTTLS (CVE-2011-0411 class)");
		metrics_starttls_injection(s);
		break;
	case SMTP_CLOSE_TOO_MANY_ERRORS:
		log_too_many_errors(s);
		break;
	case SMTP_CLOSE_HTTP_COMMAND:
		session_close(s, smtp_close_reason_name(why), "an HTTP request "
		    "on an SMTP listener (cross-protocol attack)");
		return;
	case SMTP_CLOSE_TLS_CLIENT_HELLO:
		implicit = listener_address(s->server->config,
		    CONFIG_MODE_IMPLICIT);
		if (implicit != NULL)
			snprintf(detail, sizeof(detail), "the client sent a TLS "
			    "ClientHello without STARTTLS: it speaks implicit "
			    "TLS and should use the implicit TLS listener %s",
			    implicit);
		else
			snprintf(detail, sizeof(detail), "the client sent a TLS "
			    "ClientHello without STARTTLS: it speaks implicit "
			    "TLS, and no implicit TLS listener is configured");
		session_close(s, smtp_close_reason_name(why), detail);
		return;
	default:
		break;
	}
	session_close(s, smtp_close_reason_name(why), NULL);
}

void
relay_on_client_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct session *s = handle->data;
	size_t len = 0;

	(void)suggested;
	if (s->state == SESSION_PRETLS) {
		/* Plaintext goes straight into the dialogue's line buffer. */
		buf->base = smtp_dialogue_input_space(s->dialogue, &len);
		buf->len = len;
		return;
	}
	/* The bytes after a PROXY header go into a fresh dialogue on a
	 * STARTTLS listener, so a read must fit there. */
	if (s->state == SESSION_PROXY_HEADER &&
	    s->listener->config->mode == CONFIG_MODE_STARTTLS) {
		buf->base = malloc(SMTP_COMMAND_LINE_MAX);
		buf->len = buf->base != NULL ? SMTP_COMMAND_LINE_MAX : 0;
		return;
	}
	buf->base = malloc(SESSION_READ_SIZE);
	buf->len = buf->base != NULL ? SESSION_READ_SIZE : 0;
}

void
relay_on_backend_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	(void)handle;
	(void)suggested;
	buf->base = malloc(SESSION_READ_SIZE);
	buf->len = buf->base != NULL ? SESSION_READ_SIZE : 0;
}

static void
start_tls(struct session *s)
{
	smtp_dialogue_free(s->dialogue);
	s->dialogue = NULL;
	s->tls = tls_engine_new(s->listener->tls);
	if (s->tls == NULL) {
		session_close(s, "tls_session_failed",
		    TLS_SESSION_FAILED_DETAIL);
		return;
	}
	session_set_state(s, SESSION_TLS_HANDSHAKE);
	session_arm_timer(s);
}

/*
 * Sends the 220 to STARTTLS that waited for a handshake slot, and starts
 * the handshake with a fresh handshake_timeout.
 */
void
relay_release_starttls(struct session *s)
{
	char *reply = s->held_reply;

	s->held_reply = NULL;
	session_write_client(s, reply, s->held_reply_len);
	if (s->state != SESSION_STARTTLS_HELD)
		return;
	start_tls(s);
	if (s->state != SESSION_CLOSING)
		session_update_reading(s);
}

/*
 * Keeps the 220 to STARTTLS, the last reply_len bytes of batch, until a
 * handshake slot is free.  The client waits for it and sends nothing, so
 * reading stops, and the handshake timeout bounds the wait.
 */
static bool
hold_starttls(struct session *s, const char *reply, size_t reply_len)
{
	s->held_reply = malloc(reply_len);
	if (s->held_reply == NULL) {
		session_close(s, "out_of_memory", NULL);
		return false;
	}
	memcpy(s->held_reply, reply, reply_len);
	s->held_reply_len = reply_len;
	session_set_state(s, SESSION_STARTTLS_HELD);
	admission_hold_starttls(s);
	session_arm_timer(s);
	return true;
}

/*
 * Replies to the buffered command lines.  Replies are batched per read, and
 * reading pauses until the batch has been written (see
 * session_update_reading), so a client that pipelines thousands of NOOPs
 * and never reads cannot make subtls queue their replies.
 */
void
relay_run_dialogue(struct session *s)
{
	char *batch = malloc(DIALOGUE_BATCH);
	size_t len = 0, n = 0;
	enum smtp_step step = SMTP_STEP_NEED_INPUT;
	bool hold = false;

	if (batch == NULL) {
		session_close(s, "out_of_memory", NULL);
		return;
	}
	s->dialogue_paused = false;
	while (DIALOGUE_BATCH - len >= SMTP_DIALOGUE_REPLY_MAX) {
		step = smtp_dialogue_step(s->dialogue, batch + len, &n);
		len += n;
		if (step != SMTP_STEP_REPLY)
			break;
		session_arm_timer(s);
	}
	if (step == SMTP_STEP_REPLY)
		s->dialogue_paused = true;

	/* The 220 to STARTTLS is the last reply of the batch, because
	 * anything after STARTTLS gives 554 instead. */
	if (step == SMTP_STEP_STARTTLS &&
	    admission_starttls_must_wait(s->server)) {
		hold = true;
		if (!hold_starttls(s, batch + len - n, n)) {
			free(batch);
			return;
		}
		len -= n;
	}
	session_write_client(s, batch, len);

	switch (step) {
	case SMTP_STEP_STARTTLS:
		if (!hold)
			start_tls(s);
		break;
	case SMTP_STEP_CLOSE:
		dialogue_closed(s, smtp_dialogue_close_reason(s->dialogue));
		return;
	default:
		break;
	}
	if (s->state != SESSION_CLOSING)
		session_update_reading(s);
}

/*
 * Checks the first byte that the handshake receives.  A ClientHello comes in
 * a handshake record, and printable ASCII there is plaintext.  On an
 * implicit TLS listener it comes from a client that should use STARTTLS.
 * After STARTTLS it is a command sent behind the 220 reply, which must never
 * be read as a command (CVE-2011-0411 class), so the session ends here
 * instead of in a TLS error.  Other bytes are left to the TLS engine.
 * Returns false if the session closed.
 */
static bool
handshake_first_byte(struct session *s, unsigned char byte)
{
	char detail[256];
	const char *starttls;

	s->tls_input_seen = true;
	if (byte == TLS_RECORD_HANDSHAKE ||
	    !((byte >= 0x20 && byte <= 0x7e) || byte == '\r' || byte == '\n')) {
		s->tls_handshake_begun = true;
		return true;
	}

	s->tls_failed = true;
	if (s->listener->config->mode == CONFIG_MODE_STARTTLS) {
		session_log(s, CONFIG_LOG_WARNING, "rejected: plaintext after "
		    "the 220 reply to STARTTLS (CVE-2011-0411 class)");
		metrics_starttls_injection(s);
		session_close(s, "plaintext_after_starttls", NULL);
		return false;
	}

	starttls = listener_address(s->server->config, CONFIG_MODE_STARTTLS);
	if (starttls != NULL)
		snprintf(detail, sizeof(detail), "the client sent plaintext "
		    "instead of a TLS ClientHello: it speaks SMTP without TLS "
		    "and should use the STARTTLS listener %s", starttls);
	else
		snprintf(detail, sizeof(detail), "the client sent plaintext "
		    "instead of a TLS ClientHello: it speaks SMTP without TLS, "
		    "and no STARTTLS listener is configured");
	session_close(s, "plaintext_on_tls_port", detail);
	return false;
}

static void
handshake_progress(struct session *s)
{
	enum tls_status st = tls_engine_handshake(s->tls);

	if (!session_flush_tls(s))
		return;
	switch (st) {
	case TLS_WANT_INPUT:
		return;
	case TLS_DONE:
		break;
	case TLS_PEER_CLOSED:
		session_close(s, "client_closed", "during the TLS handshake");
		return;
	case TLS_FAILED:
		s->tls_failed = true;
		session_close(s, "tls_handshake_failed",
		    tls_engine_error(s->tls));
		return;
	}
	s->tls_established = true;
	metrics_handshake_completed(s);
	session_log(s, CONFIG_LOG_DEBUG, "tls=%s cipher=%s",
	    tls_engine_version(s->tls), tls_engine_cipher(s->tls));
	if (s->server->draining) {
		conversation_drain_close(s);
		return;
	}
	/* On a STARTTLS listener the ban was checked before the greeting. */
	if (s->listener->config->mode == CONFIG_MODE_IMPLICIT &&
	    conversation_refuse_banned(s))
		return;
	backend_connect(s);
}

/*
 * Half-closes the backend once the client is done sending and everything it
 * sent has been followed and written.
 */
void
relay_shutdown_backend(struct session *s)
{
	if (!s->client_finished || s->backend_shut || s->backend_writes > 0 ||
	    conversation_client_blocked(s))
		return;
	s->backend_shut = true;
	s->backend_shutdown.data = s;
	if (uv_shutdown(&s->backend_shutdown, &s->backend.stream, NULL) != 0)
		session_close(s, "client_closed", NULL);
}

void
relay_client_finished(struct session *s)
{
	s->client_finished = true;
	relay_shutdown_backend(s);
}

void
relay_on_client_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct session *s = stream->data;

	if (s->state == SESSION_PROXY_HEADER) {
		inbound_proxy_read(s, nread, buf);
		return;
	}
	if (s->state == SESSION_PRETLS) {
		/* buf points into the dialogue, which owns it. */
		if (nread > 0) {
			smtp_dialogue_commit(s->dialogue, (size_t)nread);
			relay_run_dialogue(s);
		} else if (nread < 0)
			session_close(s, nread == UV_EOF ? "client_closed" :
			    "client_read_failed", nread == UV_EOF ? NULL :
			    uv_strerror((int)nread));
		return;
	}
	if (s->state == SESSION_STARTTLS_HELD) {
		/* Not read while held; a read already under way ends here,
		 * because the TLS engine does not exist yet. */
		free(buf->base);
		if (nread != 0)
			session_close(s, nread > 0 ? "starttls_pipelining" :
			    "client_closed", NULL);
		return;
	}
	if (nread <= 0) {
		free(buf->base);
		if (nread == 0)
			return;
		if (nread == UV_EOF && s->state == SESSION_RELAYING) {
			/* A TCP close without close_notify ends the relay
			 * the same way; only the debug log records it. */
			session_log(s, CONFIG_LOG_DEBUG, "client closed "
			    "without close_notify");
			relay_client_finished(s);
			session_update_reading(s);
			return;
		}
		s->tls_failed = true;
		session_close(s, nread == UV_EOF ? "client_closed" :
		    "client_read_failed", nread == UV_EOF ? NULL :
		    uv_strerror((int)nread));
		return;
	}

	s->last_activity_ms = uv_now(&s->server->loop);
	if (s->state == SESSION_TLS_HANDSHAKE && !s->tls_input_seen &&
	    !handshake_first_byte(s, (unsigned char)buf->base[0])) {
		free(buf->base);
		return;
	}
	tls_engine_push_input(s->tls, buf->base, (size_t)nread);
	if (s->state == SESSION_TLS_HANDSHAKE)
		handshake_progress(s);
	else if (s->state == SESSION_RELAYING)
		conversation_from_client(s);
	if (s->state != SESSION_CLOSING)
		session_update_reading(s);
}

void
relay_on_backend_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct session *s = stream->data;

	if (nread > 0) {
		s->last_activity_ms = uv_now(&s->server->loop);
		if (s->state == SESSION_BACKEND_GREETING)
			backend_greeting_input(s, buf->base, (size_t)nread);
		else if (s->state == SESSION_RELAYING)
			conversation_from_backend(s, buf->base, (size_t)nread);
		free(buf->base);
		return;
	}
	free(buf->base);
	if (nread == 0)
		return;
	/* A backend that ends before its first byte refused the session: the
	 * client gets a 421 on either kind of listener, not a silent close. */
	if (session_greeting_due(s)) {
		backend_failed(s, "backend_closed",
		    nread == UV_EOF ? "closed before its greeting" :
		    uv_strerror((int)nread));
		return;
	}
	if (s->bytes_out == 0) {
		backend_reply_unavailable(s, "backend_closed",
		    nread == UV_EOF ? "closed after its greeting" :
		    uv_strerror((int)nread));
		return;
	}
	if (nread == UV_EOF)
		conversation_backend_lost(s, s->client_finished ?
		    "client_closed" : "backend_closed", NULL);
	else
		conversation_backend_lost(s, "backend_read_failed",
		    uv_strerror((int)nread));
}

void
relay_client_write_done(struct session *s)
{
	if (s->client_writes > 0)
		return;
	if (s->state == SESSION_PRETLS && s->dialogue_paused)
		relay_run_dialogue(s);
	else
		session_update_reading(s);
}

void
relay_backend_write_done(struct session *s)
{
	if (s->backend_writes > 0)
		return;
	conversation_from_client(s);
}
