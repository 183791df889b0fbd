"""After TLS, a session with no bytes in either direction for idle_timeout is closed.

subtls ends the TLS session with close_notify and logs reason=idle_timeout.
A client that sends a command more often than idle_timeout keeps its
session, so the timer measures idleness, not the session's age.
"""

import ssl
import time

import pytest

from session_log import close_fields, session_lines
from smtp_clients import LineClient, client_context

IDLE_TIMEOUT = 2.0
NOOP_INTERVAL = 0.5
NOOP_PERIOD = 4.0


def tls_client(port: int, certificate) -> LineClient:
    """Connect with implicit TLS.  A TCP close without close_notify raises ssl.SSLEOFError."""
    client = LineClient(port)
    client.sock = client_context(certificate.certificate).wrap_socket(
        client.sock, server_hostname="localhost", suppress_ragged_eofs=False)
    return client


def test_silent_session_closed_at_idle_timeout(start_subtls, certificate):
    subtls = start_subtls("unix", idle_timeout=f"{IDLE_TIMEOUT:.0f}s")

    with tls_client(subtls.implicit_port, certificate) as client:
        client_address = client.local_address
        greeting = client.read_reply()
        started = time.monotonic()
        try:
            remaining = client.read_until_closed(IDLE_TIMEOUT + 5.0)
        except ssl.SSLEOFError:
            pytest.fail(f"the connection closed without close_notify; log:\n{subtls.log_text()}")
        elapsed = time.monotonic() - started

    assert greeting[0].startswith("220 "), greeting
    assert remaining == b""
    assert elapsed >= IDLE_TIMEOUT - 0.2
    assert elapsed < IDLE_TIMEOUT + 2.0
    assert close_fields(subtls, client_address)["reason"] == "idle_timeout"


def test_noop_every_half_second_keeps_session(start_subtls, certificate):
    subtls = start_subtls("unix", idle_timeout=f"{IDLE_TIMEOUT:.0f}s")

    with tls_client(subtls.implicit_port, certificate) as client:
        client_address = client.local_address
        client.read_reply()
        replies = []
        deadline = time.monotonic() + NOOP_PERIOD
        while time.monotonic() < deadline:
            time.sleep(NOOP_INTERVAL)
            replies.append(client.command("NOOP"))
        lines_before_quit = session_lines(subtls.log_text(), client_address)
        quit_reply = client.command("QUIT")
        # Wait for subtls to close, so that the client's own close cannot come first.
        client.read_until_closed(5.0)

    assert len(replies) >= NOOP_PERIOD / NOOP_INTERVAL - 1
    assert all(reply[0].startswith("250 ") for reply in replies), replies
    assert not any("reason=" in line for line in lines_before_quit), lines_before_quit
    assert quit_reply[0].startswith("221 "), quit_reply
    assert close_fields(subtls, client_address)["reason"] == "backend_closed"
