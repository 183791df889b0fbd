"""A client that trickles bytes is cut at the deadline of the whole step, not per byte.

A slowloris client sends one byte every 0.3 s, so a timer that restarted on
every read would never expire.  subtls gives a pre-TLS command line
command_timeout from the previous reply (here the greeting), a command line
after TLS command_timeout from its first byte, and the TLS
handshake handshake_timeout from accept or from the 220 reply to STARTTLS.
With a 2 s timeout the cut must come after about 2 s: after 1.5 s and
before 4 s.
"""

import time

from session_log import close_fields
from smtp_clients import LineClient, client_hello, tls_session
from subtls_process import HOSTNAME

TIMEOUT = "2s"
BYTE_INTERVAL = 0.3
EARLIEST = 1.5
LATEST = 4.0
# A bound on the loop: 40 bytes take 12 s, far past the deadline.
MAX_BYTES = 40


def trickle(client: LineClient, data: bytes) -> bytes:
    """Send data one byte every BYTE_INTERVAL until the peer replies or closes; return what arrived.

    Stops after MAX_BYTES bytes.
    """
    received = b""
    for byte in data[:MAX_BYTES]:
        try:
            client.send(bytes([byte]))
        except OSError:
            return received
        chunk = client.read_available(BYTE_INTERVAL)
        if chunk:
            received += chunk
            break
    try:
        return received + client.read_until_closed(LATEST)
    except (OSError, TimeoutError):
        return received


def test_trickled_command_line_cut(start_subtls):
    subtls = start_subtls("unix", command_timeout=TIMEOUT)

    with LineClient(subtls.starttls_port) as client:
        client_address = client.local_address
        client.read_reply()
        started = time.monotonic()
        received = trickle(client, b"EHLO " + b"a" * 60 + b"\r\n")
        elapsed = time.monotonic() - started

    assert received == f"421 4.4.2 {HOSTNAME} Error: timeout exceeded\r\n".encode()
    assert EARLIEST < elapsed < LATEST, elapsed
    assert close_fields(subtls, client_address)["reason"] == "command_timeout"


def test_trickled_implicit_handshake_cut(start_subtls, certificate):
    subtls = start_subtls("unix", handshake_timeout=TIMEOUT)

    with LineClient(subtls.implicit_port) as client:
        client_address = client.local_address
        started = time.monotonic()
        received = trickle(client, client_hello(certificate.certificate))
        elapsed = time.monotonic() - started

    assert received == b""
    assert EARLIEST < elapsed < LATEST, elapsed
    assert close_fields(subtls, client_address)["reason"] == "handshake_timeout"


def test_trickled_handshake_after_starttls_cut(start_subtls, certificate):
    subtls = start_subtls("unix", handshake_timeout=TIMEOUT, command_timeout="30s")

    with LineClient(subtls.starttls_port) as client:
        client_address = client.local_address
        client.read_reply()
        assert client.command("STARTTLS") == ["220 2.0.0 Ready to start TLS"]
        started = time.monotonic()
        received = trickle(client, client_hello(certificate.certificate))
        elapsed = time.monotonic() - started

    assert received == b""
    assert EARLIEST < elapsed < LATEST, elapsed
    assert close_fields(subtls, client_address)["reason"] == "handshake_timeout"


def test_trickled_command_line_after_tls_cut(start_subtls, certificate):
    """After TLS, a command line also gets command_timeout from its first byte.

    Every byte resets idle_timeout, so without a deadline of its own a line
    trickled byte by byte would keep the session open until max_session_time.
    """
    subtls = start_subtls("unix", command_timeout=TIMEOUT)

    client, _ = tls_session(subtls, "implicit", certificate.certificate)
    client_address = client.local_address
    with client:
        started = time.monotonic()
        received = trickle(client, b"NOOP " + b"a" * 60 + b"\r\n")
        elapsed = time.monotonic() - started

    assert received == f"421 4.4.2 {HOSTNAME} Error: timeout exceeded\r\n".encode()
    assert EARLIEST < elapsed < LATEST, elapsed
    assert close_fields(subtls, client_address)["reason"] == "command_timeout"
