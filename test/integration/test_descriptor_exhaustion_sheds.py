"""subtls keeps accepting when file descriptors run out, and recovers by itself.

subtls runs with RLIMIT_NOFILE 64 (prlimit), so idle STARTTLS sessions use
up its descriptors.  At the limit each new connection is accepted and
closed at once (shed) instead of waiting without a reply, and a warning
line with limit=open_files reports it, at most once a second.  Once the idle
sessions close, a new client from another address delivers through Postfix.
"""

import os
import time

from limit_checks import deliver_from, limit_lines
from session_log import wait_for_log_text
from smtp_clients import CLIENT_ADDRESS, LineClient

OTHER_ADDRESS = "127.0.0.3"
FILE_LIMIT = 64
MAX_IDLE = 2 * FILE_LIMIT


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def wait_for_descriptors_below(pid: int, count: int, seconds: float = 10.0) -> int:
    """Return the open descriptor count once it is below count, or after seconds."""
    deadline = time.monotonic() + seconds
    while open_descriptors(pid) >= count and time.monotonic() < deadline:
        time.sleep(0.1)
    return open_descriptors(pid)


def greeted(client: LineClient) -> bool:
    """Return whether the client gets a 220 greeting, False if subtls closes first."""
    try:
        return client.read_reply()[0].startswith("220 ")
    except (ConnectionError, OSError):
        return False


def test_descriptor_exhaustion_sheds(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", command_prefix=("prlimit", f"--nofile={FILE_LIMIT}",
                                                  "--"),
                          max_sessions_per_client="0", connection_rate_per_client="0")
    wait_for_log_text(subtls, "max_sessions = 5000 needs about")
    idle = []
    shed = None
    try:
        for _ in range(MAX_IDLE):
            client = LineClient(subtls.starttls_port, CLIENT_ADDRESS)
            if not greeted(client):
                shed = client
                break
            idle.append(client)
        assert shed is not None, f"{MAX_IDLE} idle sessions fit in {FILE_LIMIT} descriptors"
        assert len(idle) > 10, f"only {len(idle)} idle sessions before the limit"
        assert open_descriptors(subtls.process.pid) <= FILE_LIMIT

        warnings = limit_lines(subtls.log_text(), "open_files")
        assert warnings, f"no open_files line in the log:\n{subtls.log_text()}"
        assert warnings[0].get("value") == str(FILE_LIMIT), warnings[0]
        assert warnings[0].get("action") == "closed", warnings[0]
        assert warnings[0].get("listener") == "submission", warnings[0]
        assert warnings[0].get("client") == shed.local_address, warnings[0]

        # More connections are shed at once, not left waiting.
        for _ in range(5):
            with LineClient(subtls.starttls_port, OTHER_ADDRESS) as client:
                assert client.is_closed(5.0), "a connection at the limit was left open"
    finally:
        if shed is not None:
            shed.close()
        for client in idle:
            client.close()

    # subtls frees the descriptors as it reads the closes; a client that
    # comes before that is shed, as it should be.
    left = wait_for_descriptors_below(subtls.process.pid, FILE_LIMIT // 2)
    assert left < FILE_LIMIT // 2, f"{left} descriptors still open after the clients closed"
    deliver_from(subtls, postfix, certificate, "starttls", OTHER_ADDRESS)
    deliver_from(subtls, postfix, certificate, "implicit", OTHER_ADDRESS)
    assert subtls.process.poll() is None, "subtls exited"
