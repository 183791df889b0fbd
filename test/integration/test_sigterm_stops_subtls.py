"""SIGTERM stops subtls with exit status 0 and closes its listeners.

An open session may delay the exit by at most drain_timeout.
"""

import signal
import socket
import subprocess
import time

import pytest

from smtp_clients import implicit_tls_client
from subtls_process import listening_ports

DRAIN_TIMEOUT = 1.0


def wait_for_exit(subtls, timeout: float) -> int:
    try:
        return subtls.process.wait(timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"subtls is still running {timeout} s after SIGTERM; log:\n{subtls.log_text()}")


def test_sigterm_exits_with_status_0(start_subtls):
    subtls = start_subtls("unix", drain_timeout=f"{DRAIN_TIMEOUT:.0f}s")
    pid = subtls.process.pid

    subtls.process.send_signal(signal.SIGTERM)
    status = wait_for_exit(subtls, 5.0)

    assert status == 0, subtls.log_text()
    assert listening_ports(pid) == set()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", subtls.implicit_port), timeout=2).close()


def test_sigterm_drains_open_session(start_subtls, certificate):
    subtls = start_subtls("unix", drain_timeout=f"{DRAIN_TIMEOUT:.0f}s")

    with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
        assert client.read_reply()[0].startswith("220 ")
        started = time.monotonic()
        subtls.process.send_signal(signal.SIGTERM)
        status = wait_for_exit(subtls, DRAIN_TIMEOUT + 5.0)
        elapsed = time.monotonic() - started
        closed = client.is_closed(2.0)

    assert status == 0, subtls.log_text()
    assert elapsed < DRAIN_TIMEOUT + 2.0
    assert closed
