/*
 * The backend addresses of one server and whether each is up.
 *
 * New sessions take the first address that is up, in the order of the
 * "address" lines.  An address that fails before its greeting (refused,
 * timed out, closed, not an SMTP greeting, 421) is marked down and skipped.
 * While it is down a probe connects every retry_interval, waits for the 220
 * greeting, sends QUIT, and marks it up again on success.  The admin
 * listener's /readyz also probes the addresses that are up, through
 * backend_pool_check().
 */
#ifndef PROXY_BACKEND_POOL_H
#define PROXY_BACKEND_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"

struct backend_pool;

/* Builds the pool for backend's addresses, all up.  NULL: out of memory. */
struct backend_pool *backend_pool_new(uv_loop_t *loop,
    const struct config_backend *backend);

/*
 * Takes the addresses and settings of a reloaded config.  An address that
 * stays keeps its state, a new one starts up.  False: out of memory, and
 * the pool is unchanged.
 */
bool backend_pool_update(struct backend_pool *pool,
    const struct config_backend *backend);

/* Stops the probes and frees the pool once libuv has closed its handles. */
void backend_pool_free(struct backend_pool *pool);

/*
 * Returns the first address that is up, or NULL when every one is down.
 * The pointer stays valid until the next backend_pool_update().
 */
const struct config_backend_address *backend_pool_pick(
    struct backend_pool *pool);

/*
 * Returns the address at index (0, 1, ... in the order of the "address"
 * lines) and sets *up to whether it is up, or NULL past the last one.
 */
const struct config_backend_address *backend_pool_address(
    const struct backend_pool *pool, size_t index, bool *up);

/*
 * Marks the address whose text is name down and starts probing it.  detail
 * describes the failure for the log.  An address that is no longer
 * configured is ignored.
 */
void backend_pool_failed(struct backend_pool *pool, const char *name,
    const char *detail);

/*
 * Starts a probe of every address that is up and not probed already, at
 * most once a second.  A probe that fails marks its address down, so that
 * a backend lost while no session used it shows in backend_pool_ready()
 * without a client's session failing first.  The results arrive later:
 * the caller reads them with backend_pool_ready() on its next call.
 */
void backend_pool_check(struct backend_pool *pool);

/*
 * Returns whether some address is up and a probe reached its greeting
 * since it was last marked down.  Before the first backend_pool_check()
 * completes, no address is confirmed and this returns false.
 */
bool backend_pool_ready(const struct backend_pool *pool);

#endif
