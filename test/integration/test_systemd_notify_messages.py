"""subtls sends READY=1, RELOADING=1 and STOPPING=1 to $NOTIFY_SOCKET, as Type=notify expects.

A Python datagram socket replaces systemd. It is bound at a path, as
systemd 252 passes it, and at an abstract name ("@..."), which sd_notify(3)
also allows.
"""

import os
import re
import socket
import time

import pytest


def receive(sock: socket.socket, timeout: float = 5.0) -> str:
    sock.settimeout(timeout)
    return sock.recv(4096).decode()


def expect_no_message(sock: socket.socket) -> None:
    sock.settimeout(0.3)
    with pytest.raises(socket.timeout):
        sock.recv(4096)


@pytest.fixture(params=["path", "abstract"])
def notify_socket(request, tmp_path, monkeypatch):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if request.param == "path":
        address = str(tmp_path / "notify")
        sock.bind(address)
        monkeypatch.setenv("NOTIFY_SOCKET", address)
    else:
        name = f"subtls-test-notify-{os.getpid()}-{time.monotonic_ns()}"
        sock.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
    yield sock
    sock.close()


def test_ready_reloading_stopping(start_subtls, notify_socket):
    subtls = start_subtls("unix")

    ready = receive(notify_socket)
    assert ready.splitlines()[0] == "READY=1", ready

    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    subtls.reload()
    reloading = receive(notify_socket)
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    lines = reloading.splitlines()
    assert lines[0] == "RELOADING=1", reloading
    match = re.fullmatch(r"MONOTONIC_USEC=(\d+)", lines[1])
    assert match, reloading
    assert before <= int(match.group(1)) <= after
    assert receive(notify_socket).splitlines()[0] == "READY=1"

    assert subtls.stop() == 0
    assert receive(notify_socket) == "STOPPING=1"
    expect_no_message(notify_socket)


def test_failed_reload_reports_ready(start_subtls, notify_socket):
    subtls = start_subtls("unix")
    assert receive(notify_socket).startswith("READY=1")
    subtls.config_path.write_text(subtls.config_path.read_text() + "unknown_key = 1\n")

    subtls.reload()

    assert receive(notify_socket).startswith("RELOADING=1")
    assert receive(notify_socket).startswith("READY=1")
    assert "unknown_key" in subtls.log_text()
    assert subtls.process.poll() is None


def test_relative_notify_socket_warned(start_subtls, monkeypatch):
    monkeypatch.setenv("NOTIFY_SOCKET", "relative/notify")
    subtls = start_subtls("unix")

    assert ("NOTIFY_SOCKET=relative/notify: not an absolute path or an abstract socket "
            "name; systemd is not notified") in subtls.log_text()
    assert subtls.stop() == 0
