/*
 * One client connection of smtp-load: TCP connect, TLS through wolfSSL over
 * custom I/O callbacks, and the SMTP dialogue, driven by the replies.
 *
 * wolfSSL never touches the socket.  The receive callback hands it the
 * ciphertext of the current libuv read, and the send callback writes at once
 * with uv_try_write() and queues what the socket did not take.  Every reply
 * is checked against the code the step expects; anything else ends the
 * session with an error of the matching kind.  session_close() is the only
 * way out and frees everything but the slot itself.
 */
#include "test/bench/smtp-load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_CHUNK 16384
#define BODY_HIGH_WATER (256 * 1024)	/* queued bytes before the body waits */

struct write_request {
	uv_write_t request;
	struct session *session;
	size_t length;
	char data[];
};

static void drive_tls(struct session *s);
static void session_send_body(struct session *s);

const char *
session_state_name(enum session_state state)
{
	static const char *const names[] = {
		[SESSION_FREE] = "free",
		[SESSION_CONNECTING] = "connect",
		[SESSION_GREETING] = "greeting",
		[SESSION_EHLO] = "EHLO",
		[SESSION_STARTTLS] = "STARTTLS",
		[SESSION_HANDSHAKE] = "TLS handshake",
		[SESSION_AUTH] = "AUTH",
		[SESSION_MAIL] = "MAIL",
		[SESSION_RCPT] = "RCPT",
		[SESSION_DATA] = "DATA",
		[SESSION_BODY] = "message body",
		[SESSION_DATA_END] = "end of data",
		[SESSION_HOLD] = "hold",
		[SESSION_QUIT] = "QUIT",
		[SESSION_CLOSING] = "closing",
	};

	return names[state];
}

/* Moves the session to state and restarts the step timeout, if the step has one. */
static void
session_set_state(struct session *s, enum session_state state)
{
	s->state = state;
	if (state == SESSION_HOLD || state == SESSION_CLOSING ||
	    state == SESSION_FREE)
		s->deadline_ns = 0;
	else
		s->deadline_ns = uv_hrtime() + (uint64_t)(options.timeout * 1e9);
}

static bool
session_closed(const struct session *s)
{
	return s->state == SESSION_CLOSING || s->state == SESSION_FREE;
}

static void
on_closed(uv_handle_t *handle)
{
	struct session *s = handle->data;
	struct worker *w = s->worker;

	session_set_state(s, SESSION_FREE);
	w->free_slots[w->free_count++] = s - w->sessions;
	w->active--;
	worker_launch(w);
	worker_finish_if_done(w);
}

static void
record_error(struct session *s, enum error_kind kind, const char *fmt,
    va_list ap)
{
	struct load_stats *stats = &s->worker->stats;
	int n;

	stats->errors[kind]++;
	if (stats->first_error[0] != '\0')
		return;
	n = snprintf(stats->first_error, sizeof(stats->first_error),
	    "%s error on connection %d.%llu: ", error_kind_name(kind),
	    s->worker->index, (unsigned long long)s->number);
	if (n > 0 && (size_t)n < sizeof(stats->first_error))
		vsnprintf(stats->first_error + n,
		    sizeof(stats->first_error) - (size_t)n, fmt, ap);
}

void
session_close(struct session *s, enum error_kind kind, const char *fmt, ...)
{
	struct worker *w = s->worker;
	va_list ap;

	if (session_closed(s))
		return;

	if (kind != ERROR_NONE) {
		va_start(ap, fmt);
		record_error(s, kind, fmt, ap);
		va_end(ap);
	}
	if (s->opening) {
		s->opening = false;
		w->opening--;
	}
	if (s->ssl != NULL) {
		wolfSSL_free(s->ssl);
		s->ssl = NULL;
	}
	s->input_length = 0;
	session_set_state(s, SESSION_CLOSING);
	uv_read_stop((uv_stream_t *)&s->tcp);
	uv_close((uv_handle_t *)&s->tcp, on_closed);
	worker_mark_ready_if_done(w);
}

static void
on_written(uv_write_t *request, int status)
{
	struct write_request *r = (struct write_request *)request;
	struct session *s = r->session;

	s->queued -= r->length;
	free(r);
	if (session_closed(s))
		return;
	if (status < 0) {
		session_close(s, ERROR_CLOSED, "write failed in state %s: %s",
		    session_state_name(s->state), uv_strerror(status));
		return;
	}
	if (s->state == SESSION_BODY && s->queued < BODY_HIGH_WATER / 2)
		session_send_body(s);
}

/* Writes to the socket now and queues the rest.  Returns false when the socket failed. */
static bool
write_raw(struct session *s, const char *data, size_t length)
{
	uv_buf_t buf = uv_buf_init((char *)data, (unsigned)length);
	struct write_request *r;
	int n = 0;

	if (s->queued == 0) {
		n = uv_try_write((uv_stream_t *)&s->tcp, &buf, 1);
		if (n < 0 && n != UV_EAGAIN)
			return false;
		if (n < 0)
			n = 0;
	}
	if ((size_t)n == length)
		return true;

	r = malloc(sizeof(*r) + length - (size_t)n);
	if (r == NULL)
		return false;
	r->session = s;
	r->length = length - (size_t)n;
	memcpy(r->data, data + n, r->length);
	buf = uv_buf_init(r->data, (unsigned)r->length);
	if (uv_write(&r->request, (uv_stream_t *)&s->tcp, &buf, 1,
	    on_written) != 0) {
		free(r);
		return false;
	}
	s->queued += r->length;
	return true;
}

static int
tls_receive(WOLFSSL *ssl, char *buf, int size, void *context)
{
	struct session *s = context;
	size_t n = s->input_length;

	(void)ssl;
	if (n == 0)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	if (n > (size_t)size)
		n = (size_t)size;
	memcpy(buf, s->input, n);
	s->input += n;
	s->input_length -= n;
	return (int)n;
}

static int
tls_send(WOLFSSL *ssl, char *buf, int size, void *context)
{
	struct session *s = context;

	(void)ssl;
	if (!write_raw(s, buf, (size_t)size)) {
		s->write_failed = true;
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	}
	return size;
}

static const char *
tls_error_text(WOLFSSL *ssl, int ret, char *buf, size_t size)
{
	int error = wolfSSL_get_error(ssl, ret);

	wolfSSL_ERR_error_string_n((unsigned long)error, buf, size);
	wolfSSL_ERR_clear_error();
	return buf;
}

/*
 * Sends bytes over TLS once it is on, else in plaintext.  Returns false after
 * closing the session on a failure.
 */
static bool
session_send(struct session *s, const char *data, size_t length)
{
	char reason[128];
	int ret;

	if (!s->tls) {
		if (write_raw(s, data, length))
			return true;
		session_close(s, ERROR_CLOSED, "write failed in state %s",
		    session_state_name(s->state));
		return false;
	}

	ret = wolfSSL_write(s->ssl, data, (int)length);
	if (ret == (int)length)
		return true;
	if (s->write_failed)
		session_close(s, ERROR_CLOSED, "write failed in state %s",
		    session_state_name(s->state));
	else
		session_close(s, ERROR_TLS, "wolfSSL_write failed in state %s: %s",
		    session_state_name(s->state),
		    tls_error_text(s->ssl, ret, reason, sizeof(reason)));
	return false;
}

__attribute__((format(printf, 3, 4)))
static void
send_command(struct session *s, enum session_state next, const char *fmt, ...)
{
	char command[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(command, sizeof(command), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(command)) {
		session_close(s, ERROR_SMTP, "command longer than %zu bytes",
		    sizeof(command));
		return;
	}
	session_set_state(s, next);
	session_send(s, command, (size_t)n);
}

static void
start_message(struct session *s)
{
	s->mail_ns = uv_hrtime();
	send_command(s, SESSION_MAIL, "MAIL FROM:<%s>\r\n", options.from);
}

void
session_quit(struct session *s)
{
	send_command(s, SESSION_QUIT, "QUIT\r\n");
}

static void
session_send_body(struct session *s)
{
	while (s->body_offset < options.message_length &&
	    s->queued < BODY_HIGH_WATER) {
		size_t chunk = options.message_length - s->body_offset;

		if (chunk > BODY_CHUNK)
			chunk = BODY_CHUNK;
		if (!session_send(s, options.message + s->body_offset, chunk))
			return;
		s->body_offset += chunk;
		session_set_state(s, SESSION_BODY);
	}
	if (s->body_offset == options.message_length)
		session_set_state(s, SESSION_DATA_END);
}

/* Starts the first message, or holds the session in an idle run, once EHLO
 * (and AUTH, if requested) succeeded on TLS. */
static void
session_established(struct session *s)
{
	struct worker *w = s->worker;

	if (s->opening) {
		s->opening = false;
		w->opening--;
	}
	if (options.idle > 0) {
		session_set_state(s, SESSION_HOLD);
		w->stats.idle_established++;
		atomic_fetch_add(&idle_established_total, 1);
		worker_mark_ready_if_done(w);
		worker_launch(w);
		if (w->stopping)
			session_quit(s);
		return;
	}
	worker_launch(w);
	if (w->stopping || options.messages == 0)
		session_quit(s);
	else
		start_message(s);
}

static void
message_accepted(struct session *s)
{
	struct worker *w = s->worker;

	w->stats.messages++;
	histogram_add(&w->stats.message_latency,
	    (uv_hrtime() - s->mail_ns) / 1000);
	s->messages_done++;
	if (s->messages_done < options.messages && !w->stopping)
		start_message(s);
	else
		session_quit(s);
}

/* Keeps the session (with its ticket, if any) for the slot's next connection. */
static void
save_tls_session(struct session *s)
{
	WOLFSSL_SESSION *saved = wolfSSL_get1_session(s->ssl);

	if (saved != NULL) {
		wolfSSL_SESSION_free(s->saved);
		s->saved = saved;
	}
}

static void
quit_accepted(struct session *s)
{
	if (options.resume && s->ssl != NULL)
		save_tls_session(s);
	if (s->ssl != NULL)
		wolfSSL_shutdown(s->ssl);
	s->worker->stats.connections_completed++;
	session_close(s, ERROR_NONE, NULL);
}

static void
start_tls(struct session *s)
{
	struct worker *w = s->worker;
	const char *name = options.sni != NULL ? options.sni : options.host;

	s->ssl = wolfSSL_new(w->ctx);
	if (s->ssl == NULL) {
		session_close(s, ERROR_TLS, "wolfSSL_new failed: out of memory");
		return;
	}
	wolfSSL_SetIOReadCtx(s->ssl, s);
	wolfSSL_SetIOWriteCtx(s->ssl, s);
	if (options.sni != NULL &&
	    wolfSSL_UseSNI(s->ssl, WOLFSSL_SNI_HOST_NAME, options.sni,
	    (unsigned short)strlen(options.sni)) != WOLFSSL_SUCCESS) {
		session_close(s, ERROR_TLS, "wolfSSL_UseSNI failed");
		return;
	}
	if (options.cafile != NULL &&
	    wolfSSL_check_domain_name(s->ssl, name) != WOLFSSL_SUCCESS) {
		session_close(s, ERROR_TLS, "wolfSSL_check_domain_name failed");
		return;
	}
	if (options.resume && s->saved != NULL)
		wolfSSL_set_session(s->ssl, s->saved);

	s->tls = true;
	session_set_state(s, SESSION_HANDSHAKE);
	s->input_length = 0;
	drive_tls(s);
}

/* The reply to EHLO: STARTTLS before TLS, then AUTH or the first message. */
static void
ehlo_accepted(struct session *s)
{
	if (!s->tls) {
		send_command(s, SESSION_STARTTLS, "STARTTLS\r\n");
		return;
	}
	histogram_add(&s->worker->stats.setup_latency,
	    (uv_hrtime() - s->connect_ns) / 1000);
	if (options.auth_plain != NULL)
		send_command(s, SESSION_AUTH, "AUTH PLAIN %s\r\n",
		    options.auth_plain);
	else
		session_established(s);
}

static int
expected_code(enum session_state state)
{
	switch (state) {
	case SESSION_GREETING:
	case SESSION_STARTTLS:
		return 220;
	case SESSION_AUTH:
		return 235;
	case SESSION_DATA:
		return 354;
	case SESSION_QUIT:
		return 221;
	case SESSION_EHLO:
	case SESSION_MAIL:
	case SESSION_RCPT:
	case SESSION_DATA_END:
		return 250;
	default:
		return 0;	/* no reply expected in this state */
	}
}

/* Acts on the last line of a reply, given without its CRLF. */
static void
handle_reply(struct session *s, int code, const char *line)
{
	int expected = expected_code(s->state);

	if (expected == 0) {
		session_close(s, ERROR_SMTP, "unexpected reply in state %s: %.120s",
		    session_state_name(s->state), line);
		return;
	}
	if (code != expected && !(s->state == SESSION_RCPT && code == 251)) {
		session_close(s, ERROR_SMTP, "%s: expected %d, got %.120s",
		    session_state_name(s->state), expected, line);
		return;
	}

	switch (s->state) {
	case SESSION_GREETING:
		send_command(s, SESSION_EHLO, "EHLO %s\r\n", options.ehlo_name);
		break;
	case SESSION_EHLO:
		ehlo_accepted(s);
		break;
	case SESSION_STARTTLS:
		start_tls(s);
		break;
	case SESSION_AUTH:
		session_established(s);
		break;
	case SESSION_MAIL:
		send_command(s, SESSION_RCPT, "RCPT TO:<%s>\r\n", options.to);
		break;
	case SESSION_RCPT:
		send_command(s, SESSION_DATA, "DATA\r\n");
		break;
	case SESSION_DATA:
		s->body_offset = 0;
		session_set_state(s, SESSION_BODY);
		session_send_body(s);
		break;
	case SESSION_DATA_END:
		message_accepted(s);
		break;
	case SESSION_QUIT:
		quit_accepted(s);
		break;
	default:
		break;
	}
}

/* Checks one reply line ("250-..." or "250 ...") and acts on a last line. */
static void
handle_reply_line(struct session *s)
{
	const char *line = s->line;

	if (s->line_length < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' ||
	    (s->line_length > 3 && line[3] != ' ' && line[3] != '-')) {
		session_close(s, ERROR_SMTP, "malformed reply in state %s: %.120s",
		    session_state_name(s->state), line);
		return;
	}
	if (s->line_length > 3 && line[3] == '-')
		return;
	handle_reply(s, atoi(line), line);
}

/* Splits plaintext from the server into reply lines. */
static void
feed_plaintext(struct session *s, const char *data, size_t length)
{
	for (size_t i = 0; i < length && !session_closed(s); i++) {
		bool was_plain = !s->tls;

		if (data[i] != '\n') {
			if (s->line_length + 1 >= sizeof(s->line)) {
				session_close(s, ERROR_SMTP,
				    "reply line longer than %zu bytes in state %s",
				    sizeof(s->line) - 1,
				    session_state_name(s->state));
				return;
			}
			s->line[s->line_length++] = data[i];
			continue;
		}
		if (s->line_length > 0 && s->line[s->line_length - 1] == '\r')
			s->line_length--;
		s->line[s->line_length] = '\0';
		handle_reply_line(s);
		s->line_length = 0;

		/* RFC 3207 section 5: nothing may follow the 220 before TLS. */
		if (was_plain && s->tls && i + 1 < length) {
			session_close(s, ERROR_SMTP,
			    "plaintext after the STARTTLS reply");
			return;
		}
	}
}

static void
handshake_done(struct session *s)
{
	struct worker *w = s->worker;

	w->stats.handshakes++;
	if (wolfSSL_session_reused(s->ssl))
		w->stats.resumed++;
	if (w->stats.cipher[0] == '\0') {
		const char *cipher = wolfSSL_get_cipher_name(s->ssl);
		const char *group = wolfSSL_get_curve_name(s->ssl);

		snprintf(w->stats.cipher, sizeof(w->stats.cipher), "%s",
		    cipher != NULL ? cipher : "unknown");
		snprintf(w->stats.group, sizeof(w->stats.group), "%s",
		    group != NULL ? group : "none");
	}
	if (options.mode == MODE_IMPLICIT)
		session_set_state(s, SESSION_GREETING);
	else
		send_command(s, SESSION_EHLO, "EHLO %s\r\n", options.ehlo_name);
}

/* Feeds s->input to wolfSSL: the handshake first, then records of data. */
static void
drive_tls(struct session *s)
{
	char reason[128];
	int ret, error;

	if (s->state == SESSION_HANDSHAKE) {
		ret = wolfSSL_connect(s->ssl);
		if (ret != WOLFSSL_SUCCESS) {
			error = wolfSSL_get_error(s->ssl, ret);
			if (error == WOLFSSL_ERROR_WANT_READ && !s->write_failed)
				return;
			session_close(s, s->write_failed ? ERROR_CLOSED : ERROR_TLS,
			    "TLS handshake failed: %s",
			    tls_error_text(s->ssl, ret, reason, sizeof(reason)));
			return;
		}
		handshake_done(s);
	}

	while (!session_closed(s)) {
		ret = wolfSSL_read(s->ssl, s->worker->plaintext,
		    sizeof(s->worker->plaintext));
		if (ret > 0) {
			feed_plaintext(s, s->worker->plaintext, (size_t)ret);
			continue;
		}
		error = wolfSSL_get_error(s->ssl, ret);
		if (error == WOLFSSL_ERROR_WANT_READ && !s->write_failed)
			return;
		if (error == WOLFSSL_ERROR_ZERO_RETURN)
			session_close(s, ERROR_CLOSED,
			    "server sent close_notify in state %s",
			    session_state_name(s->state));
		else
			session_close(s, s->write_failed ? ERROR_CLOSED : ERROR_TLS,
			    "TLS read failed in state %s: %s",
			    session_state_name(s->state),
			    tls_error_text(s->ssl, ret, reason, sizeof(reason)));
	}
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct session *s = handle->data;

	(void)suggested;
	*buf = uv_buf_init(s->worker->read_buffer,
	    sizeof(s->worker->read_buffer));
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct session *s = stream->data;

	if (nread == 0 || session_closed(s))
		return;
	if (nread < 0) {
		session_close(s, ERROR_CLOSED, "%s in state %s",
		    nread == UV_EOF ? "server closed the connection" :
		    uv_strerror((int)nread), session_state_name(s->state));
		return;
	}

	if (!s->tls) {
		feed_plaintext(s, buf->base, (size_t)nread);
		return;
	}
	s->input = buf->base;
	s->input_length = (size_t)nread;
	drive_tls(s);
	if (!session_closed(s) && s->input_length > 0)
		session_close(s, ERROR_TLS, "wolfSSL left %zu bytes unread",
		    s->input_length);
}

static void
on_connected(uv_connect_t *request, int status)
{
	struct session *s = request->data;

	if (session_closed(s))
		return;
	if (status < 0) {
		session_close(s, ERROR_CONNECT, "connect to %s port %d failed: %s",
		    options.host, options.port, uv_strerror(status));
		return;
	}
	if (uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read) != 0) {
		session_close(s, ERROR_CONNECT, "uv_read_start failed");
		return;
	}
	if (options.mode == MODE_IMPLICIT)
		start_tls(s);
	else
		session_set_state(s, SESSION_GREETING);
}

static int
bind_source(struct session *s)
{
	struct sockaddr_in source = { .sin_family = AF_INET };
	unsigned index;

	if (options.source_count == 0)
		return 0;
	index = atomic_fetch_add(&source_next, 1) % options.source_count;
	source.sin_addr.s_addr = htonl(options.source_first + index);
	return uv_tcp_bind(&s->tcp, (const struct sockaddr *)&source, 0);
}

void
session_start(struct worker *w, struct session *s)
{
	int error;

	s->worker = w;
	s->number = w->stats.connections_started++;
	s->tls = false;
	s->write_failed = false;
	s->queued = 0;
	s->line_length = 0;
	s->messages_done = 0;
	s->opening = true;
	w->opening++;
	w->active++;
	w->budget--;
	s->connect_ns = uv_hrtime();
	session_set_state(s, SESSION_CONNECTING);

	uv_tcp_init(&w->loop, &s->tcp);
	s->tcp.data = s;
	s->connect_request.data = s;
	uv_tcp_nodelay(&s->tcp, 1);
	error = bind_source(s);
	if (error == 0)
		error = uv_tcp_connect(&s->connect_request, &s->tcp,
		    (const struct sockaddr *)&options.server, on_connected);
	if (error != 0)
		session_close(s, ERROR_CONNECT, "connect to %s port %d failed: %s",
		    options.host, options.port, uv_strerror(error));
}

void
session_check_deadline(struct session *s, uint64_t now)
{
	if (session_closed(s) || s->deadline_ns == 0 || now < s->deadline_ns)
		return;
	session_close(s, ERROR_TIMEOUT, "no progress in state %s within %g s",
	    session_state_name(s->state), options.timeout);
}

WOLFSSL_CTX *
tls_client_context(void)
{
	WOLFSSL_METHOD *method;
	WOLFSSL_CTX *ctx;

	switch (options.tls_version) {
	case TLS_VERSION_1_2:
		method = wolfTLSv1_2_client_method();
		break;
	case TLS_VERSION_1_3:
		method = wolfTLSv1_3_client_method();
		break;
	default:
		method = wolfSSLv23_client_method();
		break;
	}
	ctx = wolfSSL_CTX_new(method);
	if (ctx == NULL) {
		fprintf(stderr, "smtp-load: wolfSSL_CTX_new failed\n");
		return NULL;
	}
	if (wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS)
		goto failed;
	if (options.ciphers != NULL &&
	    wolfSSL_CTX_set_cipher_list(ctx, options.ciphers) != WOLFSSL_SUCCESS) {
		fprintf(stderr, "smtp-load: --ciphers %s: no cipher suite known to"
		    " wolfSSL\n", options.ciphers);
		goto failed;
	}
	if (options.insecure) {
		wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
	} else {
		if (wolfSSL_CTX_load_verify_locations(ctx, options.cafile, NULL) !=
		    WOLFSSL_SUCCESS) {
			fprintf(stderr, "smtp-load: --cafile %s: no PEM certificate"
			    " could be loaded\n", options.cafile);
			goto failed;
		}
		wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
	}
	if (options.resume && wolfSSL_CTX_UseSessionTicket(ctx) != WOLFSSL_SUCCESS)
		goto failed;
	wolfSSL_CTX_SetIORecv(ctx, tls_receive);
	wolfSSL_CTX_SetIOSend(ctx, tls_send);
	return ctx;

failed:
	fprintf(stderr, "smtp-load: cannot set up the TLS client context\n");
	wolfSSL_CTX_free(ctx);
	return NULL;
}
