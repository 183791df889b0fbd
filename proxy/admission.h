/*
 * Admission of new connections: the session limits checked when a
 * connection is accepted, the handshake slots of max_handshakes_in_progress,
 * and the warning line that a limit writes when it bites, at most one a
 * second per limit.
 */
#ifndef PROXY_ADMISSION_H
#define PROXY_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>

struct server;
struct session;

enum limit_id {
	LIMIT_MAX_SESSIONS,
	LIMIT_MAX_SESSIONS_PER_CLIENT,
	LIMIT_CONNECTION_RATE,
	LIMIT_MAX_HANDSHAKES,		/* accepting paused */
	LIMIT_MAX_HANDSHAKES_HELD,	/* a STARTTLS held */
	LIMIT_MAX_ERRORS,
	LIMIT_OPEN_FILES,
	LIMIT_PROXY_HEADER,		/* accept_proxy: a header rejected */
	LIMIT_COUNT,
};

/* When the warning of one limit was last written, for the rate limit. */
struct limit_warning {
	uint64_t last_ms;
	unsigned suppressed;	/* lines not written since then */
	bool written;		/* last_ms is set */
};

/*
 * Returns whether the warning line of limit may be written now, which is
 * when none was written in the last second.  A limit that acts in two ways
 * (max_handshakes_in_progress) has an id for each, so that one action's
 * lines do not hide the other's.  When it may, *suppressed is
 * set to the lines of that limit left out since the previous one, and the
 * caller writes the line with suppressed=N.  When it may not, the line
 * counts as suppressed.
 */
bool admission_warning_due(struct server *srv, enum limit_id limit,
    unsigned *suppressed);

/*
 * Checks max_sessions, max_sessions_per_client and
 * connection_rate_per_client for s, a session just accepted whose client
 * address is known.  Returns true when s is admitted and counted.
 * Otherwise it has logged the limit, sent "421 4.7.0 <hostname> Too many
 * connections, try again later" on a STARTTLS listener (nothing on an
 * implicit TLS one, which never spends a handshake on it), and closed s.
 */
bool admission_admit(struct session *s);

/*
 * The two halves of admission_admit() for a listener with accept_proxy:
 * max_sessions for each connection at accept, and the per-client limits
 * once the PROXY header has given the client's address.  Each returns and
 * refuses like admission_admit().
 */
bool admission_admit_connection(struct session *s);
bool admission_admit_client(struct session *s);

/* Uncounts an admitted session.  session_close() calls it. */
void admission_release(struct session *s);

/* Returns whether one more TLS handshake may start. */
bool admission_handshake_slot_free(const struct server *srv);

/* Counts a session that enters or leaves the TLS handshake.  A slot that
 * frees goes first to the STARTTLS sessions that wait for one, oldest
 * first, then to the implicit TLS sockets paused for handshakes. */
void admission_handshake_started(struct server *srv);
void admission_handshake_ended(struct server *srv);

/* Gives free slots to the held STARTTLS sessions of srv, oldest first,
 * then resumes its implicit TLS sockets paused for handshakes. */
void admission_handshakes_retry(struct server *srv);

/* Marks srv as waiting for a handshake slot, so that the worker that
 * frees one wakes it.  Called when a session is held or a socket pauses. */
void admission_wait_for_handshake(struct server *srv);

/*
 * Returns whether a STARTTLS session must wait for a handshake slot before
 * its "220 Ready to start TLS": when no slot is free, or when other
 * sessions already wait.
 */
bool admission_starttls_must_wait(const struct server *srv);

/* Queues s, in SESSION_STARTTLS_HELD, for the next free slot, and logs. */
void admission_hold_starttls(struct session *s);

/* Takes s off the queue of held STARTTLS sessions, if it is on it. */
void admission_unhold(struct session *s);

/* Called when a session has been freed, so descriptors are free again:
 * reopens the spare descriptor and resumes the sockets paused without it. */
void admission_session_freed(struct server *srv);

#endif
