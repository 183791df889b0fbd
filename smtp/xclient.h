/*
 * Postfix's XCLIENT command (XCLIENT_README), which passes the real client's
 * address to a backend that lists subtls in smtpd_authorized_xclient_hosts:
 *
 *   XCLIENT NAME=[UNAVAILABLE] ADDR=192.0.2.1 PORT=40000 HELO=mail.example.org
 *
 * NAME is always [UNAVAILABLE] because subtls does no DNS lookups.  ADDR is
 * the client's address, with the prefix "IPV6:" for IPv6, and an IPv4-mapped
 * IPv6 address (::ffff:192.0.2.1) written as IPv4.  HELO is the argument of
 * the client's EHLO or HELO command.  Values are xtext (RFC 3461 section 4):
 * '+', '=' and every byte outside 33..126 become "+HH" with upper-case hex.
 *
 * The backend replies with its greeting (220) when it accepts the command,
 * which the caller reads with smtp/reply.h's reader before it sends anything
 * else, because Postfix rejects commands pipelined after XCLIENT.
 */
#ifndef SMTP_XCLIENT_H
#define SMTP_XCLIENT_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * Maximum length of the XCLIENT line, CRLF included: the limit of an SMTP
 * command line (RFC 5321 section 4.5.3.1.4), which XCLIENT_README repeats.
 * A buffer of SMTP_XCLIENT_LINE_MAX + 1 bytes fits any line with its NUL.
 */
#define SMTP_XCLIENT_LINE_MAX 512

/*
 * Maximum length of a HELO value that is sent: XCLIENT_README allows 255
 * characters, the maximum length of a domain name.
 */
#define SMTP_XCLIENT_HELO_MAX 255

/*
 * Writes the XCLIENT line for client (a struct sockaddr_in or sockaddr_in6)
 * into out.  out is NUL-terminated, and the NUL must fit in cap too but is
 * not counted in the returned length.
 *
 * helo is the client's EHLO or HELO argument as the client sent it.  The HELO
 * attribute is left out when helo is NULL or empty, when it is longer than
 * SMTP_XCLIENT_HELO_MAX bytes, or when its xtext would make the line longer
 * than SMTP_XCLIENT_LINE_MAX.  It is never cut, because a cut HELO would be
 * a different name.
 *
 * Returns the length, or 0 when the address family is neither AF_INET nor
 * AF_INET6 or the line does not fit in cap.
 */
size_t smtp_xclient_encode(char *out, size_t cap,
    const struct sockaddr *client, const char *helo);

/*
 * Finds the argument of an EHLO or HELO command line: the verb in any case,
 * spaces or tabs, then the argument up to the next blank, CR, LF or NUL.
 * line contains len bytes, with or without its CRLF, and need not be
 * NUL-terminated.  Sets *arg to the argument's first byte and returns its
 * length, or returns 0 and leaves *arg alone when the verb is neither EHLO
 * nor HELO or no argument follows it.
 */
size_t smtp_helo_argument(const char *line, size_t len, const char **arg);

#endif
