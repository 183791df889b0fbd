"""subtls started unprivileged with user set runs when it already is that user.

A systemd unit with User= starts subtls without root, so it cannot switch
users.  When user (and group, if set) already match the process, subtls
logs that and runs.  Otherwise it exits with an error that says to remove
user and group or to start it as root.  setpriv gives subtls such a start.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import private_postfix
from subtls_process import SubtlsConfig, SubtlsProcess

MISMATCH_ADVICE = ("subtls was not started as root (it runs as uid {uid}, gid {gid}), "
                   "so it cannot switch users; remove user and group from [global], "
                   "or start subtls as root")


@pytest.fixture
def nobody_directory(certificate):
    """A directory with copies of the certificate and key that nobody can read."""
    directory = Path(tempfile.mkdtemp(prefix="subtls-unprivileged-user-"))
    directory.chmod(0o755)
    for source in (certificate.certificate, certificate.key):
        shutil.copyfile(source, directory / source.name)
        os.chown(directory / source.name, pwd.getpwnam("nobody").pw_uid, -1)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def make_process(binary, certificate, directory, setpriv_groups, **settings):
    config = SubtlsConfig(certificate=directory / certificate.certificate.name,
                          key=directory / certificate.key.name,
                          backend_address="127.0.0.1:9",
                          implicit_port=private_postfix.free_loopback_port(),
                          starttls_port=private_postfix.free_loopback_port(),
                          **settings)
    return SubtlsProcess(binary, config, directory, command_prefix=(
        "setpriv", "--reuid=nobody", "--regid=nogroup", *setpriv_groups))


def run_to_exit(process: SubtlsProcess) -> subprocess.CompletedProcess:
    return subprocess.run([*process.command_prefix, str(process.binary),
                           "-c", str(process.config_path)],
                          capture_output=True, text=True, timeout=20,
                          stdin=subprocess.DEVNULL)


def test_same_user_and_group_runs(binary, certificate, nobody_directory):
    process = make_process(binary, certificate, nobody_directory, ("--clear-groups",),
                           user="nobody", group="nogroup")

    process.start()
    try:
        log = process.log_text()
        nobody = pwd.getpwnam("nobody")
        assert (f"already running as user nobody (uid {nobody.pw_uid}, "
                f"gid {nobody.pw_gid}), so no switch is needed") in log, log
        assert "cannot switch" not in log, log
    finally:
        assert process.stop() == 0, process.log_text()


def test_supplementary_group_runs(binary, certificate, nobody_directory):
    process = make_process(binary, certificate, nobody_directory, ("--groups=postdrop",),
                           user="nobody", group="postdrop")

    process.start()
    try:
        assert "already running as user nobody" in process.log_text(), process.log_text()
    finally:
        assert process.stop() == 0, process.log_text()


def test_other_user_fails_with_advice(binary, certificate, nobody_directory):
    process = make_process(binary, certificate, nobody_directory, ("--clear-groups",),
                           user="daemon")
    nobody = pwd.getpwnam("nobody")

    result = run_to_exit(process)

    assert result.returncode == 1, result.stderr
    assert "cannot switch to user 'daemon': " in result.stderr
    assert MISMATCH_ADVICE.format(uid=nobody.pw_uid, gid=nobody.pw_gid) in result.stderr
    assert "subtls started" not in result.stderr


def test_missing_group_fails_with_advice(binary, certificate, nobody_directory):
    process = make_process(binary, certificate, nobody_directory, ("--clear-groups",),
                           user="nobody", group="postdrop")

    result = run_to_exit(process)

    assert result.returncode == 1, result.stderr
    assert "cannot switch to user 'nobody' and group 'postdrop': " in result.stderr
    assert "remove user and group from [global], or start subtls as root" in result.stderr
