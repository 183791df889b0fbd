/*
 * Socket addresses in the text form that SMTP lines use.
 */
#include <arpa/inet.h>
#include <string.h>

#include "smtp/address.h"

static const unsigned char ipv4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

bool
smtp_address_from_sockaddr(struct smtp_address *a, const struct sockaddr *sa)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const void *address;

	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&sin, sa, sizeof(sin));
		a->family = AF_INET;
		a->port = ntohs(sin.sin_port);
		address = &sin.sin_addr;
		break;

	case AF_INET6:
		memcpy(&sin6, sa, sizeof(sin6));
		a->port = ntohs(sin6.sin6_port);
		if (memcmp(&sin6.sin6_addr, ipv4_mapped_prefix,
		    sizeof(ipv4_mapped_prefix)) == 0) {
			a->family = AF_INET;
			address = sin6.sin6_addr.s6_addr + 12;
		} else {
			a->family = AF_INET6;
			address = &sin6.sin6_addr;
		}
		break;

	default:
		return false;
	}

	return inet_ntop(a->family, address, a->text, sizeof(a->text)) != NULL;
}
