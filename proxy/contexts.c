/*
 * One TLS context per distinct listener policy.  Listeners with equal
 * effective policies share a context, so a config without tls_profile
 * builds a single context.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/contexts.h"
#include "proxy/log.h"
#include "tls/context.h"

/* Returns the index of the first listener before i with the same policy,
 * or i itself. */
static size_t
first_with_policy(const struct config *cfg, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (config_policy_equal(&cfg->listeners[j].policy,
		    &cfg->listeners[i].policy))
			return j;
	}
	return i;
}

int
contexts_build(struct server *srv, FILE *errors, unsigned *error_count)
{
	const struct config *cfg = srv->config;
	unsigned before = *error_count;

	srv->tls = calloc(cfg->listener_count, sizeof(*srv->tls));
	if (srv->tls == NULL) {
		fprintf(errors, "%s: out of memory\n", cfg->path);
		(*error_count)++;
		return -1;
	}
	for (size_t i = 0; i < cfg->listener_count; i++) {
		const struct config_listener *listener = &cfg->listeners[i];
		size_t first = first_with_policy(cfg, i);

		if (first != i) {
			srv->tls[i] = srv->tls[first];
			continue;
		}
		srv->tls[i] = tls_context_new(&cfg->tls, &listener->policy,
		    listener->name, errors, error_count);
	}
	if (*error_count == before)
		return 0;
	contexts_free(srv);
	return -1;
}

void
contexts_free(struct server *srv)
{
	const struct config *cfg = srv->config;

	if (srv->tls == NULL)
		return;
	for (size_t i = 0; i < cfg->listener_count; i++) {
		if (first_with_policy(cfg, i) == i)
			tls_context_free(srv->tls[i]);
	}
	free(srv->tls);
	srv->tls = NULL;
}

void
contexts_print(const struct server *srv, FILE *out)
{
	const struct config *cfg = srv->config;

	for (size_t i = 0; i < cfg->listener_count; i++) {
		fputc('\n', out);
		tls_context_print(srv->tls[i], cfg->listeners[i].name,
		    &cfg->listeners[i].policy, out);
	}
}

void
contexts_warn_weakened(const struct server *srv)
{
	const struct config *cfg = srv->config;
	char names[512] = "";

	for (size_t i = 0; i < cfg->listener_count; i++) {
		if (!tls_context_is_weakened(srv->tls[i]))
			continue;
		if (names[0] != '\0')
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
		strncat(names, cfg->listeners[i].name,
		    sizeof(names) - strlen(names) - 1);
	}
	if (names[0] != '\0')
		log_warning("profile legacy weakens TLS on listeners %s: the "
		    "profile allows TLS 1.0, TLS 1.1 and AES-CBC suites, which "
		    "only old devices need", names);
}
