/*
 * The TLS contexts of the listeners: one per distinct effective policy,
 * shared by the listeners whose policies are equal.
 */
#ifndef PROXY_CONTEXTS_H
#define PROXY_CONTEXTS_H

#include <stdio.h>

#include "config/config.h"

struct tls_context;

/*
 * Builds one context pointer per listener of cfg.  Errors go to errors as
 * "file:line: message", and their number is added to *error_count.
 * Returns the array, or NULL when any context failed.  A reload builds the
 * next array this way before it frees the running one.
 */
struct tls_context **contexts_build(const struct config *cfg, FILE *errors,
    unsigned *error_count);

/* Drops the reference to every context of tls once, then frees tls.  cfg
 * must be the config tls was built from, because it determines which
 * contexts are shared. */
void contexts_free(const struct config *cfg, struct tls_context **tls);

/* Writes each listener's effective policy for "subtls -t". */
void contexts_print(const struct config *cfg, struct tls_context **tls,
    FILE *out);

/* Logs one warning naming the listeners that profile legacy weakens, when
 * there are any. */
void contexts_warn_weakened(const struct config *cfg,
    struct tls_context **tls);

#endif
