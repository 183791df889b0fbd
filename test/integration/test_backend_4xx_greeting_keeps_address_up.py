"""A backend's 4xx greeting ends that session only: the address stays up.

The greeting replies to a PROXY header that names the client, so Postfix may
refuse that one client (smtpd_client_connection_count_limit, an IPv6 client
with inet_protocols = ipv4).  Were the address marked down, one such client
would cut everyone off for retry_interval.  A fake backend greets the first
session with 421 and the next ones with 220.
"""

import socket
import threading

from fake_backend import FakeBackend, read_proxy_v2_header
from session_log import close_fields
from smtp_clients import LineClient, client_context, tls_session


def greet_421_once():
    state = {"sessions": 0}
    lock = threading.Lock()

    def handler(connection: socket.socket) -> None:
        read_proxy_v2_header(connection)
        with lock:
            state["sessions"] += 1
            first = state["sessions"] == 1
        if first:
            connection.sendall(b"421 4.7.0 fake Error: too many connections\r\n")
            return
        connection.sendall(b"220 fake ESMTP\r\n")
        reader = connection.makefile("rb")
        for line in reader:
            if line.upper().startswith(b"EHLO"):
                connection.sendall(b"250 fake\r\n")
            elif line.upper().startswith(b"QUIT"):
                connection.sendall(b"221 2.0.0 Bye\r\n")
                return

    return handler


def test_backend_4xx_greeting_keeps_address_up(start_subtls, certificate, tmp_path):
    with FakeBackend(tmp_path / "backend.sock", greet_421_once()) as backend:
        subtls = start_subtls(backend.address, retry_interval="60s")

        with LineClient(subtls.starttls_port) as client:
            refused_address = client.local_address
            client.read_reply()
            client.command("EHLO client.test")
            assert client.command("STARTTLS")[0].startswith("220")
            client.starttls(client_context(certificate.certificate))
            client.send(b"EHLO client.test\r\n")
            refused = client.read_reply()

        second, ehlo = tls_session(subtls, "starttls", certificate.certificate)
        with second:
            second.command("QUIT")
        backend.close()

    assert refused[0].startswith("421 4.3.2 "), refused
    assert close_fields(subtls, refused_address)["reason"] == "backend_rejected"
    assert ehlo == ["250 fake"], f"the next session should reach the backend: {ehlo}"
    assert "marked down" not in subtls.log_text(), subtls.log_text()
