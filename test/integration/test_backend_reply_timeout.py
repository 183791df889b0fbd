"""A backend that does not reply within reply_timeout gives the client 421 4.4.2.

After TLS, while a command waits for the backend's reply, the client is not
idle, so reply_timeout applies instead of idle_timeout.  Each reply gets its
own reply_timeout, so a backend that keeps replying is never cut.  The
greeting is not a reply to a command: connect_timeout bounds it on both
kinds of listener, and a backend that never greets is unavailable.
"""

import socket
import time

from fake_backend import FakeBackend, read_proxy_v2_header
from session_log import close_fields, wait_for_log_text
from smtp_clients import implicit_tls_client
from subtls_process import HOSTNAME

REPLY_TIMEOUT = 2.0
TIMED_OUT = f"421 4.4.2 {HOSTNAME} Error: timeout exceeded"
UNAVAILABLE = f"421 4.3.2 {HOSTNAME} Service not available, closing transmission channel"


def silent_after_ehlo(connection: socket.socket) -> None:
    """Greet, reply to EHLO, then read without replying until subtls closes."""
    read_proxy_v2_header(connection)
    connection.sendall(b"220 fake.test ESMTP\r\n")
    data = b""
    while b"\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return
        data += chunk
    connection.sendall(b"250 fake.test\r\n")
    while connection.recv(4096):
        pass


def never_greets(connection: socket.socket) -> None:
    read_proxy_v2_header(connection)
    while connection.recv(4096):
        pass


def test_stalled_reply_gets_421(start_subtls, certificate, tmp_path):
    with FakeBackend(tmp_path / "backend.sock", silent_after_ehlo) as backend:
        subtls = start_subtls(backend.address, reply_timeout=f"{REPLY_TIMEOUT:.0f}s",
                              idle_timeout="30s")
        with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
            client_address = client.local_address
            client.read_reply()
            client.command("EHLO client.test")
            started = time.monotonic()
            reply = client.command("NOOP")
            elapsed = time.monotonic() - started
            closed = client.is_closed(5.0)

    assert reply == [TIMED_OUT]
    assert REPLY_TIMEOUT - 0.5 < elapsed < REPLY_TIMEOUT + 2.0, elapsed
    assert closed
    assert close_fields(subtls, client_address)["reason"] == "backend_reply_timeout"
    assert "sent no reply within reply_timeout" in wait_for_log_text(subtls, "reply_timeout")


def test_missing_greeting_gets_421(start_subtls, certificate, tmp_path):
    with FakeBackend(tmp_path / "backend.sock", never_greets) as backend:
        subtls = start_subtls(backend.address, connect_timeout=f"{REPLY_TIMEOUT:.0f}s",
                              reply_timeout="60s", idle_timeout="30s")
        with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
            client_address = client.local_address
            started = time.monotonic()
            greeting = client.read_reply()
            elapsed = time.monotonic() - started

    assert greeting == [UNAVAILABLE]
    assert elapsed < REPLY_TIMEOUT + 2.0, elapsed
    assert close_fields(subtls, client_address)["reason"] == "backend_timeout"


def test_replies_in_time_keep_session(start_subtls, certificate):
    """The control case: NOOPs through Postfix for longer than reply_timeout all get 250."""
    subtls = start_subtls("unix", reply_timeout=f"{REPLY_TIMEOUT:.0f}s", idle_timeout="30s")

    with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
        client.read_reply()
        replies = []
        deadline = time.monotonic() + 2 * REPLY_TIMEOUT
        while time.monotonic() < deadline:
            replies.append(client.command("NOOP"))
            time.sleep(0.5)
        quit_reply = client.command("QUIT")

    assert all(reply[0].startswith("250 ") for reply in replies), replies
    assert quit_reply[0].startswith("221 "), quit_reply
