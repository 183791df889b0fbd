/*
 * The Received: trace header (RFC 5321 section 4.4) that subtls adds at the
 * top of each message, so that the message itself records what the backend
 * behind a TLS proxy cannot see:
 *
 *	Received: from mail.example.org ([192.0.2.1] port 40000)
 *		by mx.example.org (subtls) with ESMTPSA id 0123456789abcdef
 *		(listener submissions, TLSv1.3 cipher TLS_AES_256_GCM_SHA384,
 *		sni mx.example.org, user alice);
 *		Fri, 4 Dec 2026 23:06:32 +0000
 *
 * from	the client's EHLO or HELO argument when it is a valid domain name or
 *	address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]"), otherwise
 *	"unknown" with ", helo NAME" added to the comment that follows.
 *	The comment contains the client's address and port, an IPv6 address as
 *	[IPv6:2001:db8::1] and an IPv4-mapped IPv6 address as IPv4.
 * by	subtls's host name.
 * with	ESMTPSA after a successful AUTH, otherwise ESMTPS (RFC 3848).
 * id	the session id, as in subtls's log lines.
 * (...)	the listener name, the TLS version and cipher, the server name
 *	the client sent (SNI) and the authenticated user, each left out
 *	when not given.
 * date	in UTC (RFC 5322 section 3.3).
 *
 * The HELO argument, SNI and user come from the client.  In the comments
 * each such value is cut at SMTP_TRACE_FIELD_MAX bytes, '(' ')' and '\' get
 * a backslash (RFC 5322 quoted-pair), and control characters, spaces and
 * bytes of 127 and above become '?', so a value can neither end the comment
 * nor pass for another item.  The listener name, TLS version and cipher are
 * written the same way.
 *
 * The header is folded with CRLF and a tab: "by", the comment and the date
 * start new lines, and a line is folded between items when it would pass 78
 * characters (RFC 5322 section 2.1.1).  No item is split, so a line longer
 * than 78 characters holds a single long item, and stays below the hard
 * limit of 998 because an item is at most 2 * SMTP_TRACE_FIELD_MAX + 10 bytes.
 */
#ifndef SMTP_TRACE_H
#define SMTP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

/* Maximum bytes of any one field that are written, before escaping. */
#define SMTP_TRACE_FIELD_MAX 255

/* Maximum length of the session id. */
#define SMTP_TRACE_ID_MAX 64

/*
 * A buffer of this size fits any header smtp_trace_header() writes, with its
 * NUL.  trace.c checks at compile time that it covers the worst case.
 */
#define SMTP_TRACE_HEADER_MAX 4096

/* The facts of one session.  Strings are NUL-terminated. */
struct smtp_trace {
	const struct sockaddr *client;	/* struct sockaddr_in or _in6 */
	const char *helo;		/* EHLO or HELO argument as the client
					 * sent it, or NULL */
	const char *by;			/* subtls's host name: a domain name */
	const char *listener;		/* listener name, or NULL */
	const char *tls_version;	/* "TLSv1.3", or NULL */
	const char *cipher;		/* "TLS_AES_256_GCM_SHA384", or NULL */
	const char *sni;		/* server name the client sent, NULL or
					 * "" when none */
	const char *user;		/* written when not NULL, so the caller
					 * decides whether to name the user */
	bool authenticated;		/* AUTH succeeded: "with ESMTPSA" */
	const char *id;			/* session id: 1 to SMTP_TRACE_ID_MAX
					 * letters, digits or RFC 5322 atext */
	time_t when;			/* when the message arrived */
};

/*
 * Writes the Received: header for t into out, ending in CRLF.  out is
 * NUL-terminated, and the NUL must fit in cap too but is not counted in the
 * returned length.
 *
 * Returns the length, or 0 in these cases: cap is too small, the address
 * family is neither AF_INET nor AF_INET6, by is not a domain name of at most
 * 255 bytes, id is not an atom of at most SMTP_TRACE_ID_MAX bytes, or the
 * year of when is outside 1900..9999.
 */
size_t smtp_trace_header(char *out, size_t cap, const struct smtp_trace *t);

#endif
