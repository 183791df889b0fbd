/*
 * The server-side TLS 1.2 session cache (session IDs, RFC 5246 section
 * 7.4.1.2) for clients without session tickets.  Contexts attach to it
 * when they are built.
 */
#ifndef TLS_SESSION_CACHE_H
#define TLS_SESSION_CACHE_H

/* Frees every cached session (at exit, before tls_library_cleanup()). */
void tls_session_cache_cleanup(void);

#endif
