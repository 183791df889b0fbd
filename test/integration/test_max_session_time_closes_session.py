"""A session that keeps sending valid commands is closed at max_session_time with 421 4.4.2.

A NOOP every 0.4 s restarts command_timeout and idle_timeout, so only the
session's age can end it.  Before TLS the 421 comes in plaintext, after TLS
encrypted, and the close line has reason=max_session_time.
"""

import time

from session_log import close_fields
from smtp_clients import LineClient, implicit_tls_client
from subtls_process import HOSTNAME

MAX_SESSION_TIME = 2.0
NOOP_INTERVAL = 0.4
# A bound on the loop: 20 NOOPs take 8 s, far past the limit.
MAX_NOOPS = 20
EXPIRED = f"421 4.4.2 {HOSTNAME} Error: maximum session time exceeded"


def noop_until_421(client: LineClient) -> list:
    """Send NOOP every NOOP_INTERVAL until a reply is not 250 or the connection ends; return the replies."""
    replies = []
    for _ in range(MAX_NOOPS):
        time.sleep(NOOP_INTERVAL)
        try:
            reply = client.command("NOOP")
        except (OSError, ConnectionError):
            break
        replies.append(reply)
        if not reply[0].startswith("250"):
            break
    return replies


def test_session_before_tls_expires(start_subtls):
    subtls = start_subtls("unix", max_session_time=f"{MAX_SESSION_TIME:.0f}s",
                          command_timeout="30s")

    with LineClient(subtls.starttls_port) as client:
        started = time.monotonic()
        client_address = client.local_address
        client.read_reply()
        replies = noop_until_421(client)
        elapsed = time.monotonic() - started
        closed = client.is_closed(5.0)

    assert replies[-1] == [EXPIRED], replies
    assert all(reply == ["250 2.0.0 Ok"] for reply in replies[:-1]), replies
    assert MAX_SESSION_TIME - 0.5 < elapsed < MAX_SESSION_TIME + 2.0, elapsed
    assert closed
    assert close_fields(subtls, client_address)["reason"] == "max_session_time"


def test_session_after_tls_expires(start_subtls, certificate):
    subtls = start_subtls("unix", max_session_time=f"{MAX_SESSION_TIME:.0f}s",
                          idle_timeout="30s")

    with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
        started = time.monotonic()
        client_address = client.local_address
        client.read_reply()
        client.command("EHLO client.test")
        replies = noop_until_421(client)
        elapsed = time.monotonic() - started
        closed = client.is_closed(5.0)

    assert replies[-1] == [EXPIRED], replies
    assert all(reply[0].startswith("250 ") for reply in replies[:-1]), replies
    assert MAX_SESSION_TIME - 0.5 < elapsed < MAX_SESSION_TIME + 2.0, elapsed
    assert closed
    assert close_fields(subtls, client_address)["reason"] == "max_session_time"
