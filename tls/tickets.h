/*
 * Session ticket keys for TLS 1.2 (RFC 5077) and TLS 1.3 (RFC 8446 section
 * 4.6.1), shared by every context of the process.
 *
 * The keys form a ring: the newest key encrypts new tickets, and every key
 * in the ring decrypts.  Without ticket_key_file the ring contains random
 * keys that rotate every ticket_lifetime: a key encrypts for one lifetime and
 * then decrypts for one more, so each ticket stays usable for its whole
 * lifetime.  With ticket_key_file the file is the ring, in its order, and
 * rotating it is the operator's job (README, "Session resumption").
 *
 * The ring is process-wide state used from the one event loop thread.
 * NOTE: several loop threads would need a lock around the ring.
 */
#ifndef TLS_TICKETS_H
#define TLS_TICKETS_H

#include <stdio.h>

#include "config/config.h"

struct tls_ticket_keys;

/*
 * Reads ticket_key_file of policy into a new ring, or makes a ring of one
 * random key when the policy names no file.  Errors are written to errors
 * as "file:line: message" with the line of the key file or of the
 * ticket_key_file setting.  Returns NULL and adds to *error_count on
 * failure.  Nothing changes for running sessions until
 * tls_ticket_keys_install().
 */
struct tls_ticket_keys *tls_ticket_keys_load(const struct config_tls *policy,
    FILE *errors, unsigned *error_count);

/*
 * Makes keys the ring that encrypts and decrypts tickets from now on and
 * frees the previous ring.  When both are random rings, the previous keys
 * stay, so a reload without ticket_key_file keeps every ticket valid.
 */
void tls_ticket_keys_install(struct tls_ticket_keys *keys);

/* Frees a ring that was never installed.  NULL is harmless. */
void tls_ticket_keys_free(struct tls_ticket_keys *keys);

/* Frees the installed ring, wiping its keys (at exit). */
void tls_ticket_keys_cleanup(void);

/* Writes the ticket settings in effect for `subtls -t`. */
void tls_ticket_keys_print(FILE *out);

#endif
