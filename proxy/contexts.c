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

struct tls_context **
contexts_build(const struct config *cfg, FILE *errors, unsigned *error_count)
{
	unsigned before = *error_count;
	struct tls_context **tls;

	/* An array of pointers: sizeof(*tls) is the size of a pointer. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	tls = calloc(cfg->listener_count, sizeof(*tls));
	if (tls == NULL) {
		fprintf(errors, "%s: out of memory\n", cfg->path);
		(*error_count)++;
		return NULL;
	}
	for (size_t i = 0; i < cfg->listener_count; i++) {
		const struct config_listener *listener = &cfg->listeners[i];
		size_t first = first_with_policy(cfg, i);

		if (first != i) {
			tls[i] = tls[first];
			continue;
		}
		tls[i] = tls_context_new(&cfg->tls, &listener->policy,
		    listener->name, errors, error_count);
	}
	if (*error_count == before)
		return tls;
	contexts_free(cfg, tls);
	return NULL;
}

void
contexts_free(const struct config *cfg, struct tls_context **tls)
{
	if (tls == NULL)
		return;
	for (size_t i = 0; i < cfg->listener_count; i++) {
		if (first_with_policy(cfg, i) == i)
			tls_context_free(tls[i]);
	}
	free(tls);
}

void
contexts_print(const struct config *cfg, struct tls_context **tls,
    FILE *out)
{
	for (size_t i = 0; i < cfg->listener_count; i++) {
		fputc('\n', out);
		tls_context_print(tls[i], cfg->listeners[i].name,
		    &cfg->listeners[i].policy, out);
	}
}

void
contexts_warn_weakened(const struct config *cfg, struct tls_context **tls)
{
	char names[512] = "";

	for (size_t i = 0; i < cfg->listener_count; i++) {
		if (!tls_context_is_weakened(tls[i]))
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
