"""A backend that stops reading slows the clients down; subtls does not buffer.

A fake backend greets, replies to EHLO, MAIL, RCPT and DATA with 354, and then
stops reading.  Fifty clients, half on each listener, each try to send a
5 MiB message.  subtls keeps one 16 KiB chunk in flight per direction, so
each client is stopped by TCP backpressure once the socket buffers are full
(a client whose whole message fits into them finishes sending), and
subtls's resident set size (VmRSS) stays near where it started.  Without
the flow control it would grow with the 250 MiB the clients try to send.

No client ever reads a reply to its message: the message has no end, and
the backend never replies to it.
"""

import os
import socket
import ssl
import threading
import time

import pytest

from fake_backend import FakeBackend, read_proxy_v2_header
from smtp_clients import tls_session
from subtls_process import vm_rss_kib

CLIENTS = 50
MESSAGE_SIZE = 5 * 1024 * 1024
CHUNK = 64 * 1024
PUSH_DEADLINE = 20.0
# A client counts as stuck when one send() has blocked this long.
STUCK_AFTER = 1.0
# Measured on a 2-core Debian 12 VM: 2.5 MiB of growth for the 50 sessions
# while the clients pushed about 155 MiB into the socket buffers.  The bound
# leaves room for allocator slack and a sanitizer build.
MAX_GROWTH_KIB = 16 * 1024


@pytest.fixture(autouse=True)
def no_asan_quarantine(monkeypatch):
    """Let a subtls built with AddressSanitizer reuse freed memory at once (see
    test_relay_memory_bounded.py)."""
    options = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", f"{options}:quarantine_size_mb=0".lstrip(":"))


def read_line(reader) -> bytes:
    line = reader.readline()
    if not line:
        raise ConnectionError("subtls closed the backend connection")
    return line


class StallingBackend:
    """Replies up to DATA's 354, then stops reading until release() is called."""

    def __init__(self):
        self.released = threading.Event()
        self.stalled = 0
        self.lock = threading.Lock()

    def __call__(self, connection: socket.socket) -> None:
        read_proxy_v2_header(connection)
        connection.sendall(b"220 stalling ESMTP\r\n")
        reader = connection.makefile("rb")
        for expected, reply in ((b"EHLO", b"250 stalling\r\n"), (b"MAIL", b"250 2.1.0 Ok\r\n"),
                                (b"RCPT", b"250 2.1.5 Ok\r\n"), (b"DATA", b"354 Go ahead\r\n")):
            assert read_line(reader).upper().startswith(expected)
            connection.sendall(reply)
        with self.lock:
            self.stalled += 1
        self.released.wait(PUSH_DEADLINE + 30.0)


class Pusher:
    """One client that sends message content until it is stuck or done."""

    def __init__(self, subtls, listener: str, certificate):
        self.subtls = subtls
        self.listener = listener
        self.certificate = certificate
        self.sent = 0
        self.stuck = False
        self.replies = []
        self.error = None
        self.client = None

    def run(self, deadline: float) -> None:
        try:
            self.client, _ = tls_session(self.subtls, self.listener, self.certificate)
            for command in ("MAIL FROM:<a@example.test>", "RCPT TO:<b@example.test>", "DATA"):
                self.replies.append(self.client.command(command)[-1])
            self.client.sock.settimeout(STUCK_AFTER)
            chunk = b"X" * (CHUNK - 2) + b"\r\n"
            while self.sent < MESSAGE_SIZE and time.monotonic() < deadline:
                self.client.sock.sendall(chunk)
                self.sent += len(chunk)
        except (socket.timeout, ssl.SSLWantWriteError):
            self.stuck = True
        except Exception as error:  # reported by the test
            self.error = error


def test_stalled_backend_keeps_rss_flat(start_subtls, certificate, tmp_path):
    backend_handler = StallingBackend()
    with FakeBackend(tmp_path / "backend.sock", backend_handler, backlog=CLIENTS) as backend:
        subtls = start_subtls(backend.address, require_auth="no", idle_timeout="120s")
        baseline = vm_rss_kib(subtls.process.pid)

        pushers = [Pusher(subtls, "implicit" if i % 2 == 0 else "starttls",
                          certificate.certificate) for i in range(CLIENTS)]
        deadline = time.monotonic() + PUSH_DEADLINE
        threads = [threading.Thread(target=pusher.run, args=(deadline,)) for pusher in pushers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(PUSH_DEADLINE + 15.0)

        samples = []
        for _ in range(5):
            samples.append(vm_rss_kib(subtls.process.pid))
            time.sleep(0.2)
        backend_handler.released.set()
        for pusher in pushers:
            if pusher.client is not None:
                pusher.client.close()

    assert [pusher.error for pusher in pushers if pusher.error] == []
    assert all(pusher.replies == ["250 2.1.0 Ok", "250 2.1.5 Ok", "354 Go ahead"]
               for pusher in pushers), [pusher.replies for pusher in pushers]
    assert backend_handler.stalled == CLIENTS
    # A client whose 5 MiB all fit into the kernel's socket buffers is not
    # stuck, which happened to one of fifty here.
    stuck = sum(pusher.stuck for pusher in pushers)
    assert stuck >= CLIENTS // 2, [pusher.sent for pusher in pushers]
    growth = max(samples) - baseline
    sent = sum(pusher.sent for pusher in pushers)
    print(f"RSS baseline {baseline} KiB, growth {growth} KiB, clients sent {sent // 1024} KiB")
    assert growth < MAX_GROWTH_KIB, f"VmRSS grew by {growth} KiB from {baseline} KiB"
