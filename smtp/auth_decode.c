/*
 * Login names from SASL PLAIN and LOGIN responses.  The base64 decoder is
 * strict (RFC 4648 section 4 alphabet, padding required) because a client
 * that sends something else fails its AUTH at the backend anyway.
 */
#include <string.h>

#include "smtp/auth_decode.h"

/* A PLAIN response of a command line of 512 bytes decodes to less. */
#define AUTH_DECODED_MAX 512

static int
base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 into out.  Returns the decoded length, or -1 when invalid. */
static long
base64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
	size_t n = 0;

	if (len % 4 != 0)
		return -1;

	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t pad = 0;

		for (size_t j = 0; j < 4; j++) {
			if (in[i + j] == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			/* A '=' may only be followed by another '='. */
			if (pad > 0)
				return -1;
			v[j] = base64_value(in[i + j]);
			if (v[j] < 0)
				return -1;
		}

		if (n + 3 - pad > cap)
			return -1;
		out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	return (long)n;
}

/* Copies a name of len bytes.  Returns false when it cannot be logged safely. */
static bool
name_copy(char *dst, const unsigned char *src, size_t len)
{
	if (len > SMTP_AUTH_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (src[i] < 0x20 || src[i] == 0x7f)
			return false;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

bool
smtp_auth_decode_plain(const char *base64, size_t len, char *authzid,
    char *authcid)
{
	unsigned char decoded[AUTH_DECODED_MAX];
	long n = base64_decode(base64, len, decoded, sizeof(decoded));
	const unsigned char *nul1, *nul2;
	bool ok = false;

	authzid[0] = authcid[0] = '\0';
	if (n < 0)
		goto out;

	nul1 = memchr(decoded, '\0', (size_t)n);
	if (nul1 == NULL)
		goto out;
	nul2 = memchr(nul1 + 1, '\0', (size_t)(decoded + n - (nul1 + 1)));
	if (nul2 == NULL || nul2 == nul1 + 1)
		goto out;

	ok = name_copy(authzid, decoded, (size_t)(nul1 - decoded)) &&
	    name_copy(authcid, nul1 + 1, (size_t)(nul2 - (nul1 + 1)));
	if (!ok)
		authzid[0] = authcid[0] = '\0';
out:
	/* The decoded bytes contain the password. */
	explicit_bzero(decoded, sizeof(decoded));
	return ok;
}

bool
smtp_auth_decode_login_user(const char *base64, size_t len, char *user)
{
	unsigned char decoded[AUTH_DECODED_MAX];
	long n = base64_decode(base64, len, decoded, sizeof(decoded));
	bool ok;

	user[0] = '\0';
	ok = n > 0 && memchr(decoded, '\0', (size_t)n) == NULL &&
	    name_copy(user, decoded, (size_t)n);
	explicit_bzero(decoded, sizeof(decoded));
	return ok;
}
