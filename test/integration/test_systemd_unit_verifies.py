"""dist/systemd/subtls.service passes systemd-analyze verify, and its user model works.

The unit starts subtls as an ordinary user with only CAP_NET_BIND_SERVICE
(User=, AmbientCapabilities=).  Without a running systemd here, setpriv
gives subtls the same start: uid nobody, that one ambient capability, and a
port below 1024.  It must bind, deliver and not need allow_root.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

import private_postfix
from conftest import backend_address
from smtp_clients import CLIENT_ADDRESS, first_received, swaks, unique_token
from subtls_process import SubtlsConfig, SubtlsProcess

REPOSITORY = Path(__file__).resolve().parents[2]
UNIT = REPOSITORY / "dist" / "systemd" / "subtls.service"
INSTALLED_BINARY = "/usr/local/bin/subtls"


def test_unit_verifies(binary, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd")
    # verify checks that ExecStart's binary exists, so the copy names the build's.
    unit = tmp_path / "subtls.service"
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED_BINARY} -c " in text
    unit.write_text(text.replace(INSTALLED_BINARY, str(binary)))

    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr


def test_unit_settings():
    settings = dict(line.split("=", 1) for line in UNIT.read_text().splitlines()
                    if "=" in line and not line.startswith("#"))

    assert settings["Type"] == "notify"
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert settings["KillSignal"] == "SIGTERM"
    # Above the default drain_timeout of 60 s.
    assert int(settings["TimeoutStopSec"].rstrip("s")) > 60
    assert settings["User"] == "subtls"
    assert settings["AmbientCapabilities"] == "CAP_NET_BIND_SERVICE"
    assert settings["CapabilityBoundingSet"] == "CAP_NET_BIND_SERVICE"
    assert settings["PrivateDevices"] == "yes"
    assert settings["RestrictAddressFamilies"] == "AF_INET AF_INET6 AF_UNIX"


def free_privileged_port() -> int:
    for port in range(900, 1024):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port between 900 and 1023 on 127.0.0.1")


def test_capability_start_delivers(binary, certificate, postfix):
    directory = Path(tempfile.mkdtemp(prefix="subtls-capability-"))
    process = None
    try:
        directory.chmod(0o755)
        nobody = pwd.getpwnam("nobody").pw_uid
        for source in (certificate.certificate, certificate.key):
            shutil.copyfile(source, directory / source.name)
            os.chown(directory / source.name, nobody, -1)
        config = SubtlsConfig(
            certificate=directory / certificate.certificate.name,
            key=directory / certificate.key.name,
            backend_address=backend_address(postfix, "tcp"),
            implicit_port=free_privileged_port(),
            starttls_port=private_postfix.free_loopback_port(), allow_root="")
        process = SubtlsProcess(binary, config, directory, command_prefix=(
            "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service"))
        process.start()
        token = unique_token("swaks-capability")

        result = swaks(process.implicit_port, True, "PLAIN", postfix.user, postfix.password,
                       postfix.recipient, token)

        assert result.returncode == 0, result.stdout + result.stderr + process.log_text()
        assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))
        assert "refusing to run as root" not in process.log_text()
        with open(f"/proc/{process.process.pid}/status") as status:
            uids = next(line for line in status if line.startswith("Uid:")).split()[1:]
        assert uids == [str(nobody)] * 4
    finally:
        if process is not None:
            assert process.stop() == 0, process.log_text()
        shutil.rmtree(directory, ignore_errors=True)
