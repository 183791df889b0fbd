"""max_sessions_per_client refuses one client's extra sessions, and only its.

With max_sessions_per_client = 3, three idle sessions from 127.0.0.2 are
served.  A fourth gets "421 4.7.0 ... Too many connections" before TLS on
the STARTTLS listener, and is closed without a handshake on the implicit TLS
listener.  The limit writes a warning line, and the session's close line
gives the reason.  A client from 127.0.0.3 still delivers through Postfix,
and once one of the three sessions ends, 127.0.0.2 is served again.
"""

import socket
import ssl

from limit_checks import TOO_MANY_CONNECTIONS, deliver_from, idle_starttls_session, limit_lines
from session_log import close_fields
from smtp_clients import CLIENT_ADDRESS, LineClient, client_context

OTHER_ADDRESS = "127.0.0.3"


def test_sessions_per_client_limited(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", max_sessions_per_client="3", connection_rate_per_client="0")
    idle = [idle_starttls_session(subtls, CLIENT_ADDRESS) for _ in range(3)]
    try:
        with LineClient(subtls.starttls_port) as client:
            refused_address = client.local_address
            assert client.read_reply() == [TOO_MANY_CONNECTIONS]
            assert client.is_closed(5.0), "subtls should close after the 421"

        with LineClient(subtls.implicit_port) as client:
            implicit_address = client.local_address
            try:
                client.starttls(client_context(certificate.certificate))
                handshake = "completed"
            except (ssl.SSLError, ConnectionError, socket.timeout) as error:
                handshake = f"failed: {error}"
            assert handshake.startswith("failed"), (
                "the implicit TLS listener spent a handshake on a session over the limit")

        fields = close_fields(subtls, refused_address)
        assert fields.get("reason") == "too_many_sessions_per_client", fields
        assert close_fields(subtls, implicit_address).get("reason") == \
            "too_many_sessions_per_client"
        warnings = limit_lines(subtls.log_text(), "max_sessions_per_client")
        assert warnings, f"no limit line in the log:\n{subtls.log_text()}"
        assert warnings[0].get("value") == "3", warnings[0]
        assert warnings[0].get("key") == CLIENT_ADDRESS, warnings[0]
        assert warnings[0].get("client") == refused_address, warnings[0]
        assert warnings[0].get("listener") == "submission", warnings[0]

        deliver_from(subtls, postfix, certificate, "starttls", OTHER_ADDRESS)
        deliver_from(subtls, postfix, certificate, "implicit", OTHER_ADDRESS)

        ended = idle.pop()
        ended_address = ended.local_address
        ended.close()
        assert close_fields(subtls, ended_address).get("reason") == "client_closed"
        idle.append(idle_starttls_session(subtls, CLIENT_ADDRESS))
    finally:
        for client in idle:
            client.close()
