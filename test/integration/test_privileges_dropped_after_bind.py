"""subtls binds its listeners as root, then runs as the configured user and group.

The README advises administrators to run subtls with group = postdrop so that
it reaches Postfix's public/ directory, where the backend socket lives; this
test uses the same setting against the private Postfix's socket there.
"""

import grp
import pwd
from pathlib import Path

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


def test_backend_warning_as_root_names_group(start_subtls, postfix):
    subtls = start_subtls("unix", user=USER, group="nogroup")
    subtls.stop()
    log = subtls.log_text()

    assert "cannot connect: Permission denied" in log, log
    assert "(for Postfix's public/ directory: group = postdrop)" in log, log


def open_to_others(path: Path, base: Path) -> None:
    """Make path readable and its directories up to base searchable for the user nobody."""
    path.chmod(0o644 if path.is_file() else 0o755)
    for directory in path.parents:
        if directory == base.parent:
            break
        directory.chmod(directory.stat().st_mode | 0o011)


def test_backend_warning_unprivileged_names_supplementary_group(start_subtls, postfix, certificate,
                                                               tmp_path, tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    for path in (certificate.certificate, certificate.key, tmp_path):
        open_to_others(Path(path), base)
    prefix = ("setpriv", f"--reuid={USER}", "--regid=nogroup", "--clear-groups")
    subtls = start_subtls("unix", command_prefix=prefix)
    subtls.stop()
    log = subtls.log_text()

    assert "cannot connect: Permission denied" in log, log
    assert "start subtls with postdrop as a supplementary group" in log, log
    assert "group = postdrop" not in log, log
