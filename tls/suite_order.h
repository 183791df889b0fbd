/*
 * The server's suite order where the config leaves the suites to the
 * profile.  The profiles list AES-GCM first, which is the fastest AEAD where
 * wolfSSL runs it on AES-NI.  Without AES-NI, wolfSSL's generic AES-GCM moved
 * a quarter to a half of ChaCha20-Poly1305's data in bench-tls (README.md,
 * "Suite order and AES-NI"), so there ChaCha20-Poly1305 goes first.  A list
 * that the config sets keeps its order.
 */
#ifndef TLS_SUITE_ORDER_H
#define TLS_SUITE_ORDER_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Returns whether the profile's suites should have ChaCha20-Poly1305 first:
 * true unless the linked wolfSSL runs AES-GCM on AES-NI on this CPU.  Sets
 * *reason to a static phrase for "subtls -t", such as "this CPU has no
 * AES-NI".  Same call-order rule as tls_get_build_info(): call it after
 * tls_disable_cpu_features().
 */
bool tls_suite_order_chacha20_first(const char **reason);

/*
 * Copies the ':'-separated suite list to out (of size cap) with every
 * ChaCha20-Poly1305 suite moved ahead of the others.  Both groups keep
 * their order from list.  Returns false, with out empty, when out is too
 * small.
 */
bool tls_suite_order_move_chacha20_first(const char *list, char *out,
    size_t cap);

#endif
