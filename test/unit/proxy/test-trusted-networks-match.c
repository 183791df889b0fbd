/*
 * Which client addresses trusted_proxies lets send a PROXY header: IPv4 and
 * IPv6 networks at byte and bit boundaries, single addresses, /0, and an
 * IPv4 client seen as IPv4-mapped IPv6 on a dual-stack socket.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "proxy/trusted_networks.h"
#include "test/unit/check.h"

static struct config_network
network(const char *address, unsigned prefix_len)
{
	struct config_network n;

	memset(&n, 0, sizeof(n));
	n.family = strchr(address, ':') != NULL ? AF_INET6 : AF_INET;
	inet_pton(n.family, address, n.address);
	n.prefix_len = prefix_len;
	return n;
}

/* Returns whether text (an IPv4 or IPv6 address) matches one of count
 * networks. */
static bool
contains(const struct config_network *networks, size_t count,
    const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &in6->sin6_addr);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		inet_pton(AF_INET, text, &in->sin_addr);
	}
	return trusted_networks_contain(networks, count,
	    (struct sockaddr *)&ss);
}

int
main(void)
{
	struct config_network lbs[] = {
		network("10.0.0.0", 8),
		network("192.0.2.1", 32),
		network("198.51.100.64", 26),
		network("2001:db8:1::", 48),
		network("2001:db8:2::7", 128),
	};
	size_t count = sizeof(lbs) / sizeof(lbs[0]);
	struct config_network everyone[] = { network("0.0.0.0", 0) };

	CHECK(contains(lbs, count, "10.0.0.1"), "10.0.0.1 is in 10.0.0.0/8");
	CHECK(contains(lbs, count, "10.255.255.255"), "10.255.255.255 is in "
	    "10.0.0.0/8");
	CHECK(!contains(lbs, count, "11.0.0.0"), "11.0.0.0 is not");
	CHECK(contains(lbs, count, "192.0.2.1"), "the single address matches");
	CHECK(!contains(lbs, count, "192.0.2.2"), "its neighbour does not");
	CHECK(contains(lbs, count, "198.51.100.64"), "the first address of a "
	    "/26 matches");
	CHECK(contains(lbs, count, "198.51.100.127"), "the last address of a "
	    "/26 matches");
	CHECK(!contains(lbs, count, "198.51.100.63"), "the address before a "
	    "/26 does not");
	CHECK(!contains(lbs, count, "198.51.100.128"), "the address after a "
	    "/26 does not");
	CHECK(contains(lbs, count, "2001:db8:1:ffff::1"), "an address in the "
	    "IPv6 /48 matches");
	CHECK(!contains(lbs, count, "2001:db8:2::1"), "an address outside it "
	    "does not");
	CHECK(contains(lbs, count, "2001:db8:2::7"), "the IPv6 /128 matches");
	CHECK(contains(lbs, count, "::ffff:10.1.2.3"), "an IPv4-mapped client "
	    "matches the IPv4 network");
	CHECK(!contains(lbs, count, "::ffff:11.1.2.3"), "an IPv4-mapped client "
	    "outside it does not");
	CHECK(!contains(lbs, count, "::a01:203"), "an IPv6 address with the "
	    "same low bytes as 10.1.2.3 does not match IPv4");
	CHECK(contains(everyone, 1, "203.0.113.9"), "0.0.0.0/0 matches any "
	    "IPv4 address");
	CHECK(!contains(everyone, 1, "2001:db8::1"), "0.0.0.0/0 matches no "
	    "IPv6 address");
	CHECK(!contains(lbs, 0, "10.0.0.1"), "an empty list matches nothing");

	struct sockaddr_un unix_address = { .sun_family = AF_UNIX };

	CHECK(!trusted_networks_contain(lbs, count,
	    (struct sockaddr *)&unix_address), "AF_UNIX never matches");
	return check_done();
}
