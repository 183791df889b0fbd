"""SIGHUP swaps the certificate under load without failing a session.

subtls runs as nobody with group postdrop, as the README recommends, so the
reload reads the config and the new certificate and key through the group's
read permission, after privileges were dropped.  A bounded stream of real
submissions through both listeners runs while the test replaces the
certificate files and sends SIGHUP: every session must deliver, sessions
that start after the reload must see the new certificate, and a config with
errors must leave the running one in effect and name each error's line.
Listeners may move to new ports, except to ports below 1024 once root is
dropped.
"""

import grp
import hashlib
import os
import re
import smtplib
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import private_postfix
from conftest import backend_address
from smtp_clients import CLIENT_ADDRESS, SENDER, build_message, first_received, unique_token
from subtls_process import SubtlsConfig, SubtlsProcess, listening_ports

USER = "nobody"
GROUP = "postdrop"
SESSIONS = 60
SPREAD_SECONDS = 10.0
RELOAD_AFTER_SECONDS = 5.0
WORKERS = 4


def make_certificate(directory: Path, name: str, key_type: str):
    """Create a self-signed certificate for localhost and 127.0.0.1; return (cert, key)."""
    certificate, key = directory / f"{name}-cert.pem", directory / f"{name}-key.pem"
    new_key = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if key_type == "ecdsa"
               else ["-newkey", "rsa:2048"])
    subprocess.run(
        ["openssl", "req", "-x509", *new_key, "-nodes", "-keyout", str(key),
         "-out", str(certificate), "-days", "7", "-subj", f"/CN={name}",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60)
    return certificate, key


def install_group_readable(source: Path, target: Path) -> None:
    """Replace target with source's bytes atomically, mode 0640, group GROUP."""
    temporary = target.with_suffix(".new")
    temporary.write_bytes(source.read_bytes())
    os.chown(temporary, 0, grp.getgrnam(GROUP).gr_gid)
    os.chmod(temporary, 0o640)
    os.replace(temporary, target)


def fingerprint(pem: Path) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem.read_text())).hexdigest()


@pytest.fixture
def reloadable(binary, postfix, work_dir, request):
    """A subtls as nobody whose config, certificate and key only GROUP can read.

    Returns a namespace with the process, the live certificate paths and two
    certificates (old: ECDSA, new: RSA) to install.  An indirect parameter
    adds [tls] lines to the config.
    """
    directory = work_dir / f"reload-{request.node.name}"
    directory.mkdir()
    os.chown(directory, 0, grp.getgrnam(GROUP).gr_gid)
    os.chmod(directory, 0o750)
    sources = directory / "sources"
    sources.mkdir(mode=0o700)
    old = make_certificate(sources, "old", "ecdsa")
    new = make_certificate(sources, "new", "rsa")
    live_certificate, live_key = directory / "cert.pem", directory / "key.pem"
    install_group_readable(old[0], live_certificate)
    install_group_readable(old[1], live_key)

    config = SubtlsConfig(
        certificate=live_certificate, key=live_key,
        backend_address=backend_address(postfix, "unix"),
        implicit_port=private_postfix.free_loopback_port(),
        starttls_port=private_postfix.free_loopback_port(),
        user=USER, group=GROUP, tls_settings=getattr(request, "param", ""))
    process = SubtlsProcess(binary, config, directory)
    install_group_readable(process.config_path, process.config_path)
    process.start()

    class Reloadable:
        pass

    result = Reloadable()
    result.process, result.old, result.new = process, old, new
    result.certificate, result.key = live_certificate, live_key
    result.context = ssl.create_default_context(cafile=str(old[0]))
    result.context.load_verify_locations(cafile=str(new[0]))
    yield result
    process.stop()


def submit(port: int, implicit_tls: bool, context, postfix, token: str) -> str:
    """Deliver one message; return the SHA-256 fingerprint of the server's certificate."""
    if implicit_tls:
        client = smtplib.SMTP_SSL("127.0.0.1", port, timeout=20,
                                  source_address=(CLIENT_ADDRESS, 0), context=context)
    else:
        client = smtplib.SMTP("127.0.0.1", port, timeout=20, source_address=(CLIENT_ADDRESS, 0))
        client.starttls(context=context)
    with client:
        served = hashlib.sha256(client.sock.getpeercert(binary_form=True)).hexdigest()
        client.login(postfix.user, postfix.password)
        refused = client.sendmail(SENDER, [postfix.recipient],
                                  build_message(token, postfix.recipient))
        assert refused == {}
    return served


def wait_for_log(process: SubtlsProcess, pattern: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, process.log_text())
        if match:
            return match.group(0)
        time.sleep(0.05)
    raise AssertionError(f"no log line matches {pattern!r}:\n{process.log_text()}")


def test_certificate_change_under_load(reloadable, postfix):
    subtls = reloadable.process
    start = time.monotonic()
    reloaded_at = []

    def session(number: int) -> dict:
        time.sleep(max(0.0, start + number * SPREAD_SECONDS / SESSIONS - time.monotonic()))
        began = time.monotonic()
        implicit = number % 2 == 0
        token = unique_token(f"reload-{'465' if implicit else '587'}-{number}")
        port = subtls.implicit_port if implicit else subtls.starttls_port
        try:
            served = submit(port, implicit, reloadable.context, postfix, token)
            return {"token": token, "began": began, "served": served, "error": None}
        except Exception as error:  # noqa: BLE001 - every failure is reported below
            return {"token": token, "began": began, "served": None, "error": repr(error)}

    def replace_certificate() -> None:
        time.sleep(RELOAD_AFTER_SECONDS)
        install_group_readable(reloadable.new[0], reloadable.certificate)
        install_group_readable(reloadable.new[1], reloadable.key)
        subtls.reload()
        wait_for_log(subtls, r"reloaded .*")
        reloaded_at.append(time.monotonic())

    reloader = threading.Thread(target=replace_certificate)
    reloader.start()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(session, range(SESSIONS)))
    reloader.join(30)

    failures = [result for result in results if result["error"] is not None]
    assert failures == [], subtls.log_text()
    assert reloaded_at, subtls.log_text()
    old_print, new_print = fingerprint(reloadable.old[0]), fingerprint(reloadable.new[0])
    after = [result["served"] for result in results if result["began"] > reloaded_at[0]]
    assert after, "no session started after the reload: raise SESSIONS or SPREAD_SECONDS"
    assert set(after) == {new_print}
    assert old_print in {result["served"] for result in results}
    for result in results:
        assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(result["token"]))


def test_broken_config_keeps_running_policy(reloadable, postfix):
    subtls = reloadable.process
    config_path = subtls.config_path
    good = config_path.read_text()
    # Two errors: TLS 1.1 without profile legacy, and a missing certificate.
    lines = good.splitlines()
    lines.insert(lines.index("[tls]") + 1, "min_version = TLS1.1")
    version_line = lines.index("min_version = TLS1.1") + 1
    certificate_line = lines.index(f"certificate = {reloadable.certificate}") + 1
    broken = ("\n".join(lines) + "\n").replace(
        f"certificate = {reloadable.certificate}",
        f"certificate = {reloadable.certificate}.missing")
    staged = config_path.with_name("broken.conf")
    staged.write_text(broken)
    install_group_readable(staged, config_path)
    install_group_readable(reloadable.new[0], reloadable.certificate)
    install_group_readable(reloadable.new[1], reloadable.key)

    subtls.reload()
    wait_for_log(subtls, r"reload of .* failed with 2 errors")

    log = subtls.log_text()
    assert f"reload: {config_path}:{certificate_line}: certificate" in log
    assert f"reload: {config_path}:{version_line}: min_version" in log
    served = submit(subtls.starttls_port, False, reloadable.context, postfix,
                    unique_token("reload-broken-587"))
    assert served == fingerprint(reloadable.old[0])

    staged.write_text(good)
    install_group_readable(staged, config_path)
    subtls.reload()
    wait_for_log(subtls, r"reloaded .*")
    served = submit(subtls.implicit_port, True, reloadable.context, postfix,
                    unique_token("reload-fixed-465"))
    assert served == fingerprint(reloadable.new[0])


def test_listener_moves_to_new_port(reloadable, postfix):
    subtls = reloadable.process
    config_path = subtls.config_path
    old_port, new_port = subtls.implicit_port, private_postfix.free_loopback_port()
    staged = config_path.with_name("moved.conf")
    staged.write_text(config_path.read_text().replace(f":{old_port}", f":{new_port}"))
    install_group_readable(staged, config_path)

    subtls.reload()

    wait_for_log(subtls, r"reloaded .*")
    assert f"stopped listening on 127.0.0.1:{old_port}" in subtls.log_text()
    assert f"listening on 127.0.0.1:{new_port}" in subtls.log_text()
    ports = listening_ports(subtls.process.pid)
    assert new_port in ports
    assert old_port not in ports
    assert subtls.starttls_port in ports
    served = submit(new_port, True, reloadable.context, postfix,
                    unique_token("reload-moved-465"))
    assert served == fingerprint(reloadable.old[0])


def test_low_port_after_drop_keeps_listeners(reloadable, postfix):
    """Running as nobody, subtls cannot bind port 1000: the reload fails and names the line."""
    subtls = reloadable.process
    config_path = subtls.config_path
    good = config_path.read_text()
    listen_line = good.splitlines().index(f"listen = 127.0.0.1:{subtls.implicit_port}") + 1
    staged = config_path.with_name("low-port.conf")
    staged.write_text(good.replace(f":{subtls.implicit_port}", ":1000"))
    install_group_readable(staged, config_path)

    subtls.reload()

    wait_for_log(subtls, r"reload of .* failed with 1 error")
    assert (f"reload: {config_path}:{listen_line}: cannot listen on 127.0.0.1:1000: "
            f"Permission denied (ports below 1024 need root") in subtls.log_text()
    assert subtls.implicit_port in listening_ports(subtls.process.pid)
    served = submit(subtls.implicit_port, True, reloadable.context, postfix,
                    unique_token("reload-low-port-465"))
    assert served == fingerprint(reloadable.old[0])


def test_listener_mode_change_needs_restart(reloadable, postfix):
    subtls = reloadable.process
    config_path = subtls.config_path
    staged = config_path.with_name("mode.conf")
    staged.write_text(config_path.read_text().replace("mode = implicit", "mode = starttls"))
    install_group_readable(staged, config_path)

    subtls.reload()

    wait_for_log(subtls, r"reload of .* failed with 1 error")
    assert "listener smtps: the name or mode changed" in subtls.log_text()


@pytest.mark.parametrize("reloadable", ["watch_files = yes\n"], indirect=True)
def test_watch_reloads_renewed_certificate(reloadable, postfix):
    """Renaming a new certificate and key over the old ones reloads without SIGHUP.

    The key follows the certificate after half a second, as a renewal tool may
    write them; the debounce makes one reload load both.
    """
    subtls = reloadable.process

    install_group_readable(reloadable.new[0], reloadable.certificate)
    time.sleep(0.5)
    install_group_readable(reloadable.new[1], reloadable.key)
    wait_for_log(subtls, r"TLS files changed: reloading .*")
    wait_for_log(subtls, r"reloaded .*")

    assert "reload of" not in subtls.log_text()
    served = submit(subtls.implicit_port, True, reloadable.context, postfix,
                    unique_token("reload-watch-465"))
    assert served == fingerprint(reloadable.new[0])
