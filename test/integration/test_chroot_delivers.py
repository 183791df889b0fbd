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
import subprocess
from pathlib import Path

import pytest

from session_log import wait_for_log_text
from smtp_clients import CLIENT_ADDRESS, first_received, swaks, unique_token
from subtls_process import run_subtls

USER = "nobody"


# LeakSanitizer reads /proc/PID/task when the process exits, so a sanitizer
# build gets /proc in the jail, bind-mounted in a private mount namespace.
# Run as `sh -c PROC_SCRIPT sh JAIL COMMAND...`.
PROC_SCRIPT = """\
mount --bind /proc "$1/proc" || exit 1
shift
exec "$@"
"""


def is_sanitizer_build(binary) -> bool:
    result = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30)
    return "libasan" in result.stdout


def proc_prefix(binary, jail: Path, new_namespace: bool = True) -> tuple:
    """Return the command prefix that mounts /proc in jail for a sanitizer build, else ()."""
    if not is_sanitizer_build(binary):
        return ()
    (jail / "proc").mkdir()
    prefix = ("sh", "-c", PROC_SCRIPT, "sh", str(jail))
    if new_namespace:
        prefix = ("unshare", "--mount", "--propagation", "private", *prefix)
    return prefix


def make_jail(tmp_path, with_urandom: bool = True):
    jail = tmp_path / "jail"
    (jail / "dev").mkdir(parents=True)
    jail.chmod(0o755)
    os.mknod(jail / "dev" / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    if with_urandom:
        os.mknod(jail / "dev" / "urandom", stat.S_IFCHR | 0o666, os.makedev(1, 9))
    return jail


@pytest.fixture
def start_in_jail(start_subtls, binary, tmp_path):
    """Return start(with_urandom=True) that starts subtls as USER in a new jail.

    start() returns (subtls, jail).  The backend is Postfix's TCP service.
    """
    def start(with_urandom: bool = True) -> tuple:
        jail = make_jail(tmp_path, with_urandom)
        subtls = start_subtls("tcp", chroot=str(jail), user=USER,
                              command_prefix=proc_prefix(binary, jail))
        return subtls, jail
    return start


def test_chroot_delivers(start_in_jail, postfix):
    subtls, jail = start_in_jail()
    token = unique_token("swaks-465-chroot")

    result = swaks(subtls.implicit_port, True, "PLAIN", postfix.user, postfix.password,
                   postfix.recipient, token)

    assert result.returncode == 0, result.stdout + result.stderr + subtls.log_text()
    assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))
    assert os.readlink(f"/proc/{subtls.process.pid}/root") == str(jail)
    assert f"entered chroot {jail}" in subtls.log_text()


def test_chroot_starttls_delivers(start_in_jail, postfix):
    subtls, _ = start_in_jail()
    token = unique_token("swaks-587-chroot")

    result = swaks(subtls.starttls_port, False, "PLAIN", postfix.user, postfix.password,
                   postfix.recipient, token)

    assert result.returncode == 0, result.stdout + result.stderr + subtls.log_text()
    assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))


def test_chroot_without_urandom_refused(start_in_jail, tmp_path):
    jail = tmp_path / "jail"

    with pytest.raises(RuntimeError) as failure:
        start_in_jail(with_urandom=False)

    message = str(failure.value)
    assert "exited with status 1" in message
    assert f"{jail}/dev/urandom: No such file or directory" in message
    assert f"mknod -m 666 {jail}/dev/urandom c 1 9" in message


def test_chroot_warns_config_outside(start_in_jail):
    subtls, _ = start_in_jail()

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


def test_reload_outside_chroot_fails(start_in_jail):
    subtls, _ = start_in_jail()

    subtls.reload()

    wait_for_log_text(subtls, f"reload of {subtls.config_path} failed")
    assert f"{subtls.config_path}" in wait_for_log_text(subtls, "reload: ")
    assert subtls.process.poll() is None


def test_reload_inside_chroot(start_in_jail, certificate, tmp_path):
    subtls, jail = start_in_jail()
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
