"""Plaintext on an implicit TLS listener closes the session and names the STARTTLS port.

A client that speaks SMTP without TLS, or an HTTP client, sends printable
text where a ClientHello should come.  subtls closes at once instead of
waiting for handshake_timeout, sends nothing, and its close line names the
listener the client should use.
"""

import time

import pytest

from session_log import close_fields
from smtp_clients import LineClient


@pytest.mark.parametrize("first_line", ["EHLO client.test", "HELO client.test", "QUIT",
                                        "GET / HTTP/1.1"])
def test_plaintext_closes_and_names_starttls_listener(start_subtls, first_line):
    subtls = start_subtls("unix", handshake_timeout="30s")

    with LineClient(subtls.implicit_port) as client:
        client_address = client.local_address
        started = time.monotonic()
        client.send(first_line.encode() + b"\r\n")
        received = client.read_until_closed(5.0)
        elapsed = time.monotonic() - started

    fields = close_fields(subtls, client_address)
    assert received == b""
    assert elapsed < 2.0, "the close should not wait for handshake_timeout"
    assert fields["reason"] == "plaintext_on_tls_port"
    assert "STARTTLS" in fields["detail"], fields
    assert f"127.0.0.1:{subtls.starttls_port}" in fields["detail"], fields
