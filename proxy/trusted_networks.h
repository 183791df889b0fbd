/*
 * Matching a client address against the networks of trusted_proxies.
 */
#ifndef PROXY_TRUSTED_NETWORKS_H
#define PROXY_TRUSTED_NETWORKS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config/config.h"

/*
 * Returns whether addr lies in one of the count networks.  An IPv4-mapped
 * IPv6 address (a dual-stack socket's IPv4 client) is matched as IPv4, and
 * a family other than AF_INET and AF_INET6 never matches.
 */
bool trusted_networks_contain(const struct config_network *networks,
    size_t count, const struct sockaddr *addr);

#endif
