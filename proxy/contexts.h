/*
 * The TLS contexts of the listeners: one per distinct effective policy,
 * shared by the listeners whose policies are equal.
 */
#ifndef PROXY_CONTEXTS_H
#define PROXY_CONTEXTS_H

#include <stdio.h>

#include "proxy/server.h"

/*
 * Builds srv->tls, one context pointer per listener of srv->config.  Errors
 * go to errors as "file:line: message", and their number is added to
 * *error_count.  Returns 0, or -1 when any context failed (srv->tls is then
 * freed).
 */
int contexts_build(struct server *srv, FILE *errors, unsigned *error_count);

/* Frees every context once, and srv->tls. */
void contexts_free(struct server *srv);

/* Writes each listener's effective policy for "subtls -t". */
void contexts_print(const struct server *srv, FILE *out);

/* Logs one warning naming the listeners that profile legacy weakens, when
 * there are any. */
void contexts_warn_weakened(const struct server *srv);

#endif
