/*
 * Puts ChaCha20-Poly1305 ahead of AES-GCM in the profile's suite lists when
 * AES-NI is not in use.  The measurements behind the rule are in README.md,
 * "Suite order and AES-NI".
 */
#include <string.h>

#include "tls/build_info.h"
#include "tls/suite_order.h"

bool
tls_suite_order_chacha20_first(const char **reason)
{
	struct tls_build_info info;

	tls_get_build_info(&info);
	if (info.aesni_in_use)
		*reason = "the linked wolfSSL runs AES-GCM on AES-NI";
	else if (!info.aesni_compiled)
		*reason = "the linked wolfSSL has no AES-NI code";
	else if (info.aesni_disabled)
		*reason = "AES-NI is switched off by tls_disable_cpu_features";
	else
		*reason = "this CPU has no AES-NI";
	return !info.aesni_in_use;
}

/* Appends to out the suites of list that are ChaCha20-Poly1305 suites
 * (chacha20 true) or that are not (false). */
static bool
append_matching(const char *list, bool chacha20, char *out, size_t cap)
{
	size_t used = strlen(out);

	for (const char *p = list; *p != '\0'; ) {
		size_t length = strcspn(p, ":");
		const char *name = p;
		bool is_chacha20 = memmem(name, length, "CHACHA20", 8) != NULL;

		p += length + (p[length] == ':');
		if (length == 0 || is_chacha20 != chacha20)
			continue;
		if (used + (used > 0) + length + 1 > cap)
			return false;
		if (used > 0)
			out[used++] = ':';
		memcpy(out + used, name, length);
		used += length;
		out[used] = '\0';
	}
	return true;
}

bool
tls_suite_order_move_chacha20_first(const char *list, char *out, size_t cap)
{
	if (cap == 0)
		return false;
	out[0] = '\0';

	if (!append_matching(list, true, out, cap) ||
	    !append_matching(list, false, out, cap)) {
		out[0] = '\0';
		return false;
	}
	return true;
}
