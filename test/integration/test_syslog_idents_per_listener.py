"""With log = syslog each listener logs under its own ident, as Postfix's syslog_name does.

Session lines come as subtls/smtps[PID] and subtls/submission[PID], and the
lines of the process itself as subtls[PID], all with facility mail.

subtls gets its own /dev/log without touching the host's /dev: it runs in a
private mount namespace (unshare --mount) in which a directory of the test is
bind-mounted over /dev together with its submounts (mount --rbind).  That
directory contains the unix datagram socket "log", which the test binds and
reads, and bind mounts of /dev/null, /dev/zero, /dev/random and /dev/urandom.
"""

import re
import socket
import time

import pytest

from smtp_clients import CLIENT_ADDRESS, LineClient, implicit_tls_client
from subtls_process import IMPLICIT_LISTENER, STARTTLS_LISTENER

DEVICES = ("null", "zero", "random", "urandom")
# Facility mail (2) times 8 plus severity info (6), in every line's <PRI> prefix.
MAIL_INFO = 2 * 8 + 6
WAIT = 5.0

# Runs as `sh -c SCRIPT sh DEV_DIR COMMAND...` inside the new mount namespace.
MOUNT_DEV_SCRIPT = """\
dev=$1
shift
for device in null zero random urandom; do
    mount --bind "/dev/$device" "$dev/$device" || exit 1
done
mount --rbind "$dev" /dev || exit 1
exec "$@"
"""


@pytest.fixture
def dev_log(tmp_path):
    """Return (directory to mount over /dev, datagram socket bound at directory/log)."""
    directory = tmp_path / "dev"
    directory.mkdir()
    for device in DEVICES:
        (directory / device).touch()
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(directory / "log"))
    yield directory, receiver
    receiver.close()


def receive_until(receiver: socket.socket, patterns: list, timeout: float = WAIT) -> list:
    """Receive datagrams until each regular expression in patterns matched one, and return them all."""
    messages = []
    deadline = time.monotonic() + timeout
    while not all(any(re.search(p, m) for m in messages) for p in patterns):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        receiver.settimeout(remaining)
        try:
            messages.append(receiver.recv(4096).decode(errors="replace"))
        except socket.timeout:
            break
    return messages


def session_line_pattern(listener: str, pid: int, client_address: str, event: str) -> str:
    """Return a regular expression for a session's open or close line as syslog receives it."""
    return (rf"^<{MAIL_INFO}>.* subtls/{listener}\[{pid}\]: s=[0-9a-f]+ "
            rf"client={re.escape(client_address)} {event} listener={listener} ")


def matching(messages: list, pattern: str) -> list:
    return [message for message in messages if re.search(pattern, message)]


def test_syslog_idents_per_listener(start_subtls, certificate, dev_log):
    directory, receiver = dev_log
    subtls = start_subtls("unix", log="syslog", command_prefix=(
        "unshare", "--mount", "--propagation", "private",
        "sh", "-c", MOUNT_DEV_SCRIPT, "sh", str(directory)))
    pid = subtls.process.pid

    with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
        implicit_address = client.local_address
        client.read_reply()
        client.command("QUIT")
    with LineClient(subtls.starttls_port) as client:
        starttls_address = client.local_address
        client.read_reply()
        client.command("QUIT")

    expected = {
        "process": rf"^<{MAIL_INFO}>.* subtls\[{pid}\]: subtls \S+ started",
        "smtps open": session_line_pattern(IMPLICIT_LISTENER, pid, implicit_address, "open"),
        "smtps close": session_line_pattern(IMPLICIT_LISTENER, pid, implicit_address, "close"),
        "submission open": session_line_pattern(STARTTLS_LISTENER, pid, starttls_address, "open"),
        "submission close": session_line_pattern(STARTTLS_LISTENER, pid, starttls_address,
                                                 "close"),
    }
    messages = receive_until(receiver, list(expected.values()))

    # A process line after the session lines shows that the ident switches back.
    stopped = rf" subtls\[{pid}\]: stopped$"
    status = subtls.stop()
    messages += receive_until(receiver, [stopped])
    received = "\n".join(messages)

    assert implicit_address.startswith(f"{CLIENT_ADDRESS}:")
    for name, pattern in expected.items():
        assert len(matching(messages, pattern)) == 1, \
            f"{name}: expected one line matching {pattern}:\n{received}"
    assert len(matching(messages, stopped)) == 1, \
        f"expected one line matching {stopped}:\n{received}"
    assert status == 0
    # Startup lines also go to stderr (a failed start must be visible without
    # a syslog daemon); the session lines go to syslog only.
    stderr = subtls.log_text()
    assert "started" in stderr
    assert " open " not in stderr, stderr
    assert " close " not in stderr, stderr
