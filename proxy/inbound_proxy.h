/*
 * The PROXY header that a listener with accept_proxy reads before anything
 * else, and the switch of the session's addresses to the ones it carries.
 *
 * A session on such a listener enters SESSION_PROXY_HEADER right after
 * accept.  Its client address is the load balancer's until the header is
 * parsed.  Afterwards it
 * is the client's, for the per-client limits, the AUTH ban table, every log
 * line, the trace header and the identity sent to the backend.
 */
#ifndef PROXY_INBOUND_PROXY_H
#define PROXY_INBOUND_PROXY_H

#include <stdbool.h>
#include <uv.h>

struct session;

/*
 * Starts reading the PROXY header of s, a session just accepted on a
 * listener with accept_proxy, after the global limits admitted it.  A
 * connection from outside trusted_proxies is closed here with a warning.
 * Returns false when s was closed.
 */
bool inbound_proxy_start(struct session *s);

/*
 * Handles a read of the client socket in SESSION_PROXY_HEADER; buf was
 * allocated by relay_on_client_alloc() and is freed or handed on here.
 * Once the header is complete, the session continues as on a listener
 * without accept_proxy: per-client limits, then the greeting or the TLS
 * handshake, which receives the bytes after the header.
 */
void inbound_proxy_read(struct session *s, ssize_t nread, const uv_buf_t *buf);

/* Ends s, whose header did not arrive within handshake_timeout. */
void inbound_proxy_timeout(struct session *s);

#endif
