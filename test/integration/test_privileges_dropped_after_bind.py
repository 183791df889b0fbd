"""subtls binds its listeners as root, then runs as the configured user and group.

The README advises administrators to run subtls with group = postdrop so that
it reaches Postfix's public/ directory, where the backend socket lives; this
test uses the same setting against the private Postfix's socket there.
"""

import grp
import pwd

from smtp_clients import CLIENT_ADDRESS, first_received, swaks, unique_token

USER = "nobody"
GROUP = "postdrop"


def process_ids(pid: int) -> dict:
    """Return the real, effective, saved and filesystem uids and gids and the groups of pid."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                fields[key] = [int(number) for number in value.split()]
    return fields


def test_runs_as_configured_user_and_group(start_subtls, postfix):
    subtls = start_subtls("unix", user=USER, group=GROUP)
    uid = pwd.getpwnam(USER).pw_uid
    gid = grp.getgrnam(GROUP).gr_gid

    ids = process_ids(subtls.process.pid)

    assert ids["Uid"] == [uid] * 4
    assert ids["Gid"] == [gid] * 4
    assert ids["Groups"] == [gid]
    assert f"running as user {USER}" in subtls.log_text()


def test_delivers_after_dropping_privileges(start_subtls, postfix):
    subtls = start_subtls("unix", user=USER, group=GROUP)
    token = unique_token("swaks-465-as-nobody")

    result = swaks(subtls.implicit_port, True, "PLAIN", postfix.user, postfix.password,
                   postfix.recipient, token)

    assert result.returncode == 0, result.stdout + result.stderr + subtls.log_text()
    assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))
