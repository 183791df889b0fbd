"""A ClientHello on a STARTTLS listener closes the session and names the implicit TLS port.

A client set up for implicit TLS starts the handshake without waiting for a
greeting.  subtls closes at once, without a plaintext reply the client could
not read, and its close line names the listener the client should use.
"""

import time

from session_log import close_fields
from smtp_clients import LineClient, client_hello


def test_client_hello_closes_and_names_implicit_listener(start_subtls, certificate):
    subtls = start_subtls("unix", command_timeout="30s")

    with LineClient(subtls.starttls_port) as client:
        client_address = client.local_address
        greeting = client.read_reply()
        started = time.monotonic()
        client.send(client_hello(certificate.certificate))
        received = client.read_until_closed(5.0)
        elapsed = time.monotonic() - started

    fields = close_fields(subtls, client_address)
    assert greeting[0].startswith("220 "), greeting
    assert received == b""
    assert elapsed < 2.0, "the close should not wait for command_timeout"
    assert fields["reason"] == "tls_on_starttls_port"
    assert "implicit TLS" in fields["detail"], fields
    assert f"127.0.0.1:{subtls.implicit_port}" in fields["detail"], fields
