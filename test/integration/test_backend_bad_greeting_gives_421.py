"""A backend that does not greet with 220 gives the STARTTLS client a 421.

On the STARTTLS listener the client already had subtls's own 220, so subtls
reads the backend's greeting after the handshake.  Anything but 220, and a
backend that closes before greeting, ends the session with 421 4.3.2, which
the client reads as the reply to its EHLO.  On the implicit TLS listener the
backend's greeting is the client's first reply, and subtls passes it on
unchanged; a backend that closes before greeting gives a 421 there too.
"""

import socket

from fake_backend import FakeBackend, read_proxy_v2_header
from session_log import close_fields
from smtp_clients import LineClient, client_context, implicit_tls_client
from subtls_process import HOSTNAME

REJECTING_GREETING = b"554 5.3.2 not now\r\n"
UNAVAILABLE = f"421 4.3.2 {HOSTNAME} Service not available, closing transmission channel"


def greet_with_554(connection: socket.socket) -> None:
    read_proxy_v2_header(connection)
    connection.sendall(REJECTING_GREETING)
    while connection.recv(4096):
        pass


def close_at_once(connection: socket.socket) -> None:
    pass  # FakeBackend closes the connection when the handler returns


def ehlo_after_starttls(subtls, certificate) -> tuple:
    """Return the client address, the reply to EHLO after STARTTLS, and whether the connection closed."""
    with LineClient(subtls.starttls_port) as client:
        client_address = client.local_address
        client.read_reply()
        client.command("EHLO client.test")
        assert client.command("STARTTLS") == ["220 2.0.0 Ready to start TLS"]
        client.starttls(client_context(certificate.certificate))
        reply = client.command("EHLO client.test")
        closed = client.is_closed(5.0)
    return client_address, reply, closed


def test_starttls_554_greeting_gives_421(start_subtls, certificate, tmp_path):
    with FakeBackend(tmp_path / "backend.sock", greet_with_554) as backend:
        subtls = start_subtls(backend.address)
        client_address, reply, closed = ehlo_after_starttls(subtls, certificate)

    assert reply == [UNAVAILABLE]
    assert closed
    assert close_fields(subtls, client_address)["reason"] == "backend_rejected"


def test_starttls_backend_closing_at_once_gives_421(start_subtls, certificate, tmp_path):
    with FakeBackend(tmp_path / "backend.sock", close_at_once) as backend:
        subtls = start_subtls(backend.address)
        client_address, reply, closed = ehlo_after_starttls(subtls, certificate)

    assert reply == [UNAVAILABLE]
    assert closed
    # subtls either writes its PROXY header into the closed socket or reads EOF or a reset first.
    assert close_fields(subtls, client_address)["reason"] in (
        "backend_closed", "backend_write_failed", "backend_read_failed")


def test_implicit_tls_passes_554_greeting_unchanged(start_subtls, certificate, tmp_path):
    with FakeBackend(tmp_path / "backend.sock", greet_with_554) as backend:
        subtls = start_subtls(backend.address)
        with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
            first_line = client.read_line()

    assert first_line == REJECTING_GREETING


def test_implicit_tls_backend_closing_at_once_gives_421(start_subtls, certificate, tmp_path):
    with FakeBackend(tmp_path / "backend.sock", close_at_once) as backend:
        subtls = start_subtls(backend.address)
        with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
            client_address = client.local_address
            reply = client.read_reply()
            closed = client.is_closed(5.0)

    assert reply == [UNAVAILABLE]
    assert closed
    assert close_fields(subtls, client_address)["reason"] in (
        "backend_closed", "backend_write_failed", "backend_read_failed")
