"""A silent client on the STARTTLS listener gets 421 4.4.2 at command_timeout.

Before TLS subtls replies to commands itself, so it also enforces the time
allowed for each command.  At expiry the client gets exactly one reply, the same text as
Postfix's, and then the connection closes.
"""

import time

from session_log import close_fields
from smtp_clients import LineClient
from subtls_process import HOSTNAME

COMMAND_TIMEOUT = 2.0


def test_silent_client_gets_421_timeout(start_subtls):
    subtls = start_subtls("unix", command_timeout=f"{COMMAND_TIMEOUT:.0f}s")

    with LineClient(subtls.starttls_port) as client:
        client_address = client.local_address
        greeting = client.read_line()
        started = time.monotonic()
        received = client.read_until_closed(COMMAND_TIMEOUT + 5.0)
        elapsed = time.monotonic() - started

    assert greeting == f"220 {HOSTNAME} ESMTP\r\n".encode()
    assert received == f"421 4.4.2 {HOSTNAME} Error: timeout exceeded\r\n".encode()
    assert elapsed >= COMMAND_TIMEOUT - 0.2
    assert elapsed < COMMAND_TIMEOUT + 2.0
    assert close_fields(subtls, client_address)["reason"] == "command_timeout"


def test_each_command_restarts_timeout(start_subtls):
    subtls = start_subtls("unix", command_timeout=f"{COMMAND_TIMEOUT:.0f}s")

    with LineClient(subtls.starttls_port) as client:
        client.read_reply()
        replies = []
        # 3 NOOPs 1.2 s apart keep the session open for 3.6 s, longer than
        # the timeout, because each command starts it over.
        for _ in range(3):
            time.sleep(COMMAND_TIMEOUT * 0.6)
            replies.append(client.command("NOOP"))

    assert replies == [["250 2.0.0 Ok"]] * 3
