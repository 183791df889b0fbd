"""log = syslog carries log_format = json lines, and keeps working inside a chroot.

subtls connects to /dev/log before it enters the chroot, and the chroot has
no dev/log, so the session lines can arrive only over that connection.
The /dev/log of the test comes from test_syslog_idents_per_listener.
"""

import json
import os
import re

from smtp_clients import LineClient, implicit_tls_client
from subtls_process import IMPLICIT_LISTENER, STARTTLS_LISTENER
from test_chroot_delivers import make_jail, proc_prefix
from test_syslog_idents_per_listener import (MAIL_INFO, MOUNT_DEV_SCRIPT, dev_log,  # noqa: F401
                                             matching, receive_until, session_line_pattern)

USER = "nobody"


def start_in_private_dev(start_subtls, directory, jail_prefix: tuple = (), **settings):
    """Start subtls with directory as its /dev; jail_prefix runs after the /dev mount."""
    return start_subtls("tcp", log="syslog", command_prefix=(
        "unshare", "--mount", "--propagation", "private",
        "sh", "-c", MOUNT_DEV_SCRIPT, "sh", str(directory), *jail_prefix), **settings)


def test_syslog_carries_json(start_subtls, certificate, dev_log):  # noqa: F811
    directory, receiver = dev_log
    subtls = start_in_private_dev(start_subtls, directory, log_format="json")
    pid = subtls.process.pid

    with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
        address = client.local_address
        client.read_reply()
        client.command("QUIT")
    pattern = (rf"^<{MAIL_INFO}>.* subtls/{IMPLICIT_LISTENER}\[{pid}\]: "
               rf"\{{.*\"msg\":\"close\".*\"client\":\"{re.escape(address)}\"")
    messages = receive_until(receiver, [pattern])
    subtls.stop()

    close = matching(messages, pattern)
    assert len(close) == 1, "\n".join(messages)
    entry = json.loads(close[0].split(": ", 1)[1])
    assert entry["ident"] == f"subtls/{IMPLICIT_LISTENER}"
    assert entry["listener"] == IMPLICIT_LISTENER
    assert entry["level"] == "info"
    assert entry["session"]


def test_syslog_works_in_chroot(start_subtls, binary, tmp_path, dev_log):  # noqa: F811
    directory, receiver = dev_log
    jail = make_jail(tmp_path)
    subtls = start_in_private_dev(start_subtls, directory,
                                  proc_prefix(binary, jail, new_namespace=False),
                                  chroot=str(jail), user=USER)
    pid = subtls.process.pid
    root = os.readlink(f"/proc/{pid}/root")

    with LineClient(subtls.starttls_port) as client:
        address = client.local_address
        client.read_reply()
        client.command("QUIT")
    pattern = session_line_pattern(STARTTLS_LISTENER, pid, address, "close")
    messages = receive_until(receiver, [pattern])
    subtls.stop()

    assert not (jail / "dev" / "log").exists()
    assert root == str(jail)
    assert len(matching(messages, pattern)) == 1, "\n".join(messages)
    assert len(matching(messages, rf"subtls\[{pid}\]: entered chroot {re.escape(str(jail))}")) == 1
