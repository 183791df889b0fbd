/*
 * A client's socket address as SMTP text writes it: the XCLIENT command and
 * the Received: trace header both name the address and port.
 */
#ifndef SMTP_ADDRESS_H
#define SMTP_ADDRESS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

/* An IP address in text form, with its port. */
struct smtp_address {
	int family;			/* AF_INET or AF_INET6 */
	char text[INET6_ADDRSTRLEN];	/* "192.0.2.1" or "2001:db8::1" */
	unsigned port;			/* host byte order */
};

/*
 * Fills a from sa, whose real type is struct sockaddr_in or struct
 * sockaddr_in6 as given by sa_family.  An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, the form in which a dual-stack listener reports an IPv4
 * client) becomes AF_INET, because the client connected over IPv4.  The scope id of a
 * link-local IPv6 address is dropped.  Returns false for any other family.
 */
bool smtp_address_from_sockaddr(struct smtp_address *a,
    const struct sockaddr *sa);

#endif
