/*
 * A client session, from accept to its one summary line.
 *
 * Implicit TLS: accept -> handshake -> backend connect -> identity header ->
 * relay.  STARTTLS: accept -> greeting -> pre-TLS dialogue -> STARTTLS ->
 * handshake -> backend connect -> identity header -> backend greeting consumed
 * -> relay.  The state names where the session is.  Every change goes through
 * session_set_state(), and every end through session_close().
 */
#ifndef PROXY_SESSION_H
#define PROXY_SESSION_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "smtp/reply.h"

struct listener;
struct server;
struct smtp_dialogue;
struct smtp_ehlo_stream;
struct smtp_follower;
struct smtp_proxy_parser;
struct tls_engine;

enum session_state {
	SESSION_ACCEPTED,		/* the limits are not checked yet */
	SESSION_PROXY_HEADER,		/* accept_proxy: reading the PROXY
					 * header, nothing sent yet */
	SESSION_PRETLS,			/* STARTTLS listener, plaintext */
	SESSION_STARTTLS_HELD,		/* STARTTLS: the 220 waits for a
					 * handshake slot */
	SESSION_TLS_HANDSHAKE,
	SESSION_BACKEND_CONNECT,
	SESSION_BACKEND_GREETING,	/* STARTTLS: reading the backend's 220 */
	SESSION_RELAYING,
	SESSION_CLOSING,		/* summary written, handles closing */
};

/* Why tls_engine_new() fails: wolfSSL opens /dev/urandom for each session. */
#define TLS_SESSION_FAILED_DETAIL \
	"cannot create a TLS session: out of memory or of file descriptors"

/* Bytes read from a socket at once, and the most one relay write carries. */
#define SESSION_READ_SIZE 16384

/* The progress of the XCLIENT command of identity = xclient. */
enum session_xclient {
	XCLIENT_OFF,		/* another identity, or XCLIENT is done */
	XCLIENT_BEFORE,		/* no client command yet */
	XCLIENT_HELD,		/* the first command waits for earlier replies */
	XCLIENT_SENT,		/* XCLIENT sent, its 220 awaited */
};

struct session {
	struct server *server;
	struct listener *listener;
	struct session *prev;
	struct session *next;

	char id[20];
	char peer[INET6_ADDRSTRLEN + 8];	/* "ip:port" or "[ip]:port" */
	char via[INET6_ADDRSTRLEN + 8];		/* accept_proxy: the load
						 * balancer's address, once
						 * the header is read */
	struct smtp_proxy_parser *proxy_parser;	/* SESSION_PROXY_HEADER */
	struct sockaddr_storage client_addr;
	struct sockaddr_storage local_addr;	/* the listener's side */
	enum session_state state;
	uint64_t started_ms;
	uint64_t last_activity_ms;
	uint64_t step_deadline_ms;	/* when the state's timeout expires;
					 * unused while relaying */
	uint64_t line_started_ms;	/* after TLS: when a command line that
					 * is not complete yet began; 0: none */
	uint64_t reply_wait_ms;		/* since when the backend's next reply
					 * is awaited, while relaying */

	uv_tcp_t client;
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} backend;
	uv_connect_t connect_request;
	uv_shutdown_t client_shutdown;
	uv_shutdown_t backend_shutdown;
	uv_timer_t timer;
	unsigned open_handles;
	char backend_name[128];		/* the address text, "" before one
					 * was picked */
	uint64_t backend_connect_started_ns;	/* uv_hrtime() at the
						 * connect, for the metrics */

	struct smtp_dialogue *dialogue;		/* SESSION_PRETLS only */
	struct tls_engine *tls;
	struct smtp_reply_reader greeting;

	unsigned client_writes;		/* writes to the client in flight */
	unsigned backend_writes;
	bool client_reading;
	bool backend_reading;
	bool backend_open;		/* the backend handle is initialized */
	bool client_closing;		/* uv_close() called on client */
	bool client_finished;		/* close_notify or EOF from the client */
	bool backend_shut;		/* the backend was half-closed */
	bool dialogue_paused;		/* replies are waiting to be written */
	bool tls_established;
	bool tls_failed;		/* no close_notify after a TLS error */
	bool tls_input_seen;		/* the first byte of the handshake was
					 * checked for plaintext */
	bool tls_handshake_begun;	/* that byte was not plaintext and went
					 * to the TLS engine */
	bool backend_said_goodbye;	/* its last reply was 221 or 421: it
					 * closes next */
	bool drain_held;		/* draining: a new MAIL waits unsent
					 * until the 421 */

	bool admitted;			/* counted against max_sessions */
	bool client_counted;		/* counted per client key */
	bool held;			/* on the server's held queue */
	struct session *held_prev;
	struct session *held_next;
	char *held_reply;		/* the 220 to STARTTLS, while held */
	size_t held_reply_len;

	uint64_t bytes_in;		/* plaintext, client to backend */
	uint64_t bytes_out;		/* plaintext, backend to client */

	/* The conversation after TLS (proxy/conversation.c). */
	struct smtp_follower *follower;
	char *client_buf;		/* decrypted client bytes; those from
					 * client_off on are not followed yet */
	size_t client_off;
	size_t client_len;
	bool client_waiting;		/* the follower waits for a reply */
	const char *refusal;		/* subtls's reply to a refused command,
					 * sent when earlier replies are out */
	struct smtp_ehlo_stream *ehlo;	/* while an EHLO reply is filtered */
	char *helo;			/* the client's EHLO or HELO name */
	bool trace_due;			/* the message of the current MAIL has
					 * no trace header yet */
	enum session_xclient xclient;
	char *xclient_held;		/* the command XCLIENT goes before */
	size_t xclient_held_len;
	char xclient_reply[128];	/* the start of the backend's reply */
	size_t xclient_reply_len;
};

/* Starts the session of fd, a connection that listener's socket accepted.
 * The session takes fd over in every case. */
void session_accept(struct listener *listener, int fd);

/*
 * Starts the listener's protocol for an admitted session: the ban check and
 * the greeting on a STARTTLS listener, the TLS handshake on an implicit TLS
 * one.  The session may be closed on return.
 */
void session_begin(struct session *s);

/* Formats an address as "1.2.3.4:25" or "[::1]:25"; IPv4-mapped as IPv4. */
void session_format_address(const struct sockaddr_storage *ss, char *out,
    size_t cap);

void session_set_state(struct session *s, enum session_state state);

/*
 * Ends the session and writes its summary line with reason (a short token
 * such as "backend_closed") and detail (NULL, or an error text).  It stops
 * both directions, sends close_notify when TLS is up and flushes what was
 * already written to the client.  Everything is freed once libuv has closed
 * the handles.  Calling it again does nothing.
 */
void session_close(struct session *s, const char *reason, const char *detail);

/*
 * The close callback of a session's handles: frees the session when its
 * last handle is closed.
 */
void session_handle_closed(uv_handle_t *handle);

/* Closes every session at once (drain timeout). */
void sessions_close_all(struct server *srv, const char *reason);

__attribute__((format(printf, 3, 4)))
void session_log(const struct session *s, enum config_log_level level,
    const char *fmt, ...);

/*
 * Returns whether the backend's greeting is still awaited: read by subtls
 * on a STARTTLS listener, relayed on an implicit TLS one.
 */
bool session_greeting_due(const struct session *s);

/*
 * Starts the current state's timeout from now.  A state has one deadline,
 * however its bytes trickle in, so only a finished step calls this again.
 */
void session_arm_timer(struct session *s);

/*
 * Restarts the session timer for the earliest deadline: the state's
 * timeout, max_session_time, and while relaying reply_timeout or
 * idle_timeout.  Call it when a deadline may have moved earlier, such as
 * when the wait for a backend reply starts or ends.
 */
void session_update_timer(struct session *s);

/* Writes len bytes of buf (malloc'd; the session takes it) to one side. */
void session_write_client(struct session *s, char *buf, size_t len);
void session_write_backend(struct session *s, char *buf, size_t len);

/*
 * Writes count buffers to the backend in one request and frees owned (NULL
 * allowed) once written, after wiping its first wipe bytes.  The buffers
 * that owned does not hold must stay valid until the write is done:
 * relay_backend_write_done() is called then.
 */
void session_write_backend_bufs(struct session *s, const uv_buf_t *bufs,
    unsigned count, char *owned, size_t wipe);

/* Sends the TLS engine's pending ciphertext.  False if the session closed. */
bool session_flush_tls(struct session *s);

/* Encrypts an SMTP reply of subtls's own to the client.  False if closed. */
bool session_reply_tls(struct session *s, const char *reply, size_t len);

/*
 * Encrypts a reply that goes before a close the client did not request (a
 * lost backend, a timeout).  The reply is left out while a backend reply is
 * partly relayed, because RFC 5321 section 4.2.1 gives every line of a
 * reply one code.  The client then sees only the close.
 */
bool session_reply_closing(struct session *s, const char *reply, size_t len);

/* Starts or stops reading each side as the state and buffers allow. */
void session_update_reading(struct session *s);

/* relay.c */
void relay_on_client_read(uv_stream_t *stream, ssize_t nread,
    const uv_buf_t *buf);
void relay_on_client_alloc(uv_handle_t *handle, size_t suggested,
    uv_buf_t *buf);
void relay_on_backend_read(uv_stream_t *stream, ssize_t nread,
    const uv_buf_t *buf);
void relay_on_backend_alloc(uv_handle_t *handle, size_t suggested,
    uv_buf_t *buf);
void relay_run_dialogue(struct session *s);
void relay_release_starttls(struct session *s);
void relay_client_finished(struct session *s);
void relay_shutdown_backend(struct session *s);
void relay_client_write_done(struct session *s);
void relay_backend_write_done(struct session *s);

/* conversation.c */
void conversation_start(struct session *s);
void conversation_free(struct session *s);
void conversation_from_client(struct session *s);
void conversation_from_backend(struct session *s, const char *data,
    size_t len);
bool conversation_client_blocked(const struct session *s);
bool conversation_refuse_banned(struct session *s);

/* conversation_end.c */

/*
 * Ends a relaying session whose backend connection failed.  The client gets
 * 451 4.3.0 inside a mail transaction and 421 4.3.0 outside one, unless it
 * has finished sending or the backend's last reply was a 221 or 421.
 */
void conversation_backend_lost(struct session *s, const char *reason,
    const char *detail);

/*
 * While the server drains: sends 421 4.3.2 and closes the session if it is
 * between transactions, with no reply pending.  A session inside a
 * transaction is left to finish it; this runs again after each reply.
 */
void conversation_drain_check(struct session *s);

/*
 * Ends a session with 421 4.3.2 at once, the reply skipped before TLS is
 * up: at the drain timeout, or a handshake that completes while draining.
 */
void conversation_drain_close(struct session *s);

/* backend.c */
void backend_connect(struct session *s);
void backend_greeting_input(struct session *s, const char *data, size_t len);
void backend_reply_unavailable(struct session *s, const char *reason,
    const char *detail);

/*
 * Marks the session's backend address down, because it failed before its
 * greeting, and ends the session like backend_reply_unavailable().
 */
void backend_failed(struct session *s, const char *reason,
    const char *detail);

#endif
