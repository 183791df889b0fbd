/*
 * Backend addresses, marked down when they fail and probed in the
 * background until they greet again.
 *
 * A probe does what a session does up to the greeting: it connects, sends a
 * PROXY header when the backend expects one, reads the 220 greeting and
 * sends QUIT.  The header names no client (command LOCAL for v2, UNKNOWN
 * for v1), so the backend logs no made-up one.  Postfix's smtpd accepts a
 * LOCAL header as a connection from subtls itself (checked with Postfix
 * 3.7.11 by test_backend_restart_recovers.py).
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/backend_pool.h"
#include "proxy/log.h"
#include "smtp/proxy_header.h"
#include "smtp/reply.h"

struct backend_entry {
	struct backend_pool *pool;	/* NULL once the entry is being freed */
	struct config_backend_address address;	/* own copies */

	bool down;
	bool confirmed;			/* a probe reached its greeting since the
					 * address was last marked down */
	uint64_t down_since_ms;
	bool probing;			/* the probe handle is open */
	uv_timer_t timer;		/* next probe, or the probe's deadline */
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} probe;
	uv_connect_t connect_request;
	uv_write_t header_request;
	uv_write_t quit_request;
	char header[32];		/* the PROXY header */
	char read_buf[512];
	struct smtp_reply_reader greeting;
};

struct backend_pool {
	uv_loop_t *loop;
	struct backend_entry **entries;
	size_t count;
	enum config_identity identity;
	uint64_t connect_timeout_ms;
	uint64_t retry_interval_ms;
	uint64_t last_check_ms;		/* of backend_pool_check(); 0: never */
};

static void probe_start(uv_timer_t *timer);
static void mark_down(struct backend_entry *e, const char *detail);

static void
on_entry_closed(uv_handle_t *handle)
{
	struct backend_entry *e = handle->data;

	if (handle == &e->probe.handle) {
		e->probing = false;
		/* A pool entry being freed closes the timer after the probe. */
		if (e->pool == NULL && !uv_is_closing((uv_handle_t *)&e->timer))
			uv_close((uv_handle_t *)&e->timer, on_entry_closed);
		return;
	}
	free(e->address.text);
	free(e->address.unix_path);
	free(e);
}

/* Closes an entry's handles; the entry frees itself once they are closed. */
static void
entry_free(struct backend_entry *e)
{
	e->pool = NULL;
	uv_timer_stop(&e->timer);
	if (e->probing) {
		if (!uv_is_closing(&e->probe.handle))
			uv_close(&e->probe.handle, on_entry_closed);
		return;
	}
	uv_close((uv_handle_t *)&e->timer, on_entry_closed);
}

static struct backend_entry *
entry_new(uv_loop_t *loop, const struct config_backend_address *address)
{
	struct backend_entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->address = *address;
	e->address.text = strdup(address->text);
	e->address.unix_path = address->is_unix ?
	    strdup(address->unix_path) : NULL;
	if (e->address.text == NULL ||
	    (address->is_unix && e->address.unix_path == NULL)) {
		free(e->address.text);
		free(e->address.unix_path);
		free(e);
		return NULL;
	}
	uv_timer_init(loop, &e->timer);
	e->timer.data = e;
	return e;
}

static struct backend_entry *
find_entry(const struct backend_pool *pool, const char *text)
{
	for (size_t i = 0; i < pool->count; i++)
		if (strcmp(pool->entries[i]->address.text, text) == 0)
			return pool->entries[i];
	return NULL;
}

static void
entry_up(struct backend_entry *e)
{
	uint64_t now = uv_now(e->pool->loop);

	e->down = false;
	log_info("backend=%s up again after %llu s", e->address.text,
	    (unsigned long long)((now - e->down_since_ms) / 1000));
}

/* Ends a probe: closes its connection, and plans the next when it failed. */
static void
probe_end(struct backend_entry *e, const char *failure)
{
	if (!e->probing || uv_is_closing(&e->probe.handle))
		return;
	uv_timer_stop(&e->timer);
	uv_close(&e->probe.handle, on_entry_closed);
	if (e->pool == NULL)
		return;
	if (failure == NULL) {
		if (e->down)
			entry_up(e);
		e->confirmed = true;
		return;
	}
	if (!e->down) {
		/* A check of an address that was up. */
		mark_down(e, failure);
		return;
	}
	log_message(CONFIG_LOG_DEBUG, "subtls", "backend=%s probe failed: %s",
	    e->address.text, failure);
	uv_timer_start(&e->timer, probe_start, e->pool->retry_interval_ms, 0);
}

static void
on_probe_timeout(uv_timer_t *timer)
{
	probe_end(timer->data, "timed out");
}

static void
on_quit_written(uv_write_t *req, int status)
{
	struct backend_entry *e = req->data;

	/* The 220 already proved the address up: a failed QUIT changes
	 * nothing. */
	(void)status;
	probe_end(e, NULL);
}

static void
probe_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct backend_entry *e = handle->data;

	(void)suggested;
	*buf = uv_buf_init(e->read_buf, sizeof(e->read_buf));
}

static void
on_probe_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct backend_entry *e = stream->data;
	static char quit[] = "QUIT\r\n";
	char detail[64];
	uv_buf_t out;
	size_t used;

	if (nread == 0)
		return;
	if (nread < 0) {
		probe_end(e, nread == UV_EOF ? "closed before its greeting" :
		    uv_strerror((int)nread));
		return;
	}
	switch (smtp_reply_reader_feed(&e->greeting, buf->base, (size_t)nread,
	    &used)) {
	case SMTP_REPLY_INCOMPLETE:
		return;
	case SMTP_REPLY_INVALID:
		probe_end(e, "its greeting is not an SMTP reply");
		return;
	case SMTP_REPLY_COMPLETE:
		break;
	}
	if (e->greeting.code != 220) {
		snprintf(detail, sizeof(detail), "greeting code %d",
		    e->greeting.code);
		probe_end(e, detail);
		return;
	}

	/* A polite end keeps the backend's log free of lost connections. */
	uv_read_stop(stream);
	out = uv_buf_init(quit, sizeof(quit) - 1);
	e->quit_request.data = e;
	if (uv_write(&e->quit_request, stream, &out, 1, on_quit_written) != 0)
		probe_end(e, NULL);
}

static void
on_probe_connected(uv_connect_t *req, int status)
{
	struct backend_entry *e = req->data;
	size_t n = 0;
	uv_buf_t out;

	if (status == UV_ECANCELED)
		return;
	if (status < 0) {
		probe_end(e, uv_strerror(status));
		return;
	}
	if (e->pool->identity == CONFIG_IDENTITY_PROXY_V2)
		n = smtp_proxy_v2_encode_local((unsigned char *)e->header,
		    sizeof(e->header));
	else if (e->pool->identity == CONFIG_IDENTITY_PROXY_V1)
		n = smtp_proxy_v1_encode_unknown(e->header, sizeof(e->header));
	if (n > 0) {
		out = uv_buf_init(e->header, (unsigned)n);
		e->header_request.data = e;
		if (uv_write(&e->header_request, &e->probe.stream, &out, 1,
		    NULL) != 0) {
			probe_end(e, "cannot write the PROXY header");
			return;
		}
	}
	smtp_reply_reader_init(&e->greeting);
	uv_read_start(&e->probe.stream, probe_alloc, on_probe_read);
}

static void
probe_start(uv_timer_t *timer)
{
	struct backend_entry *e = timer->data;
	uv_loop_t *loop = e->pool->loop;
	int rc = 0;

	if (e->address.is_unix)
		uv_pipe_init(loop, &e->probe.pipe, 0);
	else
		uv_tcp_init(loop, &e->probe.tcp);
	e->probe.handle.data = e;
	e->probing = true;
	e->connect_request.data = e;
	uv_timer_start(&e->timer, on_probe_timeout,
	    e->pool->connect_timeout_ms, 0);
	if (e->address.is_unix)
		uv_pipe_connect(&e->connect_request, &e->probe.pipe,
		    e->address.unix_path, on_probe_connected);
	else
		rc = uv_tcp_connect(&e->connect_request, &e->probe.tcp,
		    (const struct sockaddr *)&e->address.tcp,
		    on_probe_connected);
	if (rc != 0)
		probe_end(e, uv_strerror(rc));
}

struct backend_pool *
backend_pool_new(uv_loop_t *loop, const struct config_backend *backend)
{
	struct backend_pool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return NULL;
	pool->loop = loop;
	if (!backend_pool_update(pool, backend)) {
		free(pool);
		return NULL;
	}
	return pool;
}

bool
backend_pool_update(struct backend_pool *pool,
    const struct config_backend *backend)
{
	struct backend_entry **entries, *e;
	size_t i;

	/* An array of pointers: sizeof(*entries) is the size of a pointer. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	entries = calloc(backend->address_count, sizeof(*entries));
	if (entries == NULL)
		return false;
	for (i = 0; i < backend->address_count; i++) {
		e = find_entry(pool, backend->addresses[i].text);
		entries[i] = e != NULL ? e :
		    entry_new(pool->loop, &backend->addresses[i]);
		if (entries[i] == NULL)
			goto fail;
	}

	/* The entries that no address of the new config names go. */
	for (i = 0; i < pool->count; i++) {
		e = pool->entries[i];
		for (size_t j = 0; j < backend->address_count; j++)
			if (entries[j] == e)
				e = NULL;
		if (e != NULL)
			entry_free(e);
	}
	free(pool->entries);
	pool->entries = entries;
	pool->count = backend->address_count;
	for (i = 0; i < pool->count; i++)
		pool->entries[i]->pool = pool;
	pool->identity = backend->identity;
	pool->connect_timeout_ms = backend->connect_timeout_ms;
	pool->retry_interval_ms = backend->retry_interval_ms;
	return true;

fail:
	while (i-- > 0)
		if (find_entry(pool, entries[i]->address.text) != entries[i])
			entry_free(entries[i]);
	free(entries);
	return false;
}

void
backend_pool_free(struct backend_pool *pool)
{
	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->count; i++)
		entry_free(pool->entries[i]);
	free(pool->entries);
	free(pool);
}

const struct config_backend_address *
backend_pool_pick(struct backend_pool *pool)
{
	for (size_t i = 0; i < pool->count; i++)
		if (!pool->entries[i]->down)
			return &pool->entries[i]->address;
	return NULL;
}

const struct config_backend_address *
backend_pool_address(const struct backend_pool *pool, size_t index, bool *up)
{
	if (index >= pool->count)
		return NULL;
	*up = !pool->entries[index]->down;
	return &pool->entries[index]->address;
}

/* Marks e down and plans its first probe; e's timer must be idle. */
static void
mark_down(struct backend_entry *e, const char *detail)
{
	struct backend_pool *pool = e->pool;

	e->down = true;
	e->confirmed = false;
	e->down_since_ms = uv_now(pool->loop);
	log_warning("backend=%s marked down for at least %llu s: %s",
	    e->address.text,
	    (unsigned long long)(pool->retry_interval_ms / 1000), detail);
	uv_timer_start(&e->timer, probe_start, pool->retry_interval_ms, 0);
}

void
backend_pool_failed(struct backend_pool *pool, const char *name,
    const char *detail)
{
	struct backend_entry *e = find_entry(pool, name);

	/* While a check probes an up address, its timer is the probe's
	 * deadline: the probe's own end marks the address down if it fails
	 * too. */
	if (e == NULL || e->down || e->probing)
		return;
	mark_down(e, detail);
}

void
backend_pool_check(struct backend_pool *pool)
{
	uint64_t now = uv_now(pool->loop);

	if (pool->last_check_ms != 0 && now - pool->last_check_ms < 1000)
		return;
	pool->last_check_ms = now;
	for (size_t i = 0; i < pool->count; i++) {
		struct backend_entry *e = pool->entries[i];

		if (!e->down && !e->probing)
			probe_start(&e->timer);
	}
}

bool
backend_pool_ready(const struct backend_pool *pool)
{
	for (size_t i = 0; i < pool->count; i++)
		if (!pool->entries[i]->down && pool->entries[i]->confirmed)
			return true;
	return false;
}
