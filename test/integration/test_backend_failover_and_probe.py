"""A backend address that fails is skipped, probed, and used again once it greets.

subtls has two backend addresses: first a unix socket where nothing listens
yet, then the private Postfix.  The first session finds the first address
dead, moves on to Postfix within the same session, and its message is
delivered.  The dead address is logged as marked down.  Then a fake backend
starts listening on the first address.  subtls's background probe connects
to it with a PROXY v2 LOCAL header, which names no client because the probe
is subtls's own connection.  The probe reads the 220 greeting and sends
QUIT.  The address is logged as up again, and the next session uses it.
"""

import socket
import threading
import time

from fake_backend import FakeBackend, read_proxy_v2_header
from private_postfix import PROXY_V2_SIGNATURE
from smtp_clients import (SENDER, build_message, plain_credentials, send_with_data,
                          tls_session, unique_token)

RETRY_INTERVAL = 1.0
FAKE_GREETING = b"220 fake.backend.test ESMTP\r\n"
PROXY_V2_LOCAL = PROXY_V2_SIGNATURE + bytes([0x20, 0x00, 0x00, 0x00])


def wait_for_log(subtls, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in subtls.log_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not logged after {timeout} s; log:\n{subtls.log_text()}")
        time.sleep(0.05)
    return subtls.log_text()


class ProbeOrSession:
    """A fake backend handler: greets a probe, and greets a session and replies to EHLO."""

    def __init__(self):
        self.probe_headers = []
        self.sessions = 0
        self.lock = threading.Lock()

    def __call__(self, connection: socket.socket) -> None:
        header = read_proxy_v2_header(connection)
        if header == PROXY_V2_LOCAL:
            connection.sendall(FAKE_GREETING)
            with self.lock:
                self.probe_headers.append(header)
            assert connection.recv(64).startswith(b"QUIT")
            return
        with self.lock:
            self.sessions += 1
        connection.sendall(FAKE_GREETING)
        reader = connection.makefile("rb")
        for line in reader:
            if line.upper().startswith(b"EHLO"):
                connection.sendall(b"250 fake.backend.test\r\n")
            elif line.upper().startswith(b"QUIT"):
                connection.sendall(b"221 2.0.0 Bye\r\n")
                return


def test_dead_address_skipped_then_probed_back(start_subtls, postfix, certificate, tmp_path):
    first = tmp_path / "first.sock"
    subtls = start_subtls(f"unix:{first}", more_backend_addresses=(f"unix:{postfix.unix_socket}",),
                          retry_interval=f"{RETRY_INTERVAL:.0f}s")
    token = unique_token("failover")

    client, ehlo = tls_session(subtls, "implicit", certificate.certificate)
    with client:
        assert client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")[0] \
            .startswith("235")
        replies = send_with_data(client, [postfix.recipient], build_message(token, postfix.recipient))
        assert client.command("QUIT")[0].startswith("221")

    assert replies[-1][0].startswith("250 "), replies
    postfix.wait_for_message(token)
    assert f"backend=unix:{first} marked down" in subtls.log_text()

    handler = ProbeOrSession()
    with FakeBackend(first, handler):
        wait_for_log(subtls, f"backend=unix:{first} up again", timeout=RETRY_INTERVAL + 10.0)
        client, ehlo = tls_session(subtls, "implicit", certificate.certificate)
        with client:
            assert ehlo == ["250 fake.backend.test"]
            assert client.command("QUIT")[0].startswith("221")

    assert handler.probe_headers == [PROXY_V2_LOCAL]
    assert handler.sessions == 1
