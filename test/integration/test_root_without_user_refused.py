"""subtls started as root without user refuses to run, unless allow_root = yes.

The listeners are bound first, so the refusal comes after the privilege
drop step, and the error names both fixes.  Running as root with
allow_root = yes logs a warning.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import private_postfix
from conftest import Certificate
from subtls_process import SubtlsConfig, SubtlsProcess

REFUSAL = ("refusing to run as root: set user in [global] to the account subtls "
           "should run as (it binds its ports first), or set allow_root = yes")


def make_process(binary, certificate, tmp_path, **settings) -> SubtlsProcess:
    config = SubtlsConfig(certificate=certificate.certificate, key=certificate.key,
                          backend_address="127.0.0.1:9",
                          implicit_port=private_postfix.free_loopback_port(),
                          starttls_port=private_postfix.free_loopback_port(),
                          **settings)
    return SubtlsProcess(binary, config, tmp_path)


def run_to_exit(process: SubtlsProcess) -> subprocess.CompletedProcess:
    return subprocess.run([str(process.binary), "-c", str(process.config_path)],
                          capture_output=True, text=True, timeout=20,
                          stdin=subprocess.DEVNULL)


def test_root_without_user_refused(binary, certificate, tmp_path):
    process = make_process(binary, certificate, tmp_path, allow_root="")
    assert "allow_root" not in process.config_path.read_text()

    result = run_to_exit(process)

    assert result.returncode == 1, result.stderr
    assert REFUSAL in result.stderr
    assert "subtls started" not in result.stderr


def test_allow_root_no_refused(binary, certificate, tmp_path):
    process = make_process(binary, certificate, tmp_path, allow_root="no")

    result = run_to_exit(process)

    assert result.returncode == 1, result.stderr
    assert REFUSAL in result.stderr


def test_allow_root_yes_runs(binary, certificate, tmp_path):
    process = make_process(binary, certificate, tmp_path, allow_root="yes")

    process.start()
    try:
        log = process.log_text()
        assert REFUSAL not in log
        assert ("warning: running as root because allow_root = yes: a flaw in subtls "
                "or wolfSSL would give an attacker root; set user in [global] to run "
                "as an unprivileged account") in log, log
    finally:
        assert process.stop() == 0, process.log_text()


def test_chroot_needs_root_start(binary, certificate):
    """A chroot with an unprivileged start is an error before anything is bound."""
    directory = Path(tempfile.mkdtemp(prefix="subtls-unprivileged-"))
    try:
        directory.chmod(0o755)
        (directory / "jail").mkdir()
        for source in (certificate.certificate, certificate.key):
            copy = directory / source.name
            shutil.copyfile(source, copy)
            os.chown(copy, pwd.getpwnam("nobody").pw_uid, -1)
        process = make_process(binary, Certificate(directory / certificate.certificate.name,
                                                   directory / certificate.key.name),
                               directory, chroot=str(directory / "jail"), allow_root="")

        result = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                                 "--clear-groups", str(binary), "-c", str(process.config_path)],
                                capture_output=True, text=True, timeout=20,
                                stdin=subprocess.DEVNULL)

        assert result.returncode == 1, result.stderr
        assert f"chroot = {directory / 'jail'} needs subtls to start as root" in result.stderr
        assert "listening" not in result.stderr
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_check_as_root_warns_without_user(binary, certificate, tmp_path):
    """-t passes the file, which suits a start as another user, and warns."""
    process = make_process(binary, certificate, tmp_path, allow_root="")

    result = subprocess.run([str(process.binary), "-t", "-c", str(process.config_path)],
                            capture_output=True, text=True, timeout=20,
                            stdin=subprocess.DEVNULL)

    assert result.returncode == 0, result.stderr
    assert ("warning: no user in [global] and allow_root is not yes, so a start as root "
            "would be refused; a start as another user works") in result.stderr


def test_check_as_root_quiet_with_allow_root(binary, certificate, tmp_path):
    process = make_process(binary, certificate, tmp_path, allow_root="yes")

    result = subprocess.run([str(process.binary), "-t", "-c", str(process.config_path)],
                            capture_output=True, text=True, timeout=20,
                            stdin=subprocess.DEVNULL)

    assert result.returncode == 0, result.stderr
    assert "a start as root would be refused" not in result.stderr
