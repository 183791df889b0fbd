"""A client's close_notify reaches the backend as a FIN after the pending bytes.

The client sends "QUIT\\r\\n" and then its close_notify, without waiting for
the reply.  The fake backend must read the QUIT and then EOF at once, long
before idle_timeout, which only a half-close (shutdown(SHUT_WR)) of the
backend connection produces.  The backend's "221 bye" then still reaches the
client, because TLS 1.3 lets the other side keep sending after a
close_notify (RFC 8446 section 6.1), and subtls ends with its own
close_notify when the backend closes.

The client drives TLS through memory BIOs, so it can send close_notify and
keep reading, which ssl.SSLSocket.unwrap() does not allow.
"""

import queue
import socket
import ssl
import time

import pytest

from fake_backend import FakeBackend, read_proxy_v2_header
from session_log import close_fields
from smtp_clients import CLIENT_ADDRESS, TIMEOUT, client_context

GREETING = b"220 fake ESMTP\r\n"
REPLY = b"221 bye\r\n"
IDLE_TIMEOUT = 30.0
# Far below IDLE_TIMEOUT, so a backend that receives EOF only at the idle timeout fails.
EOF_WITHIN = 2.0


class MemoryTLSClient:
    """A TLS client over a socket whose TLS state lives in ssl.MemoryBIO objects."""

    def __init__(self, sock: socket.socket, context: ssl.SSLContext):
        self.sock = sock
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname="localhost")

    def _flush(self) -> None:
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()

    def handshake(self) -> None:
        while True:
            try:
                self.tls.do_handshake()
                self._flush()
                return
            except ssl.SSLWantReadError:
                self._flush()
                self._fill()

    def write(self, data: bytes) -> None:
        self.tls.write(data)
        self._flush()

    def read(self) -> bytes:
        """Return the next plaintext bytes, or b"" after the server's close_notify."""
        while True:
            try:
                return self.tls.read(4096)
            except ssl.SSLWantReadError:
                self._fill()
            except ssl.SSLZeroReturnError:
                return b""

    def send_close_notify(self) -> None:
        """Send close_notify and keep the connection open for reading."""
        try:
            self.tls.unwrap()
        except ssl.SSLWantReadError:
            pass  # unwrap() waits for the server's close_notify, which read() takes
        self._flush()


def test_close_notify_half_closes_backend(start_subtls, certificate, tmp_path):
    events = queue.Queue()

    def record_quit_and_eof(connection: socket.socket) -> None:
        read_proxy_v2_header(connection)
        connection.sendall(GREETING)
        received = b""
        while not received.endswith(b"\r\n"):
            chunk = connection.recv(4096)
            if not chunk:
                break
            received += chunk
        events.put(received)
        after_command = connection.recv(4096)
        events.put((after_command, time.monotonic()))
        connection.sendall(REPLY)

    with FakeBackend(tmp_path / "backend.sock", record_quit_and_eof) as backend:
        subtls = start_subtls(backend.address, idle_timeout=f"{IDLE_TIMEOUT:.0f}s")
        sock = socket.create_connection(("127.0.0.1", subtls.implicit_port), TIMEOUT,
                                        source_address=(CLIENT_ADDRESS, 0))
        with sock:
            client_address = "%s:%d" % sock.getsockname()[:2]
            client = MemoryTLSClient(sock, client_context(certificate.certificate))
            client.handshake()
            greeting = client.read()
            client.write(b"QUIT\r\n")
            client.send_close_notify()
            closed_at = time.monotonic()

            command = events.get(timeout=TIMEOUT)
            try:
                after_command, received_at = events.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail(f"the backend received neither bytes nor EOF {TIMEOUT} s after "
                            f"the client's close_notify; log:\n{subtls.log_text()}")
            reply = client.read()
            end = client.read()

    assert greeting == GREETING
    assert command == b"QUIT\r\n"
    assert after_command == b"", f"expected EOF after QUIT, received {after_command!r}"
    assert received_at - closed_at < EOF_WITHIN
    assert reply == REPLY
    assert end == b""

    fields = close_fields(subtls, client_address)
    assert fields["reason"] == "client_closed"
    assert fields["bytes_in"] == str(len(b"QUIT\r\n"))
    assert fields["bytes_out"] == str(len(GREETING + REPLY))
