"""docker/entrypoint.sh checks the config, then replaces itself with subtls.

The script runs here with the real binary, found on PATH as in the image.
"""

import os
import signal
import subprocess
import time

from conftest import backend_address
from deploy_files import DOCKER
from private_postfix import free_loopback_port
from smtp_clients import CLIENT_ADDRESS, first_received, swaks, unique_token
from subtls_process import SubtlsConfig, listening_ports

ENTRYPOINT = DOCKER / "entrypoint.sh"


def entrypoint_environment(binary, config) -> dict:
    environment = dict(os.environ)
    environment["PATH"] = f"{binary.parent}:{environment['PATH']}"
    environment["SUBTLS_CONFIG"] = str(config)
    return environment


def wait_listening(process: subprocess.Popen, ports: set, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not ports <= listening_ports(process.pid):
        assert process.poll() is None, f"exited with status {process.returncode}"
        assert time.monotonic() < deadline, f"not listening on {sorted(ports)}"
        time.sleep(0.05)


def test_entrypoint_rejects_bad_config(binary, tmp_path):
    config = tmp_path / "subtls.ini"
    config.write_text("[global]\nhostname = mail.example.com\nno_such_key = 1\n")

    result = subprocess.run([str(ENTRYPOINT)], capture_output=True, text=True, timeout=30,
                            env=entrypoint_environment(binary, config),
                            stdin=subprocess.DEVNULL)

    assert result.returncode == 1
    assert f"{config}:3: unknown key" in result.stderr
    assert f"subtls-entrypoint: {config} has errors" in result.stderr


def test_entrypoint_passes_options_to_subtls(binary, tmp_path):
    result = subprocess.run([str(ENTRYPOINT), "-V"], capture_output=True, text=True,
                            timeout=30, env=entrypoint_environment(binary, tmp_path / "none"),
                            stdin=subprocess.DEVNULL)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("subtls ")


def test_entrypoint_runs_subtls_that_delivers(binary, certificate, postfix, tmp_path):
    config = SubtlsConfig(
        certificate=certificate.certificate, key=certificate.key,
        backend_address=backend_address(postfix, "unix"),
        implicit_port=free_loopback_port(), starttls_port=free_loopback_port())
    config_path = tmp_path / "subtls.ini"
    config_path.write_text(config.render())
    log_path = tmp_path / "entrypoint.log"

    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(ENTRYPOINT)], stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL,
                                   env=entrypoint_environment(binary, config_path))
    try:
        wait_listening(process, {config.implicit_port, config.starttls_port})
        # exec: the entrypoint's pid is now subtls's, which gets the
        # container's signals directly.
        assert os.readlink(f"/proc/{process.pid}/exe") == str(binary.resolve())
        token = unique_token("entrypoint")

        result = swaks(config.implicit_port, True, "PLAIN", postfix.user, postfix.password,
                       postfix.recipient, token)

        assert result.returncode == 0, result.stdout + result.stderr
        assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(15)
    log = log_path.read_text()
    assert status == 0, log
    # The check's output comes first in the log, then subtls's own lines.
    assert log.index("; subtls settings read from") < log.index("started backends=1")
