"""max_sessions refuses new sessions from any client while the server is full.

With max_sessions = 3 and three idle sessions from two addresses, a
session from a third address gets "421 4.7.0 ... Too many connections" on
the STARTTLS listener and is closed without a handshake on the implicit TLS
listener; its close line has reason=too_many_sessions.  Once one idle
session ends, a client delivers through Postfix again.
"""

import socket
import ssl

from limit_checks import TOO_MANY_CONNECTIONS, deliver_from, idle_starttls_session, limit_lines
from session_log import close_fields
from smtp_clients import CLIENT_ADDRESS, LineClient, client_context

OTHER_ADDRESS = "127.0.0.3"
THIRD_ADDRESS = "127.0.0.4"


def test_max_sessions_refuses_new(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", max_sessions="3", max_sessions_per_client="0",
                          connection_rate_per_client="0")
    idle = [idle_starttls_session(subtls, CLIENT_ADDRESS),
            idle_starttls_session(subtls, CLIENT_ADDRESS),
            idle_starttls_session(subtls, OTHER_ADDRESS)]
    try:
        with LineClient(subtls.starttls_port, THIRD_ADDRESS) as client:
            refused_address = client.local_address
            assert client.read_reply() == [TOO_MANY_CONNECTIONS]
            assert client.is_closed(5.0), "subtls should close after the 421"
        with LineClient(subtls.implicit_port, THIRD_ADDRESS) as client:
            implicit_address = client.local_address
            try:
                client.starttls(client_context(certificate.certificate))
                handshake = "completed"
            except (ssl.SSLError, ConnectionError, socket.timeout) as error:
                handshake = f"failed: {error}"
            assert handshake.startswith("failed"), (
                "the implicit TLS listener spent a handshake on a session over the limit")

        assert close_fields(subtls, refused_address).get("reason") == "too_many_sessions"
        assert close_fields(subtls, implicit_address).get("reason") == "too_many_sessions"
        warnings = limit_lines(subtls.log_text(), "max_sessions")
        assert warnings, f"no limit line in the log:\n{subtls.log_text()}"
        assert warnings[0].get("value") == "3", warnings[0]
        assert warnings[0].get("client") == refused_address, warnings[0]
        assert warnings[0].get("action") == "refused", warnings[0]

        ended = idle.pop()
        ended_address = ended.local_address
        ended.close()
        assert close_fields(subtls, ended_address).get("reason") == "client_closed"
        deliver_from(subtls, postfix, certificate, "implicit", THIRD_ADDRESS)
    finally:
        for client in idle:
            client.close()
