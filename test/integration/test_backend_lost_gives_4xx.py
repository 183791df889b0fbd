"""A backend connection lost mid-session gives the client 451 or 421, never 250.

A fake backend on a unix socket greets, replies to EHLO, MAIL, RCPT and DATA,
and then closes the connection in one of two places (subtls reads a reset
when the close leaves client bytes unread, otherwise EOF):
  * inside a transaction, after some message content arrived: the client,
    still sending content, reads 451 4.3.0 before the close, so it keeps the
    message and retries it later;
  * between transactions, after the reply to EHLO: the client reads
    421 4.3.0 before the close.
"""

import socket

import pytest

from fake_backend import FakeBackend, read_proxy_v2_header, receive_exactly
from session_log import close_fields
from smtp_clients import tls_session
from subtls_process import HOSTNAME

CONTENT_BEFORE_CLOSE = 4096
LOST_IN_TRANSACTION = (f"451 4.3.0 {HOSTNAME} Error: lost the connection to the mail server, "
                       f"try again later")
LOST_BETWEEN_TRANSACTIONS = (f"421 4.3.0 {HOSTNAME} Error: lost the connection to the mail "
                             f"server, closing transmission channel")


def read_line(connection: socket.socket) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        line += receive_exactly(connection, 1)
    return line


def answer_until_content_then_close(connection: socket.socket) -> None:
    read_proxy_v2_header(connection)
    connection.sendall(b"220 fake ESMTP\r\n")
    for expected, reply in ((b"EHLO", b"250 fake\r\n"), (b"MAIL", b"250 2.1.0 Ok\r\n"),
                            (b"RCPT", b"250 2.1.5 Ok\r\n"), (b"DATA", b"354 Go ahead\r\n")):
        assert read_line(connection).upper().startswith(expected)
        connection.sendall(reply)
    receive_exactly(connection, CONTENT_BEFORE_CLOSE)


def answer_ehlo_then_close(connection: socket.socket) -> None:
    read_proxy_v2_header(connection)
    connection.sendall(b"220 fake ESMTP\r\n")
    assert read_line(connection).upper().startswith(b"EHLO")
    connection.sendall(b"250 fake\r\n")


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_close_mid_message_gives_451(start_subtls, certificate, tmp_path, listener):
    with FakeBackend(tmp_path / "backend.sock", answer_until_content_then_close) as backend:
        subtls = start_subtls(backend.address, require_auth="no")
        client, _ = tls_session(subtls, listener, certificate.certificate)
        with client:
            client_address = client.local_address
            assert client.command("MAIL FROM:<a@example.test>")[0].startswith("250")
            assert client.command("RCPT TO:<b@example.test>")[0].startswith("250")
            assert client.command("DATA")[0].startswith("354")
            # Content without its end: the client waits for the close.
            client.send(b"X" * (2 * CONTENT_BEFORE_CLOSE) + b"\r\n")
            reply = client.read_reply()
            closed = client.is_closed(5.0)

    assert reply == [LOST_IN_TRANSACTION]
    assert closed
    assert close_fields(subtls, client_address)["reason"] == "backend_read_failed"


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_close_between_transactions_gives_421(start_subtls, certificate, tmp_path, listener):
    with FakeBackend(tmp_path / "backend.sock", answer_ehlo_then_close) as backend:
        subtls = start_subtls(backend.address, require_auth="no")
        client, _ = tls_session(subtls, listener, certificate.certificate)
        with client:
            client_address = client.local_address
            reply = client.read_reply()
            closed = client.is_closed(5.0)

    assert reply == [LOST_BETWEEN_TRANSACTIONS]
    assert closed
    assert close_fields(subtls, client_address)["reason"] == "backend_closed"


def answer_noop_halfway_then_close(connection: socket.socket) -> None:
    read_proxy_v2_header(connection)
    connection.sendall(b"220 fake ESMTP\r\n")
    assert read_line(connection).upper().startswith(b"EHLO")
    connection.sendall(b"250 fake\r\n")
    assert read_line(connection).upper().startswith(b"NOOP")
    connection.sendall(b"250-first line of two\r\n")


def test_close_mid_reply_adds_no_line(start_subtls, certificate, tmp_path):
    """A 421 after half a multi-line reply would give that reply two codes.

    RFC 5321 section 4.2.1 gives every line of a reply the same code, so
    subtls sends no reply of its own then: the client sees the close.
    """
    with FakeBackend(tmp_path / "backend.sock", answer_noop_halfway_then_close) as backend:
        subtls = start_subtls(backend.address, require_auth="no")
        client, _ = tls_session(subtls, "implicit", certificate.certificate)
        with client:
            client_address = client.local_address
            client.send(b"NOOP\r\n")
            received = client.read_until_closed(5.0)

    assert received == b"250-first line of two\r\n", received
    assert close_fields(subtls, client_address)["reason"] == "backend_closed"
