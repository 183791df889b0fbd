/*
 * Login names from SASL PLAIN and LOGIN responses (RFC 4616, RFC 4954).
 *
 * Internal to smtp/: the follower passes a client's base64 response and gets
 * back only the names.  The decoded bytes, which contain the password, live on
 * the stack of these functions and are wiped before they return.
 */
#ifndef SMTP_AUTH_DECODE_H
#define SMTP_AUTH_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/follower.h"

/* Maximum length of a login name that is kept, without its NUL. */
#define SMTP_AUTH_NAME_MAX SMTP_FOLLOW_NAME_MAX

/*
 * Decodes a PLAIN response ("authzid NUL authcid NUL passwd" in base64) and
 * copies the authorization identity to authzid (empty when none is given) and
 * the authentication identity to authcid.  Both buffers hold at least
 * SMTP_AUTH_NAME_MAX + 1 bytes.  Returns false, with both set to "", when the
 * response is not valid base64, lacks a field, or a name is too long or
 * contains a control character.
 */
bool smtp_auth_decode_plain(const char *base64, size_t len, char *authzid,
    char *authcid);

/*
 * Decodes the user name of a LOGIN exchange into user (at least
 * SMTP_AUTH_NAME_MAX + 1 bytes).  Returns false, with user set to "", under
 * the same conditions as smtp_auth_decode_plain().
 */
bool smtp_auth_decode_login_user(const char *base64, size_t len, char *user);

#endif
