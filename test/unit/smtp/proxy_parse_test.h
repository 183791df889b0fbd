/*
 * Helpers of the PROXY header parser tests: feed a header in pieces of a
 * given size, and build socket addresses from text.
 */
#ifndef TEST_UNIT_SMTP_PROXY_PARSE_TEST_H
#define TEST_UNIT_SMTP_PROXY_PARSE_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "smtp/proxy_header_parse.h"
#include "test/unit/check.h"

/* Both versions, as accept_proxy = any. */
#define ACCEPT_ANY (SMTP_PROXY_ACCEPT_V1 | SMTP_PROXY_ACCEPT_V2)

/*
 * Feeds len bytes to a fresh parser in pieces of at most piece bytes, and
 * stops at the first status other than MORE.  *consumed is the total that
 * the parser used.
 */
static inline enum smtp_proxy_parse_status
parse_in_pieces(struct smtp_proxy_parser *p, unsigned versions,
    const void *data, size_t len, size_t piece, size_t *consumed)
{
	const unsigned char *bytes = data;
	enum smtp_proxy_parse_status status = SMTP_PROXY_PARSE_MORE;
	size_t off = 0;

	smtp_proxy_parser_init(p, versions);
	*consumed = 0;
	while (off < len && status == SMTP_PROXY_PARSE_MORE) {
		size_t n = len - off < piece ? len - off : piece;
		size_t used = 0;

		status = smtp_proxy_parse(p, bytes + off, n, &used);
		*consumed += used;
		off += n;
	}
	return status;
}

static inline struct sockaddr_storage
make_address(const char *text, unsigned port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, text, &sin6->sin6_addr);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, text, &sin->sin_addr);
	}
	return ss;
}

/* Returns whether a and b hold the same family, address and port. */
static inline bool
same_address(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

#endif
