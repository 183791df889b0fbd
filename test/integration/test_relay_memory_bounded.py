"""subtls's memory stays bounded while one side of a relay does not read.

subtls keeps at most one 16 KiB chunk in flight per direction and stops
reading a side while the other side has not taken the last chunk.  So while
a fake backend stops reading, a client that pushes 64 MiB of message content
(after DATA's 354) gets stuck in send() once the kernel's socket buffers are
full, and subtls's resident set size (VmRSS in /proc/PID/status) grows by
far less than the data.  The same applies in the other direction, to a
backend that sends a 64 MiB multi-line reply to a client that does not read.
The data is SMTP in both directions, because subtls follows the
conversation and drops what is neither a command nor content.  Without flow control subtls would buffer the data, and
its RSS would grow by tens of MiB.  With the read checks of
session_update_reading() removed, VmRSS rose from 6 MiB to 82 MiB in one run.

After the measurement the stalled side reads again, and every byte must
arrive, so the test also shows that the stall was flow control, not loss.
"""

import os
import socket
import threading
import time

import pytest

from fake_backend import FakeBackend, read_proxy_v2_header
from smtp_clients import implicit_tls_client
from subtls_process import HOSTNAME

GREETING = b"220 fake ESMTP\r\n"
BACKEND_LOST = (f"421 4.3.0 {HOSTNAME} Error: lost the connection to the mail server, "
                f"closing transmission channel\r\n").encode()
TOTAL = 64 * 1024 * 1024
CHUNK = 256 * 1024
# Pushing stops after TOTAL bytes or after this many seconds, whichever comes first.
PUSH_DEADLINE = 20.0
# A side counts as stuck when its byte count has not grown for this long.
STALL_QUIET = 0.5
STALL_WAIT = 10.0
MAX_GROWTH_KIB = 8 * 1024
RSS_SAMPLES = 5
RSS_INTERVAL = 0.2


@pytest.fixture(autouse=True)
def no_asan_quarantine(monkeypatch):
    """Let a subtls built with AddressSanitizer reuse freed memory at once.

    ASan's quarantine keeps freed buffers, so RSS would grow with every byte
    relayed (by 17 MiB for 4 MiB in one run) although no buffer outlives its chunk.
    A build without ASan ignores the variable.
    """
    options = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", f"{options}:quarantine_size_mb=0".lstrip(":"))


def rss_kib(pid: int) -> int:
    """Return the VmRSS of process pid in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS line in /proc/{pid}/status: subtls has exited")


def max_rss_kib(pid: int) -> int:
    """Return the largest VmRSS of RSS_SAMPLES samples taken RSS_INTERVAL apart."""
    samples = []
    for _ in range(RSS_SAMPLES):
        samples.append(rss_kib(pid))
        time.sleep(RSS_INTERVAL)
    return max(samples)


class Progress:
    """A byte count that one thread increases and another watches."""

    def __init__(self):
        self.count = 0
        self.done = threading.Event()

    def wait_until_stuck(self) -> None:
        """Wait until count stops growing for STALL_QUIET s, or done is set, or STALL_WAIT s pass."""
        deadline = time.monotonic() + STALL_WAIT
        last = -1
        while time.monotonic() < deadline and not self.done.is_set():
            if self.count == last:
                return
            last = self.count
            time.sleep(STALL_QUIET)


def push_data(send, progress: Progress, chunk: bytes = b"x" * CHUNK) -> None:
    """Call send(chunk) until TOTAL bytes are sent or PUSH_DEADLINE passes."""
    deadline = time.monotonic() + PUSH_DEADLINE
    try:
        while progress.count < TOTAL and time.monotonic() < deadline:
            send(chunk)
            progress.count += len(chunk)
    finally:
        progress.done.set()


def read_to_end(receive_into) -> int:
    """Read with receive_into(buffer) until EOF and return the number of bytes read."""
    buffer = bytearray(64 * 1024)
    total = 0
    while True:
        n = receive_into(buffer)
        if n == 0:
            return total
        total += n


def test_rss_bounded_when_backend_stops_reading(start_subtls, certificate, tmp_path):
    release_backend = threading.Event()
    received = {}

    def greet_then_stop_reading(connection: socket.socket) -> None:
        read_proxy_v2_header(connection)
        connection.settimeout(STALL_WAIT)
        connection.sendall(GREETING)
        assert connection.recv(4096).startswith(b"AUTH PLAIN ")
        connection.sendall(b"235 2.7.0 ok\r\n")
        commands = b""
        while not commands.endswith(b"DATA\r\n"):
            commands += connection.recv(4096)
        connection.sendall(b"250 ok\r\n250 ok\r\n354 go ahead\r\n")
        release_backend.wait(STALL_WAIT + PUSH_DEADLINE)
        connection.settimeout(PUSH_DEADLINE)
        received["bytes"] = read_to_end(connection.recv_into)

    with FakeBackend(tmp_path / "backend.sock", greet_then_stop_reading) as backend:
        subtls = start_subtls(backend.address)
        pid = subtls.process.pid
        with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
            client.sock.settimeout(STALL_WAIT + PUSH_DEADLINE)
            assert client.read_line() == GREETING
            assert client.command("AUTH PLAIN AHVzZXIAcGFzcw==") == ["235 2.7.0 ok"]
            client.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
            assert [client.read_line() for _ in range(3)][2] == b"354 go ahead\r\n"
            baseline = rss_kib(pid)

            progress = Progress()
            pusher = threading.Thread(target=push_data, args=(client.sock.sendall, progress))
            pusher.start()
            try:
                progress.wait_until_stuck()
                sent_when_stuck = progress.count
                stuck_rss = max_rss_kib(pid)
            finally:
                release_backend.set()
                pusher.join(PUSH_DEADLINE + STALL_WAIT)
            sent = progress.count
        backend.close()

    print(f"\nclient to backend: baseline VmRSS {baseline} KiB, {stuck_rss} KiB while the "
          f"client was stuck after {sent_when_stuck / 2**20:.1f} MiB, {sent / 2**20:.0f} MiB sent")
    assert sent_when_stuck < TOTAL, "the client was never stuck: subtls read it all"
    assert stuck_rss < baseline + MAX_GROWTH_KIB, (baseline, stuck_rss)
    assert received["bytes"] == sent, "content was lost or added on the way"


def test_rss_bounded_when_client_stops_reading(start_subtls, certificate, tmp_path):
    progress = Progress()

    # A greeting of many 220- lines: every line is a valid reply line.
    line = b"220-" + b"x" * 506 + b"\r\n"

    def greet_then_push(connection: socket.socket) -> None:
        read_proxy_v2_header(connection)
        connection.settimeout(STALL_WAIT + PUSH_DEADLINE)
        push_data(connection.sendall, progress, line * (CHUNK // len(line)))
        connection.sendall(GREETING)

    with FakeBackend(tmp_path / "backend.sock", greet_then_push) as backend:
        subtls = start_subtls(backend.address)
        pid = subtls.process.pid
        with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
            client.sock.settimeout(STALL_WAIT + PUSH_DEADLINE)
            assert client.read_line() == line
            baseline = rss_kib(pid)

            progress.wait_until_stuck()
            sent_when_stuck = progress.count
            stuck_rss = max_rss_kib(pid)

            received = len(line) + len(client.buffer) + read_to_end(client.sock.recv_into)
        backend.close()

    print(f"\nbackend to client: baseline VmRSS {baseline} KiB, {stuck_rss} KiB while the "
          f"backend was stuck after {sent_when_stuck / 2**20:.1f} MiB, "
          f"{progress.count / 2**20:.0f} MiB sent")
    assert sent_when_stuck < TOTAL, "the backend was never stuck: subtls read it all"
    assert stuck_rss < baseline + MAX_GROWTH_KIB, (baseline, stuck_rss)
    # The backend closes after its greeting without a 421 of its own, so
    # subtls tells the client with one.
    assert received == progress.count + len(GREETING) + len(BACKEND_LOST)
