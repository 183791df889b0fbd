/*
 * The backend connection: connect over TCP or a unix socket, send the client's
 * identity (PROXY header) in a single write, and on STARTTLS listeners consume
 * the backend's own greeting, because the client already had subtls's.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/backend_pool.h"
#include "proxy/listener.h"
#include "proxy/metrics.h"
#include "proxy/server.h"
#include "proxy/session.h"
#include "smtp/proxy_header.h"
#include "smtp/reply.h"
#include "tls/engine.h"

void
backend_reply_unavailable(struct session *s, const char *reason,
    const char *detail)
{
	char reply[256];
	size_t n;

	session_log(s, CONFIG_LOG_WARNING, "backend=%s unavailable: %s",
	    s->backend_name[0] != '\0' ? s->backend_name : "none", detail);
	n = smtp_reply_backend_unavailable(reply, sizeof(reply),
	    s->server->config->global.hostname);
	if (!session_reply_tls(s, reply, n))
		return;
	session_close(s, reason, detail);
}

static void
on_backend_closed_for_retry(uv_handle_t *handle)
{
	struct session *s = handle->data;

	if (s->state == SESSION_CLOSING) {
		session_handle_closed(handle);
		return;
	}
	s->open_handles--;
	backend_connect(s);
}

/*
 * Closes the backend connection and connects to the next address that is
 * up, while the client has seen nothing of the backend yet.  Returns false
 * when that is too late or no address is up.
 */
static bool
retry_next_address(struct session *s)
{
	bool early = s->state == SESSION_BACKEND_CONNECT ||
	    (session_greeting_due(s) && s->bytes_in == 0);

	if (!early || !s->backend_open ||
	    backend_pool_pick(s->server->backends) == NULL)
		return false;

	/* An implicit TLS session started following the conversation. */
	conversation_free(s);
	s->xclient = XCLIENT_OFF;
	s->client_waiting = false;
	s->backend_reading = false;
	s->backend_shut = false;
	s->backend_open = false;
	session_set_state(s, SESSION_BACKEND_CONNECT);
	uv_close(&s->backend.handle, on_backend_closed_for_retry);
	return true;
}

/*
 * Ends a session whose backend connect failed.  An error of subtls's own (no
 * descriptor or memory left) is no fault of the backend, so the address
 * stays up.
 */
static void
connect_failed(struct session *s, int status)
{
	metrics_backend_connect_failed(s->server, s->backend_name);
	if (status == UV_EMFILE || status == UV_ENFILE ||
	    status == UV_ENOBUFS || status == UV_ENOMEM) {
		backend_reply_unavailable(s, "local_resources",
		    uv_strerror(status));
		return;
	}
	backend_failed(s, "backend_unavailable", uv_strerror(status));
}

void
backend_failed(struct session *s, const char *reason, const char *detail)
{
	backend_pool_failed(s->server->backends, s->backend_name, detail);
	if (retry_next_address(s)) {
		session_log(s, CONFIG_LOG_INFO, "backend=%s failed (%s): "
		    "trying the next address", s->backend_name, detail);
		return;
	}
	backend_reply_unavailable(s, reason, detail);
}

/* Encodes the PROXY v2 header, with the TLS facts when proxy_tlvs = yes. */
static size_t
encode_proxy_v2(struct session *s, unsigned char *out, size_t cap)
{
	const struct sockaddr *client = (const struct sockaddr *)&s->client_addr;
	const struct sockaddr *local = (const struct sockaddr *)&s->local_addr;
	char subject[256], fingerprint[65];
	struct smtp_proxy_tls tls;

	if (!s->server->config->backend.proxy_tlvs)
		return smtp_proxy_v2_encode(out, cap, client, local);

	/* A presented certificate was verified: the handshake fails when it
	 * does not chain to client_ca. */
	tls.version = tls_engine_version(s->tls);
	tls.cipher = tls_engine_cipher(s->tls);
	tls.sni = tls_engine_sni(s->tls);
	tls.client_cert = tls_engine_client_certificate(s->tls, subject,
	    sizeof(subject), fingerprint, sizeof(fingerprint));
	tls.client_cert_verified = tls.client_cert;
	return smtp_proxy_v2_encode_tls(out, cap, client, local, &tls);
}

/* Sends the PROXY header, if configured.  False if the session closed. */
static bool
send_identity(struct session *s)
{
	enum config_identity identity = s->server->config->backend.identity;
	char *header;
	size_t n = 0;

	/* XCLIENT goes out later, before the client's first command. */
	if (identity == CONFIG_IDENTITY_NONE ||
	    identity == CONFIG_IDENTITY_XCLIENT)
		return true;
	header = malloc(SMTP_PROXY_HEADER_TLS_MAX);
	if (header == NULL) {
		session_close(s, "out_of_memory", NULL);
		return false;
	}
	if (identity == CONFIG_IDENTITY_PROXY_V2)
		n = encode_proxy_v2(s, (unsigned char *)header,
		    SMTP_PROXY_HEADER_TLS_MAX);
	else
		n = smtp_proxy_v1_encode(header, SMTP_PROXY_HEADER_TLS_MAX,
		    (const struct sockaddr *)&s->client_addr,
		    (const struct sockaddr *)&s->local_addr);
	if (n == 0) {
		free(header);
		session_close(s, "identity_failed",
		    "cannot encode the client address");
		return false;
	}
	/* One write: Postfix reads the header with a single peek. */
	session_write_backend(s, header, n);
	return s->state != SESSION_CLOSING;
}

static void
on_backend_connected(uv_connect_t *req, int status)
{
	struct session *s = req->data;

	free(req);
	/* Canceled: the session ended, or moves to the next address. */
	if (s->state == SESSION_CLOSING || status == UV_ECANCELED)
		return;
	if (status == UV_EACCES) {
		metrics_backend_connect_failed(s->server, s->backend_name);
		backend_failed(s, "backend_unavailable",
		    "permission denied: the user subtls runs as cannot use the "
		    "backend socket (for Postfix's public/ directory: group = "
		    "postdrop)");
		return;
	}
	if (status < 0) {
		connect_failed(s, status);
		return;
	}
	metrics_backend_connected(s->server, s->backend_name,
	    uv_hrtime() - s->backend_connect_started_ns);
	if (!send_identity(s))
		return;

	if (s->listener->config->mode == CONFIG_MODE_STARTTLS) {
		smtp_reply_reader_init(&s->greeting);
		session_set_state(s, SESSION_BACKEND_GREETING);
		session_update_reading(s);
		return;
	}
	session_set_state(s, SESSION_RELAYING);
	session_arm_timer(s);
	conversation_start(s);
	conversation_from_client(s);
}

void
backend_connect(struct session *s)
{
	const struct config_backend_address *cfg;
	uv_loop_t *loop = &s->server->loop;
	uv_connect_t *connect;
	int rc = 0;

	session_set_state(s, SESSION_BACKEND_CONNECT);
	session_arm_timer(s);
	session_update_reading(s);

	cfg = backend_pool_pick(s->server->backends);
	if (cfg == NULL) {
		backend_reply_unavailable(s, "backend_down", "every backend "
		    "address is marked down");
		return;
	}
	snprintf(s->backend_name, sizeof(s->backend_name), "%s", cfg->text);
	connect = malloc(sizeof(*connect));
	if (connect == NULL) {
		connect_failed(s, UV_ENOMEM);
		return;
	}

	if (cfg->is_unix)
		uv_pipe_init(loop, &s->backend.pipe, 0);
	else {
		uv_tcp_init(loop, &s->backend.tcp);
		uv_tcp_nodelay(&s->backend.tcp, 1);
	}
	s->backend.handle.data = s;
	s->backend_open = true;
	s->open_handles++;
	connect->data = s;
	s->backend_connect_started_ns = uv_hrtime();

	/* on_backend_connected() frees the request; it is not called when
	 * uv_tcp_connect() fails at once. */
	if (cfg->is_unix)
		uv_pipe_connect(connect, &s->backend.pipe, cfg->unix_path,
		    on_backend_connected);
	else
		rc = uv_tcp_connect(connect, &s->backend.tcp,
		    (const struct sockaddr *)&cfg->tcp, on_backend_connected);
	if (rc != 0) {
		free(connect);
		connect_failed(s, rc);
	}
}

void
backend_greeting_input(struct session *s, const char *data, size_t len)
{
	size_t used = 0;
	char detail[64];

	switch (smtp_reply_reader_feed(&s->greeting, data, len, &used)) {
	case SMTP_REPLY_INCOMPLETE:
		return;
	case SMTP_REPLY_INVALID:
		backend_failed(s, "backend_bad_greeting",
		    "its greeting is not an SMTP reply");
		return;
	case SMTP_REPLY_COMPLETE:
		break;
	}
	if (s->greeting.code != 220) {
		snprintf(detail, sizeof(detail), "greeting code %d",
		    s->greeting.code);
		/* The greeting replies to a PROXY header that names the
		 * client, so a 4xx or 5xx may reject this client alone
		 * (Postfix: a connection limit, an IPv6 address with
		 * inet_protocols = ipv4).  The address stays up. */
		backend_reply_unavailable(s, "backend_rejected", detail);
		return;
	}

	/* RFC 3207 section 4.2: the client starts over with EHLO, which now
	 * goes to the backend. */
	session_set_state(s, SESSION_RELAYING);
	session_arm_timer(s);
	conversation_start(s);
	if (used < len && s->state == SESSION_RELAYING)
		conversation_from_backend(s, data + used, len - used);
	else
		conversation_from_client(s);
}
