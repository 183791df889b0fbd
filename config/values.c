/*
 * Parsers for single config values (durations, addresses, host names, TLS
 * names) and the names subtls prints for its settings.  The key setters in
 * keys.c report the errors.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "config/loader.h"

const char *const config_tls12_cipher_names[] = {
	"ECDHE-ECDSA-AES128-GCM-SHA256",
	"ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305",
	"ECDHE-RSA-CHACHA20-POLY1305",
	/* Only under profile legacy (config_tls12_legacy_cipher_names). */
	"ECDHE-ECDSA-AES128-SHA256",
	"ECDHE-RSA-AES128-SHA256",
	"ECDHE-ECDSA-AES128-SHA",
	"ECDHE-RSA-AES128-SHA",
	"ECDHE-ECDSA-AES256-SHA384",
	"ECDHE-RSA-AES256-SHA384",
	"ECDHE-ECDSA-AES256-SHA",
	"ECDHE-RSA-AES256-SHA",
	NULL,
};

const char *const config_tls13_suite_names[] = {
	"TLS_AES_128_GCM_SHA256",
	"TLS_AES_256_GCM_SHA384",
	"TLS_CHACHA20_POLY1305_SHA256",
	NULL,
};

const char *const config_group_names[] = {
	"X25519",
	"X448",
	"P-256",
	"P-384",
	"P-521",
	NULL,
};

static const struct config_alias no_aliases[] = {
	{ NULL, NULL },
};

/* wolfSSL's names for the TLS 1.3 suites. */
static const struct config_alias tls13_suite_aliases[] = {
	{ "TLS13-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256" },
	{ "TLS13-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384" },
	{ "TLS13-CHACHA20-POLY1305-SHA256", "TLS_CHACHA20_POLY1305_SHA256" },
	{ NULL, NULL },
};

/* The SECG and ANSI X9.62 names of the NIST curves (RFC 4492, appendix A). */
static const struct config_alias group_aliases[] = {
	{ "secp256r1", "P-256" },
	{ "prime256v1", "P-256" },
	{ "secp384r1", "P-384" },
	{ "secp521r1", "P-521" },
	{ NULL, NULL },
};

const struct config_vocabulary config_tls12_ciphers = {
	"ciphers", "TLS 1.2 cipher", config_tls12_cipher_names, no_aliases,
};

const struct config_vocabulary config_tls13_suites = {
	"ciphersuites", "TLS 1.3 cipher suite", config_tls13_suite_names,
	tls13_suite_aliases,
};

const struct config_vocabulary config_groups = {
	"groups", "group", config_group_names, group_aliases,
};

bool
config_parse_duration(const char *text, uint64_t *ms)
{
	uint64_t seconds = 0;
	uint64_t unit = 1;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		seconds = seconds * 10 + (uint64_t)(*p - '0');
		if (seconds > 24 * 3600)
			return false;
	}

	if (*p == 's')
		unit = 1;
	else if (*p == 'm')
		unit = 60;
	else if (*p == 'h')
		unit = 3600;
	else if (*p != '\0')
		return false;
	if (*p != '\0' && p[1] != '\0')
		return false;

	seconds *= unit;
	if (seconds < 1 || seconds > 24 * 3600)
		return false;
	*ms = seconds * 1000;
	return true;
}

/* A domain name in the letters-digits-hyphen syntax of RFC 1035, section
 * 2.3.1: labels of 1 to 63 characters, no hyphen at either end of a label,
 * at most 253 characters.  One label ("localhost") is accepted. */
bool
config_is_hostname(const char *text)
{
	size_t length = strlen(text);
	size_t label = 0;

	if (length == 0 || length > 253)
		return false;

	for (size_t i = 0; i <= length; i++) {
		char c = text[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || text[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)c) || c == '-') {
			if (label == 0 && c == '-')
				return false;
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static bool
parse_port(const char *text, uint16_t *port)
{
	unsigned value = 0;
	size_t digits = 0;

	for (; isdigit((unsigned char)*text) && digits < 6; text++, digits++)
		value = value * 10 + (unsigned)(*text - '0');
	if (digits == 0 || *text != '\0' || value < 1 || value > 65535)
		return false;
	*port = (uint16_t)value;
	return true;
}

static bool
parse_ipv6(const char *text, struct sockaddr_storage *addr,
    socklen_t *addr_len, const char **reason)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;
	const char *close = strchr(text, ']');
	char host[INET6_ADDRSTRLEN + 1];
	size_t host_length;
	uint16_t port;

	if (close == NULL) {
		*reason = "missing ']' after the IPv6 address";
		return false;
	}
	host_length = (size_t)(close - text - 1);
	if (host_length >= sizeof(host)) {
		*reason = "not a numeric IPv6 address";
		return false;
	}
	memcpy(host, text + 1, host_length);
	host[host_length] = '\0';
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
		*reason = "not a numeric IPv6 address";
		return false;
	}
	if (close[1] != ':' || !parse_port(close + 2, &port)) {
		*reason = "missing or invalid port after ']:'";
		return false;
	}

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	*addr_len = sizeof(*sin6);
	return true;
}

static bool
parse_ipv4(const char *text, struct sockaddr_storage *addr,
    socklen_t *addr_len, const char **reason)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)addr;
	const char *colon = strchr(text, ':');
	char host[INET_ADDRSTRLEN + 1];
	size_t host_length;
	uint16_t port;

	if (colon == NULL) {
		*reason = "missing ':port'";
		return false;
	}
	if (strchr(colon + 1, ':') != NULL) {
		*reason = "an IPv6 address needs brackets, as in [::1]:port";
		return false;
	}
	host_length = (size_t)(colon - text);
	if (host_length == 1 && text[0] == '*') {
		*reason = "'*' is ambiguous; write 0.0.0.0:port for IPv4 or "
		    "[::]:port for IPv6";
		return false;
	}
	if (host_length >= sizeof(host)) {
		*reason = "not a numeric IPv4 address (host names are not "
		    "looked up)";
		return false;
	}
	memcpy(host, text, host_length);
	host[host_length] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		*reason = "not a numeric IPv4 address (host names are not "
		    "looked up)";
		return false;
	}
	if (!parse_port(colon + 1, &port)) {
		*reason = "invalid port";
		return false;
	}

	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*addr_len = sizeof(*sin);
	return true;
}

/* Parses "a.b.c.d:port" or "[IPv6]:port".  IPv6 zone ids are not supported
 * because inet_pton() does not parse them. */
bool
config_parse_address(const char *text, struct sockaddr_storage *addr,
    socklen_t *addr_len, const char **reason)
{
	memset(addr, 0, sizeof(*addr));
	*addr_len = 0;

	if (text[0] == '[')
		return parse_ipv6(text, addr, addr_len, reason);
	return parse_ipv4(text, addr, addr_len, reason);
}

bool
config_same_address(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

uint16_t
config_address_port(const struct sockaddr_storage *addr)
{
	if (addr->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)addr)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
}

bool
config_is_ipv6_wildcard(const struct sockaddr_storage *addr)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;

	return addr->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
}

bool
config_is_wildcard(const struct sockaddr_storage *addr)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;

	if (addr->ss_family == AF_INET)
		return sin->sin_addr.s_addr == htonl(INADDR_ANY);
	return config_is_ipv6_wildcard(addr);
}

/* Returns the canonical spelling of name, which may be in any case or an
 * alias, or NULL when the vocabulary lacks it. */
const char *
config_vocabulary_find(const struct config_vocabulary *vocabulary,
    const char *name)
{
	for (size_t i = 0; vocabulary->names[i] != NULL; i++) {
		if (strcasecmp(name, vocabulary->names[i]) == 0)
			return vocabulary->names[i];
	}
	for (size_t i = 0; vocabulary->aliases[i].alias != NULL; i++) {
		if (strcasecmp(name, vocabulary->aliases[i].alias) == 0)
			return vocabulary->aliases[i].name;
	}
	return NULL;
}

/* Writes the canonical names, separated by ", ", for an error message. */
void
config_vocabulary_list(const struct config_vocabulary *vocabulary, char *out,
    size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; vocabulary->names[i] != NULL && used < size; i++) {
		int written = snprintf(out + used, size - used, "%s%s",
		    i > 0 ? ", " : "", vocabulary->names[i]);

		if (written < 0)
			break;
		used += (size_t)written;
	}
}

const char *
config_mode_name(enum config_listener_mode mode)
{
	return mode == CONFIG_MODE_STARTTLS ? "starttls" : "implicit";
}

const char *
config_accept_proxy_name(enum config_accept_proxy accept)
{
	switch (accept) {
	case CONFIG_ACCEPT_PROXY_NO:
		return "no";
	case CONFIG_ACCEPT_PROXY_V1:
		return "v1";
	case CONFIG_ACCEPT_PROXY_V2:
		return "v2";
	case CONFIG_ACCEPT_PROXY_ANY:
		return "any";
	}
	return "no";
}

/* Parses a prefix length of 0 to max, decimal without leading zeros. */
static bool
parse_prefix_len(const char *text, unsigned max, unsigned *prefix_len)
{
	size_t len = strlen(text);
	unsigned value = 0;

	if (len == 0 || len > 3 || (len > 1 && text[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)text[i]))
			return false;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (value > max)
		return false;
	*prefix_len = value;
	return true;
}

bool
config_parse_network(const char *text, struct config_network *network,
    const char **reason)
{
	char address[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t address_len = slash != NULL ? (size_t)(slash - text) :
	    strlen(text);
	unsigned max, bytes;
	static const unsigned char v4_mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};

	memset(network, 0, sizeof(*network));
	if (address_len == 0 || address_len >= sizeof(address)) {
		*reason = "not an IPv4 or IPv6 address";
		return false;
	}
	memcpy(address, text, address_len);
	address[address_len] = '\0';
	if (inet_pton(AF_INET, address, network->address) == 1) {
		network->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, address, network->address) == 1) {
		network->family = AF_INET6;
		max = 128;
	} else {
		*reason = "not an IPv4 or IPv6 address";
		return false;
	}

	network->prefix_len = max;
	if (slash != NULL && !parse_prefix_len(slash + 1, max,
	    &network->prefix_len)) {
		*reason = network->family == AF_INET ? "the prefix length is "
		    "not a number from 0 to 32" : "the prefix length is not a "
		    "number from 0 to 128";
		return false;
	}

	/* Clients are matched by their IPv4 address even on a dual-stack
	 * socket, so an IPv4-mapped network is stored as IPv4. */
	if (network->family == AF_INET6 && network->prefix_len >= 96 &&
	    memcmp(network->address, v4_mapped, sizeof(v4_mapped)) == 0) {
		memmove(network->address, network->address + 12, 4);
		memset(network->address + 4, 0, 12);
		network->family = AF_INET;
		network->prefix_len -= 96;
		max = 32;
	}

	bytes = max / 8;
	for (unsigned bit = network->prefix_len; bit < bytes * 8; bit++) {
		if (network->address[bit / 8] & (0x80u >> (bit % 8))) {
			*reason = network->family == AF_INET ? "bits are set "
			    "after the prefix length: write the network "
			    "address, such as 10.0.0.0/8" : "bits are set "
			    "after the prefix length: write the network "
			    "address, such as 2001:db8::/32";
			return false;
		}
	}
	return true;
}

const char *
config_identity_name(enum config_identity identity)
{
	switch (identity) {
	case CONFIG_IDENTITY_PROXY_V2:
		return "proxy-v2";
	case CONFIG_IDENTITY_PROXY_V1:
		return "proxy-v1";
	case CONFIG_IDENTITY_XCLIENT:
		return "xclient";
	case CONFIG_IDENTITY_NONE:
		return "none";
	}
	return "unknown";
}

const char *
config_tls_version_name(int version)
{
	switch (version) {
	case CONFIG_TLS1_0:
		return "TLS1.0";
	case CONFIG_TLS1_1:
		return "TLS1.1";
	case CONFIG_TLS1_2:
		return "TLS1.2";
	case CONFIG_TLS1_3:
		return "TLS1.3";
	}
	return "unknown";
}
