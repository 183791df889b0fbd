"""subtls with chroot = DIR runs inside DIR and still delivers through Postfix.

The backend is Postfix's TCP service, because its unix socket is outside
the chroot.  DIR contains dev/urandom, which wolfSSL opens for each new TLS
session (strace showed one open per session); without it subtls refuses to
start.  dev/null is there for the spare descriptor that subtls reopens
after shedding a connection.
"""

import os
import pwd
import shutil
import stat
from pathlib import Path

import pytest

from session_log import wait_for_log_text
from smtp_clients import CLIENT_ADDRESS, first_received, swaks, unique_token
from subtls_process import run_subtls

USER = "nobody"


def make_jail(tmp_path, with_urandom: bool = True):
    jail = tmp_path / "jail"
    (jail / "dev").mkdir(parents=True)
    jail.chmod(0o755)
    os.mknod(jail / "dev" / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    if with_urandom:
        os.mknod(jail / "dev" / "urandom", stat.S_IFCHR | 0o666, os.makedev(1, 9))
    return jail


def test_chroot_delivers(start_subtls, postfix, tmp_path):
    jail = make_jail(tmp_path)
    subtls = start_subtls("tcp", chroot=str(jail), user=USER)
    token = unique_token("swaks-465-chroot")

    result = swaks(subtls.implicit_port, True, "PLAIN", postfix.user, postfix.password,
                   postfix.recipient, token)

    assert result.returncode == 0, result.stdout + result.stderr + subtls.log_text()
    assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))
    assert os.readlink(f"/proc/{subtls.process.pid}/root") == str(jail)
    assert f"entered chroot {jail}" in subtls.log_text()


def test_chroot_starttls_delivers(start_subtls, postfix, tmp_path):
    jail = make_jail(tmp_path)
    subtls = start_subtls("tcp", chroot=str(jail), user=USER)
    token = unique_token("swaks-587-chroot")

    result = swaks(subtls.starttls_port, False, "PLAIN", postfix.user, postfix.password,
                   postfix.recipient, token)

    assert result.returncode == 0, result.stdout + result.stderr + subtls.log_text()
    assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))


def test_chroot_without_urandom_refused(start_subtls, tmp_path):
    jail = make_jail(tmp_path, with_urandom=False)

    with pytest.raises(RuntimeError) as failure:
        start_subtls("tcp", chroot=str(jail), user=USER)

    message = str(failure.value)
    assert "exited with status 1" in message
    assert f"{jail}/dev/urandom: No such file or directory" in message
    assert f"mknod -m 666 {jail}/dev/urandom c 1 9" in message


def test_chroot_warns_config_outside(start_subtls, tmp_path):
    jail = make_jail(tmp_path)
    subtls = start_subtls("tcp", chroot=str(jail), user=USER)

    assert (f"{subtls.config_path} is not readable inside it at that path, so a reload "
            f"(SIGHUP or watch_files) will fail") in subtls.log_text()


def test_check_rejects_missing_chroot(binary, tmp_path):
    config = tmp_path / "subtls.conf"
    config.write_text(f"[global]\nchroot = {tmp_path}/missing\n")

    result = run_subtls(["-t", "-c", str(config)])

    assert result.returncode == 1
    assert (f"{config}:2: chroot \"{tmp_path}/missing\": cannot use: No such file or "
            f"directory") in result.stderr


def copy_into_jail(jail: Path, path: Path, text: str = None) -> Path:
    """Copy path to the same absolute path inside jail, readable by USER; return the copy."""
    copy = jail / path.relative_to("/")
    copy.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        shutil.copyfile(path, copy)
    else:
        copy.write_text(text)
    os.chown(copy, pwd.getpwnam(USER).pw_uid, -1)
    for directory in [copy.parent, *copy.parent.parents]:
        if directory == jail or jail in directory.parents:
            directory.chmod(0o755)
    return copy


def test_reload_outside_chroot_fails(start_subtls, tmp_path):
    jail = make_jail(tmp_path)
    subtls = start_subtls("tcp", chroot=str(jail), user=USER)

    subtls.reload()

    wait_for_log_text(subtls, f"reload of {subtls.config_path} failed")
    assert f"{subtls.config_path}" in wait_for_log_text(subtls, "reload: ")
    assert subtls.process.poll() is None


def test_reload_inside_chroot(start_subtls, certificate, tmp_path):
    jail = make_jail(tmp_path)
    subtls = start_subtls("tcp", chroot=str(jail), user=USER)
    text = subtls.config_path.read_text()
    copy_into_jail(jail, certificate.certificate)
    copy_into_jail(jail, certificate.key)
    copy_into_jail(jail, subtls.config_path, text)

    subtls.reload()

    assert f"reloaded {subtls.config_path}" in wait_for_log_text(subtls, "reloaded ")

    copy_into_jail(jail, subtls.config_path,
                   text.replace(f"chroot = {jail}\n", f"chroot = {tmp_path}\n"))
    subtls.reload()

    line = wait_for_log_text(subtls, "chroot changed")
    assert "a new chroot needs a restart" in line
    assert subtls.process.poll() is None
