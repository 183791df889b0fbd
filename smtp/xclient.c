/*
 * The XCLIENT command line and the EHLO argument that feeds its HELO value.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp/address.h"
#include "smtp/xclient.h"

/* Writes nothing: returns how many bytes the xtext of value needs. */
static size_t
xtext_len(const char *value)
{
	size_t len = 0;

	for (const unsigned char *p = (const unsigned char *)value; *p != '\0';
	    p++) {
		bool plain = *p >= 33 && *p <= 126 && *p != '+' && *p != '=';

		len += plain ? 1 : 3;
	}
	return len;
}

/* Writes the xtext of value to out, which must have room for it. */
static char *
xtext_put(char *out, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)value; *p != '\0';
	    p++) {
		if (*p >= 33 && *p <= 126 && *p != '+' && *p != '=') {
			*out++ = (char)*p;
		} else {
			*out++ = '+';
			*out++ = hex[*p >> 4];
			*out++ = hex[*p & 0x0f];
		}
	}
	return out;
}

size_t
smtp_xclient_encode(char *out, size_t cap, const struct sockaddr *client,
    const char *helo)
{
	struct smtp_address address;
	size_t helo_len = 0;
	size_t len;
	int n;

	if (!smtp_address_from_sockaddr(&address, client))
		return 0;

	n = snprintf(out, cap, "XCLIENT NAME=[UNAVAILABLE] ADDR=%s%s PORT=%u",
	    address.family == AF_INET6 ? "IPV6:" : "", address.text,
	    address.port);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	len = (size_t)n;

	if (helo != NULL && strlen(helo) <= SMTP_XCLIENT_HELO_MAX)
		helo_len = xtext_len(helo);
	if (helo_len > 0 && len + strlen(" HELO=") + helo_len + 2 <=
	    SMTP_XCLIENT_LINE_MAX) {
		if (len + strlen(" HELO=") + helo_len >= cap)
			return 0;
		memcpy(out + len, " HELO=", strlen(" HELO="));
		len += strlen(" HELO=");
		len = (size_t)(xtext_put(out + len, helo) - out);
	}

	if (len + 2 >= cap)
		return 0;
	memcpy(out + len, "\r\n", 3);
	return len + 2;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A NUL ends the argument too, so that it can be copied as a C string. */
static bool
is_argument_end(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

size_t
smtp_helo_argument(const char *line, size_t len, const char **arg)
{
	size_t start;
	size_t end;

	if (len < 4 || (strncasecmp(line, "EHLO", 4) != 0 &&
	    strncasecmp(line, "HELO", 4) != 0))
		return 0;
	if (len == 4 || !is_blank(line[4]))
		return 0;

	start = 5;
	while (start < len && is_blank(line[start]))
		start++;
	end = start;
	while (end < len && !is_argument_end(line[end]))
		end++;
	if (end == start)
		return 0;

	*arg = line + start;
	return end - start;
}
