"""A plaintext client on the implicit TLS listener gets nothing and is closed.

Such a client waits for a 220 greeting that never comes, because subtls waits
for a ClientHello.  The handshake timeout (2 s here) ends the connection.
"""

import re
import time

from session_log import close_fields
from smtp_clients import LineClient

HANDSHAKE_TIMEOUT = 2.0


def test_plaintext_client_closed_at_handshake_timeout(start_subtls):
    subtls = start_subtls("unix", handshake_timeout=f"{HANDSHAKE_TIMEOUT:.0f}s")

    with LineClient(subtls.implicit_port) as client:
        client_address = client.local_address
        started = time.monotonic()
        received = client.read_until_closed(HANDSHAKE_TIMEOUT + 5.0)
        elapsed = time.monotonic() - started

    assert received == b""
    assert elapsed >= HANDSHAKE_TIMEOUT - 0.2
    assert elapsed < HANDSHAKE_TIMEOUT + 2.0
    assert "timeout" in close_fields(subtls, client_address)["reason"]


def test_plaintext_ehlo_gets_no_reply(start_subtls):
    subtls = start_subtls("unix", handshake_timeout=f"{HANDSHAKE_TIMEOUT:.0f}s")

    with LineClient(subtls.implicit_port) as client:
        client.send(b"EHLO client.test\r\n")
        received = client.read_until_closed(HANDSHAKE_TIMEOUT + 5.0)

    assert not re.match(rb"\d{3}[ -]", received), received
    assert b"ESMTP" not in received
