/*
 * The per-session TLS engine: ciphertext in, plaintext out, and the reverse.
 *
 * The engine never touches a socket.  The caller hands it each buffer of
 * ciphertext read from the client and sends whatever ciphertext the engine
 * produces (tls_engine_take_output) after every call that may produce some:
 * handshake, read, write and close.  wolfSSL's I/O callbacks run only inside
 * those calls, over the engine's own buffers, so wolfSSL never blocks.
 */
#ifndef TLS_ENGINE_H
#define TLS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

struct tls_context;
struct tls_engine;

enum tls_status {
	TLS_DONE,		/* the call completed */
	TLS_WANT_INPUT,		/* more ciphertext from the client is needed */
	TLS_PEER_CLOSED,	/* the client sent close_notify */
	TLS_FAILED,		/* fatal: see tls_engine_error() */
};

/* Returns a new engine for one server connection, or NULL when out of memory. */
struct tls_engine *tls_engine_new(struct tls_context *ctx);
void tls_engine_free(struct tls_engine *engine);

/*
 * Hands the engine len bytes of ciphertext in buf, a malloc'd buffer the engine
 * now owns and frees once it has consumed all of it.  Call only while
 * tls_engine_has_input() is false: the caller stops reading the client while
 * the engine still contains unconsumed input, which bounds memory per session.
 * Before the handshake starts, the engine copies the input aside until it
 * contains the whole ClientHello (at most about 16 KB, then it gives up and
 * passes the bytes on), so that the certificate setup can see it first.
 */
void tls_engine_push_input(struct tls_engine *engine, char *buf, size_t len);
bool tls_engine_has_input(const struct tls_engine *engine);

/* Advances the server handshake. */
enum tls_status tls_engine_handshake(struct tls_engine *engine);

/*
 * Decrypts up to cap bytes of application data into buf.  On TLS_DONE, *n is
 * more than zero.  TLS_WANT_INPUT means everything buffered was consumed.
 */
enum tls_status tls_engine_read(struct tls_engine *engine, char *buf,
    size_t cap, size_t *n);

/* True when decrypted bytes are waiting inside wolfSSL or input is buffered. */
bool tls_engine_read_pending(const struct tls_engine *engine);

/*
 * Encrypts all len bytes.  The ciphertext waits in the engine until taken.
 * Returns TLS_DONE or TLS_FAILED.
 */
enum tls_status tls_engine_write(struct tls_engine *engine, const char *buf,
    size_t len);

/* Queues a close_notify alert (RFC 8446 section 6.1). */
void tls_engine_close_notify(struct tls_engine *engine);

/*
 * Takes the ciphertext produced so far: returns a malloc'd buffer the caller
 * must free and its length in *len, or NULL when there is none.
 */
char *tls_engine_take_output(struct tls_engine *engine, size_t *len);

/* After the handshake: "TLSv1.3", the IANA suite name, the SNI host name or
 * NULL. */
const char *tls_engine_version(struct tls_engine *engine);
const char *tls_engine_cipher(struct tls_engine *engine);
const char *tls_engine_sni(struct tls_engine *engine);

/* True when the handshake resumed an earlier session (ticket or session
 * ID): the client certificate, if any, was verified in that session's full
 * handshake under the same policy, and is not available now. */
bool tls_engine_resumed(struct tls_engine *engine);

/*
 * After the handshake: when the client sent a certificate that passed
 * verification, writes its subject ("/C=DE/CN=printer") and the SHA-256
 * fingerprint of its DER encoding in lower-case hex (65 bytes with the NUL)
 * and returns true.  Returns false when there is none.
 */
bool tls_engine_client_certificate(struct tls_engine *engine, char *subject,
    size_t subject_size, char *fingerprint, size_t fingerprint_size);

/* A description of the last TLS_FAILED, for the session's close line. */
const char *tls_engine_error(const struct tls_engine *engine);

#endif
