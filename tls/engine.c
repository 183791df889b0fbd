/*
 * The per-session TLS engine over wolfSSL's I/O callbacks.
 *
 * Input is one malloc'd buffer of ciphertext at a time, consumed by the receive
 * callback and freed once empty.  Output is appended by the send callback to a
 * buffer that grows only with what one call produces (a handshake flight, or
 * the records for one write), because the caller takes it after every call.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/certificate.h"
#include "tls/client_hello.h"
#include "tls/context.h"
#include "tls/engine.h"
#include "tls/internal.h"

/* After tls/internal.h, which includes wolfssl/options.h first. */
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/hash.h>

/* The records a ClientHello may span, with their headers (client_hello.c
 * reads at most 16 KB of handshake message). */
#define HELLO_RECORDS_MAX (16384 + 4 * 5)

/* Maximum size of the error text kept for the close line, with its NUL. */
#define ENGINE_ERROR_MAX 128

struct tls_engine {
	WOLFSSL *ssl;
	struct tls_context *context;	/* one reference, for the session */
	bool accept_started;	/* wolfSSL_accept() has run */

	char *in;		/* ciphertext handed over by the caller */
	size_t in_len;
	size_t in_off;		/* bytes of in already consumed */

	char *out;		/* ciphertext waiting to be taken */
	size_t out_len;
	size_t out_cap;
	bool out_failed;	/* an allocation for out failed */

	/* The first bytes from the client, held until they contain the
	 * ClientHello (hold_hello_bytes), and what it offers. */
	uint8_t *hello_bytes;
	size_t hello_len;
	enum tls_client_hello_result hello_result;
	struct tls_client_hello hello;

	bool saw_input;		/* the first byte of the connection arrived */
	bool not_tls;		/* and it was not a TLS handshake record */

	char *error;		/* the last failure's text, allocated by the
				 * first failure: NULL before */
	bool error_lost;	/* no memory for that text */
};

/* wolfSSL errors that peers often cause, described for the close line. */
static const struct {
	int code;
	const char *text;
} peer_errors[] = {
	{ VERSION_ERROR, "the client offered no TLS version subtls allows" },
	{ MATCH_SUITE_ERROR, "no cipher suite in common with the client" },
	{ SOCKET_PEER_CLOSED_E, "the client closed the connection" },
};

/*
 * Holds the client's first bytes back from wolfSSL until they contain the
 * whole ClientHello, or cannot be one.  Then they become the input, so
 * that tls_certificates_prepare() sees the ClientHello before wolfSSL
 * parses its extensions.
 */
static void
hold_hello_bytes(struct tls_engine *e, char *buf, size_t len)
{
	uint8_t *grown = realloc(e->hello_bytes, e->hello_len + len);

	if (grown == NULL) {
		e->hello_result = TLS_CLIENT_HELLO_INVALID;
		e->in = buf;
		e->in_len = len;
		e->in_off = 0;
		return;
	}
	memcpy(grown + e->hello_len, buf, len);
	free(buf);
	e->hello_bytes = grown;
	e->hello_len += len;

	e->hello_result = e->hello_len > HELLO_RECORDS_MAX ?
	    TLS_CLIENT_HELLO_INVALID : tls_client_hello_parse(e->hello_bytes,
	    e->hello_len, &e->hello);
	if (e->hello_result == TLS_CLIENT_HELLO_INCOMPLETE)
		return;
	e->in = (char *)e->hello_bytes;
	e->in_len = e->hello_len;
	e->in_off = 0;
	e->hello_bytes = NULL;
	e->hello_len = 0;
}

const struct tls_client_hello *
tls_engine_client_hello(WOLFSSL *ssl)
{
	struct tls_engine *e = wolfSSL_GetIOReadCtx(ssl);

	if (e == NULL || e->hello_result != TLS_CLIENT_HELLO_PARSED)
		return NULL;
	return &e->hello;
}

static int
engine_receive(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_engine *e = arg;
	size_t n;

	(void)ssl;
	if (e->in == NULL)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	if (!e->saw_input) {
		/* 22 is a TLS handshake record; an SMTP client speaking
		 * plaintext on the implicit TLS port starts with a letter. */
		e->saw_input = true;
		e->not_tls = (unsigned char)e->in[e->in_off] != 22;
	}

	n = e->in_len - e->in_off;
	if (n > (size_t)sz)
		n = (size_t)sz;
	memcpy(buf, e->in + e->in_off, n);
	e->in_off += n;
	if (e->in_off == e->in_len) {
		free(e->in);
		e->in = NULL;
		e->in_len = e->in_off = 0;
	}
	return (int)n;
}

/* Never returns WANT_WRITE: output is buffered, so wolfSSL never retries. */
static int
engine_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_engine *e = arg;
	size_t need = e->out_len + (size_t)sz;

	(void)ssl;
	if (need > e->out_cap) {
		size_t cap = e->out_cap == 0 ? 4096 : e->out_cap;
		char *grown;

		while (cap < need)
			cap *= 2;
		grown = realloc(e->out, cap);
		if (grown == NULL) {
			e->out_failed = true;
			return WOLFSSL_CBIO_ERR_GENERAL;
		}
		e->out = grown;
		e->out_cap = cap;
	}
	memcpy(e->out + e->out_len, buf, (size_t)sz);
	e->out_len += (size_t)sz;
	return sz;
}

struct tls_engine *
tls_engine_new(struct tls_context *ctx)
{
	struct tls_engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->ssl = wolfSSL_new(ctx->ctx);
	if (e->ssl == NULL) {
		free(e);
		return NULL;
	}
	/*
	 * ALPACA: a client that offers ALPN without any of our protocols may
	 * have been redirected from another protocol (HTTPS, FTPS), so the
	 * handshake fails with no_application_protocol (RFC 7301 section
	 * 3.2).  A client that offers no ALPN at all is served.  wolfSSL 5.5.4
	 * ignores a fatal result of the select callback, so this per-session
	 * call is the way to get the alert.
	 */
	if (ctx->alpn[0] != '\0' && wolfSSL_UseALPN(e->ssl, ctx->alpn,
	    (unsigned)strlen(ctx->alpn), WOLFSSL_ALPN_FAILED_ON_MISMATCH) !=
	    WOLFSSL_SUCCESS) {
		wolfSSL_free(e->ssl);
		free(e);
		return NULL;
	}
	/* The session keeps its context, and whatever the context's
	 * callbacks use, until it ends, even across a reload. */
	e->context = tls_context_ref(ctx);
	wolfSSL_SSLSetIORecv(e->ssl, engine_receive);
	wolfSSL_SSLSetIOSend(e->ssl, engine_send);
	wolfSSL_SetIOReadCtx(e->ssl, e);
	wolfSSL_SetIOWriteCtx(e->ssl, e);
	return e;
}

void
tls_engine_free(struct tls_engine *e)
{
	if (e == NULL)
		return;
	wolfSSL_free(e->ssl);
	tls_context_free(e->context);
	free(e->hello_bytes);
	free(e->in);
	free(e->out);
	free(e->error);
	free(e);
}

void
tls_engine_push_input(struct tls_engine *e, char *buf, size_t len)
{
	if (len == 0) {
		free(buf);
		return;
	}
	if (!e->accept_started &&
	    e->hello_result == TLS_CLIENT_HELLO_INCOMPLETE) {
		hold_hello_bytes(e, buf, len);
		return;
	}
	/* The caller keeps to one buffer at a time (see engine.h). */
	if (e->in != NULL)
		abort();
	e->in = buf;
	e->in_len = len;
	e->in_off = 0;
}

bool
tls_engine_has_input(const struct tls_engine *e)
{
	return e->in != NULL;
}

/* Stores the text of the last failure, for tls_engine_error(). */
__attribute__((format(printf, 2, 3)))
static void
error_set(struct tls_engine *e, const char *fmt, ...)
{
	va_list ap;

	if (e->error == NULL && (e->error = malloc(ENGINE_ERROR_MAX)) == NULL) {
		e->error_lost = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(e->error, ENGINE_ERROR_MAX, fmt, ap);
	va_end(ap);
}

/* Turns a wolfSSL result other than success into a status. */
static enum tls_status
engine_status(struct tls_engine *e, int rc)
{
	int code = wolfSSL_get_error(e->ssl, rc);
	char text[WOLFSSL_MAX_ERROR_SZ];

	switch (code) {
	case WOLFSSL_ERROR_WANT_READ:
		return TLS_WANT_INPUT;
	case WOLFSSL_ERROR_ZERO_RETURN:
		return TLS_PEER_CLOSED;
	default:
		break;
	}
	if (e->out_failed)
		error_set(e, "out of memory");
	else if (e->not_tls)
		error_set(e, "the client did not start a TLS handshake "
		    "(plaintext on an implicit TLS port?)");
	else {
		wolfSSL_ERR_error_string_n((unsigned long)code, text,
		    sizeof(text));
		for (size_t i = 0; i < sizeof(peer_errors) /
		    sizeof(peer_errors[0]); i++)
			if (peer_errors[i].code == code)
				snprintf(text, sizeof(text), "%s",
				    peer_errors[i].text);
		error_set(e, "%s (wolfSSL %d)", text, code);
	}
	/* The error queue is per thread and bounded. */
	wolfSSL_ERR_clear_error();
	return TLS_FAILED;
}

enum tls_status
tls_engine_handshake(struct tls_engine *e)
{
	int rc;

	if (!e->accept_started) {
		if (e->hello_result == TLS_CLIENT_HELLO_INCOMPLETE)
			return TLS_WANT_INPUT;
		e->accept_started = true;
		tls_certificates_prepare(e->context->certificates, e->ssl,
		    tls_engine_client_hello(e->ssl));
	}
	rc = wolfSSL_accept(e->ssl);

	return rc == WOLFSSL_SUCCESS ? TLS_DONE : engine_status(e, rc);
}

enum tls_status
tls_engine_read(struct tls_engine *e, char *buf, size_t cap, size_t *n)
{
	int rc;

	*n = 0;
	rc = wolfSSL_read(e->ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
	if (rc > 0) {
		*n = (size_t)rc;
		return TLS_DONE;
	}
	return engine_status(e, rc);
}

bool
tls_engine_read_pending(const struct tls_engine *e)
{
	return e->in != NULL || wolfSSL_pending(e->ssl) > 0;
}

enum tls_status
tls_engine_write(struct tls_engine *e, const char *buf, size_t len)
{
	while (len > 0) {
		int chunk = len > 16384 ? 16384 : (int)len;
		int rc = wolfSSL_write(e->ssl, buf, chunk);

		/* Output never blocks, so any failure here is fatal. */
		if (rc <= 0) {
			if (engine_status(e, rc) != TLS_FAILED)
				error_set(e, "write after the connection "
				    "closed");
			return TLS_FAILED;
		}
		buf += rc;
		len -= (size_t)rc;
	}
	return TLS_DONE;
}

void
tls_engine_close_notify(struct tls_engine *e)
{
	/* Returns 0 when the peer's close_notify has not been seen: expected. */
	(void)wolfSSL_shutdown(e->ssl);
	wolfSSL_ERR_clear_error();
}

char *
tls_engine_take_output(struct tls_engine *e, size_t *len)
{
	char *out = e->out;

	*len = e->out_len;
	if (e->out_len == 0)
		return NULL;
	e->out = NULL;
	e->out_len = e->out_cap = 0;
	return out;
}

const char *
tls_engine_version(struct tls_engine *e)
{
	return wolfSSL_get_version(e->ssl);
}

const char *
tls_engine_cipher(struct tls_engine *e)
{
	WOLFSSL_CIPHER *cipher = wolfSSL_get_current_cipher(e->ssl);
	const char *name;

	if (cipher == NULL)
		return NULL;
	name = wolfSSL_get_cipher_name_iana_from_suite(
	    (unsigned char)(wolfSSL_get_current_cipher_suite(e->ssl) >> 8),
	    (unsigned char)wolfSSL_get_current_cipher_suite(e->ssl));
	return name != NULL ? name : wolfSSL_CIPHER_get_name(cipher);
}

bool
tls_engine_resumed(struct tls_engine *e)
{
	return wolfSSL_session_reused(e->ssl) == 1;
}

const char *
tls_engine_sni(struct tls_engine *e)
{
	return wolfSSL_get_servername(e->ssl, WOLFSSL_SNI_HOST_NAME);
}

bool
tls_engine_client_certificate(struct tls_engine *e, char *subject,
    size_t subject_size, char *fingerprint, size_t fingerprint_size)
{
	/* wolfSSL 5.5.4 returns a copy here, which the caller frees. */
	WOLFSSL_X509 *leaf = wolfSSL_get_peer_certificate(e->ssl);
	unsigned char digest[32];
	const unsigned char *der;
	int length = 0;
	bool found = false;

	if (leaf == NULL || fingerprint_size < 2 * sizeof(digest) + 1)
		goto out;
	der = wolfSSL_X509_get_der(leaf, &length);
	if (der == NULL || length <= 0 ||
	    wc_Sha256Hash(der, (word32)length, digest) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(fingerprint + 2 * i, 3, "%02x", digest[i]);

	if (wolfSSL_X509_NAME_oneline(wolfSSL_X509_get_subject_name(leaf),
	    subject, (int)subject_size) == NULL)
		snprintf(subject, subject_size, "(unreadable)");
	/* The subject goes into a quoted log field. */
	for (char *p = subject; *p != '\0'; p++) {
		if (*p == '"' || (unsigned char)*p < 0x20)
			*p = '?';
	}
	found = true;
out:
	wolfSSL_X509_free(leaf);
	wolfSSL_ERR_clear_error();
	return found;
}

const char *
tls_engine_error(const struct tls_engine *e)
{
	if (e->error != NULL)
		return e->error;
	return e->error_lost ? "out of memory" : "unknown error";
}
