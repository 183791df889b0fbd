"""max_sessions_per_client counts an IPv6 client by its /64.

subtls runs in a network namespace whose loopback has three addresses of
2001:db8:1:2::/64 and one of 2001:db8:1:3::/64, so the test can connect
from two /64s without touching the host's network.  With
max_sessions_per_client = 2, two sessions from two addresses of the first
/64 are served, a third from another address of it gets the 421 and a
warning line with key=2001:db8:1:2::/64, and the other /64 is still served.
"""

import subprocess

from limit_checks import TOO_MANY_CONNECTIONS, limit_lines
from session_log import close_fields
from smtp_clients import LineClient
from test_dual_stack_listener_sends_ipv4 import (  # noqa: F401 (a fixture)
    connect_in_namespace, network_namespace)

SAME_64 = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2::3"]
OTHER_64 = "2001:db8:1:3::1"


def add_loopback_addresses(namespace: str, addresses: list) -> None:
    for address in addresses:
        subprocess.run(["ip", "netns", "exec", namespace, "ip", "-6", "addr", "add",
                        f"{address}/128", "dev", "lo", "nodad"],
                       check=True, capture_output=True, timeout=10)


def session_from(namespace: str, source: str, port: int) -> LineClient:
    return LineClient.from_socket(connect_in_namespace(namespace, source, "::1", port))


def test_sessions_per_client_ipv6_64(network_namespace, start_subtls):
    add_loopback_addresses(network_namespace, SAME_64 + [OTHER_64])
    subtls = start_subtls("unix", listen_host="[::1]", max_sessions_per_client="2",
                          connection_rate_per_client="0",
                          command_prefix=("ip", "netns", "exec", network_namespace))
    port = subtls.starttls_port
    clients = []
    try:
        for source in SAME_64[:2]:
            clients.append(session_from(network_namespace, source, port))
            greeting = clients[-1].read_reply()
            assert greeting[0].startswith("220 "), f"{source}: {greeting}"

        refused = session_from(network_namespace, SAME_64[2], port)
        clients.append(refused)
        refused_address = refused.local_address
        assert refused.read_reply() == [TOO_MANY_CONNECTIONS]
        assert refused.is_closed(5.0), "subtls should close after the 421"
        peer = f"[{SAME_64[2]}]:{refused_address.rsplit(':', 1)[1]}"
        assert close_fields(subtls, peer).get("reason") == "too_many_sessions_per_client"
        warnings = limit_lines(subtls.log_text(), "max_sessions_per_client")
        assert warnings and warnings[0].get("key") == "2001:db8:1:2::/64", subtls.log_text()

        other = session_from(network_namespace, OTHER_64, port)
        clients.append(other)
        greeting = other.read_reply()
        assert greeting[0].startswith("220 "), f"the other /64 was refused: {greeting}"
    finally:
        for client in clients:
            client.close()
