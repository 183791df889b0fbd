"""/metrics counts real traffic exactly, agrees with the log lines, and
keeps its counts across a SIGHUP reload.

One subtls with an [admin] listener serves, in order: a delivery with AUTH
through each listener (swaks), a failed AUTH, plaintext injected after
STARTTLS, a TLS 1.1 handshake (refused), and a third session from one
address over max_sessions_per_client = 2.  Then curl scrapes /metrics.
"""

import collections
import datetime
import re
import subprocess
import time

from admin_http import admin_port, sample_value, scrape
from limit_checks import TOO_MANY_CONNECTIONS, idle_starttls_session
from session_log import close_fields, parse_fields, wait_for_log_text
from smtp_clients import LineClient, client_hello, plain_credentials, s_client, swaks, \
    tls_session, unique_token
from subtls_process import IMPLICIT_LISTENER, STARTTLS_LISTENER

LIMITED_ADDRESS = "127.0.0.9"


def deliver(subtls, postfix, implicit: bool) -> None:
    token = unique_token("metrics")
    port = subtls.implicit_port if implicit else subtls.starttls_port
    result = swaks(port, implicit, "PLAIN", postfix.user, postfix.password,
                   postfix.recipient, token)
    assert result.returncode == 0, result.stdout + result.stderr
    postfix.wait_for_message(token)


def fail_auth(subtls, certificate) -> None:
    client, _ = tls_session(subtls, "starttls", certificate.certificate)
    with client:
        reply = client.command(f"AUTH PLAIN {plain_credentials('nobody', 'wrong')}")
        assert reply[0].startswith("535"), reply
        client.command("QUIT")


def inject_after_starttls(subtls, certificate) -> None:
    with LineClient(subtls.starttls_port) as client:
        address = client.local_address
        client.read_reply()
        client.command("EHLO client.test")
        assert client.command("STARTTLS")[0].startswith("220")
        client.send(b"MAIL FROM:<injected@example.test>\r\n"
                    + client_hello(certificate.certificate))
        client.read_until_closed(5.0)
    assert close_fields(subtls, address)["reason"] == "plaintext_after_starttls"


def handshake_tls_1_1(subtls) -> None:
    result = s_client(subtls.implicit_port, ("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"))
    assert "Cipher is (NONE)" in result.stdout or result.returncode != 0, result.stdout


def over_client_limit(subtls) -> None:
    idle = [idle_starttls_session(subtls, LIMITED_ADDRESS) for _ in range(2)]
    try:
        with LineClient(subtls.starttls_port, LIMITED_ADDRESS) as client:
            assert client.read_reply() == [TOO_MANY_CONNECTIONS]
    finally:
        for client in idle:
            client.close()


def close_lines(log_text: str) -> list:
    return [parse_fields(line) for line in log_text.splitlines()
            if " close listener=" in line]


def wait_all_closed(subtls, expected: int) -> list:
    """Wait until expected sessions have written their close line; return their fields."""
    deadline = time.monotonic() + 10
    while True:
        closed = close_lines(subtls.log_text())
        if len(closed) >= expected or time.monotonic() > deadline:
            assert len(closed) == expected, subtls.log_text()
            return closed
        time.sleep(0.05)


def run_traffic(subtls, postfix, certificate) -> list:
    deliver(subtls, postfix, implicit=True)
    deliver(subtls, postfix, implicit=False)
    fail_auth(subtls, certificate)
    inject_after_starttls(subtls, certificate)
    handshake_tls_1_1(subtls)
    over_client_limit(subtls)
    # 2 deliveries, 1 failed AUTH, 1 injection, 1 TLS 1.1, 3 from LIMITED_ADDRESS.
    return wait_all_closed(subtls, 8)


def test_admin_metrics_count_traffic(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", admin_port=admin_port(), max_sessions_per_client="2")
    closed = run_traffic(subtls, postfix, certificate)

    samples = scrape(subtls.config.admin_port)

    def count(name, **labels):
        return sample_value(samples, name, **labels)

    smtps, submission = IMPLICIT_LISTENER, STARTTLS_LISTENER
    assert count("subtls_sessions_total", listener=smtps) == 2
    assert count("subtls_sessions_total", listener=submission) == 6
    assert count("subtls_sessions_open", listener=smtps) == 0
    assert count("subtls_sessions_open", listener=submission) == 0
    assert count("subtls_messages_accepted_total", listener=smtps) == 1
    assert count("subtls_messages_accepted_total", listener=submission) == 1
    assert count("subtls_auth_successes_total", listener=smtps) == 1
    assert count("subtls_auth_successes_total", listener=submission) == 1
    assert count("subtls_auth_failures_total", listener=smtps) == 0
    assert count("subtls_auth_failures_total", listener=submission) == 1
    assert count("subtls_starttls_injections_total", listener=submission) == 1
    assert count("subtls_starttls_injections_total", listener=smtps) == 0
    assert count("subtls_tls_handshake_failures_total", listener=smtps,
                 reason="tls_handshake_failed") == 1
    # Plaintext after STARTTLS began no handshake: it is an injection.
    assert count("subtls_tls_handshake_failures_total", listener=submission,
                 reason="plaintext_after_starttls") == 0
    assert count("subtls_limit_refusals_total", listener=submission,
                 limit="max_sessions_per_client") == 1
    assert count("subtls_ban_refusals_total", listener=submission) == 0

    # Every close line is counted under its listener and reason.
    reasons = collections.Counter((line["listener"], line["reason"]) for line in closed)
    counted = {(dict(labels)["listener"], dict(labels)["reason"]): value
               for (name, labels), value in samples.items()
               if name == "subtls_session_closes_total"}
    assert counted == reasons

    # Every completed handshake is counted under the version and cipher of
    # its close line; three sessions reached TLS and the backend.
    handshakes = collections.Counter((line["listener"], line["tls"], line["cipher"],
                                      line["resumed"])
                                     for line in closed if line["tls"] != "none")
    counted = {tuple(dict(labels)[key] for key in ("listener", "version", "cipher", "resumed")):
               value for (name, labels), value in samples.items()
               if name == "subtls_tls_handshakes_total"}
    assert counted == handshakes
    assert sum(handshakes.values()) == 3

    # The byte counters are the sums of the close lines' bytes_in and bytes_out.
    for listener in (smtps, submission):
        lines = [line for line in closed if line["listener"] == listener]
        assert count("subtls_plaintext_bytes_total", listener=listener,
                     direction="client_to_backend") == sum(int(l["bytes_in"]) for l in lines)
        assert count("subtls_plaintext_bytes_total", listener=listener,
                     direction="backend_to_client") == sum(int(l["bytes_out"]) for l in lines)
        assert count("subtls_plaintext_bytes_total", listener=listener,
                     direction="client_to_backend") > 0

    backend = f"unix:{postfix.unix_socket}"
    assert count("subtls_backend_up", backend=backend) == 1
    assert count("subtls_backend_connect_failures_total", backend=backend) == 0
    assert count("subtls_backend_connect_duration_seconds_count", backend=backend) == 3
    assert count("subtls_backend_connect_duration_seconds_bucket", backend=backend,
                 le="+Inf") == 3
    assert count("subtls_reloads_total", result="ok") == 0


def test_metrics_survive_reload(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", admin_port=admin_port())
    deliver(subtls, postfix, implicit=True)
    wait_all_closed(subtls, 1)
    before = scrape(subtls.config.admin_port)

    subtls.reload()
    wait_for_log_text(subtls, "reloaded")
    after = scrape(subtls.config.admin_port)

    assert sample_value(after, "subtls_reloads_total", result="ok") == 1
    assert sample_value(after, "subtls_reloads_total", result="failed") == 0
    for name in ("subtls_sessions_total", "subtls_messages_accepted_total",
                 "subtls_auth_successes_total"):
        assert sample_value(after, name, listener=IMPLICIT_LISTENER) == 1, name
        assert sample_value(before, name, listener=IMPLICIT_LISTENER) == 1, name


def test_failed_reload_counted(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    subtls.config_path.write_text(subtls.config_path.read_text() + "\n[global]\nbogus = 1\n")

    subtls.reload()
    wait_for_log_text(subtls, "reload of")

    samples = scrape(subtls.config.admin_port)
    assert sample_value(samples, "subtls_reloads_total", result="failed") == 1
    assert sample_value(samples, "subtls_reloads_total", result="ok") == 0


def test_build_info_and_certificate_expiry(start_subtls, certificate):
    subtls = start_subtls("unix", admin_port=admin_port())
    versions = subprocess.run([str(subtls.binary), "-V"], capture_output=True, text=True,
                              check=True).stdout
    subtls_version = re.search(r"^subtls (\S+)", versions, re.MULTILINE).group(1)
    end_date = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-dateopt", "iso_8601",
                               "-in", str(certificate.certificate)],
                              capture_output=True, text=True, check=True).stdout

    samples = scrape(subtls.config.admin_port)

    build = [dict(labels) for (name, labels) in samples if name == "subtls_build_info"]
    assert len(build) == 1, build
    assert build[0]["version"] == subtls_version, build
    assert build[0]["wolfssl"] in versions, build
    expiry = {dict(labels)["listener"]: value for (name, labels), value in samples.items()
              if name == "subtls_certificate_expiry_timestamp_seconds"}
    assert set(expiry) == {IMPLICIT_LISTENER, STARTTLS_LISTENER}
    not_after = datetime.datetime.strptime(end_date.strip().split("=", 1)[1],
                                           "%Y-%m-%d %H:%M:%SZ")
    expected = not_after.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert set(expiry.values()) == {expected}


def test_sessions_open_gauge(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port
    idle = [idle_starttls_session(subtls, LIMITED_ADDRESS) for _ in range(2)]
    try:
        samples = scrape(port)
        assert sample_value(samples, "subtls_sessions_open", listener=STARTTLS_LISTENER) == 2
        assert sample_value(samples, "subtls_sessions_total", listener=STARTTLS_LISTENER) == 2
    finally:
        for client in idle:
            client.close()
    wait_all_closed(subtls, 2)

    samples = scrape(port)
    assert sample_value(samples, "subtls_sessions_open", listener=STARTTLS_LISTENER) == 0
    assert sample_value(samples, "subtls_sessions_total", listener=STARTTLS_LISTENER) == 2


def test_handshake_failures_need_handshake(start_subtls):
    """Only a client that began a TLS handshake counts as a handshake failure."""
    subtls = start_subtls("unix", admin_port=admin_port())
    with LineClient(subtls.implicit_port) as client:
        plaintext_address = client.local_address
        client.send(b"EHLO client.test\r\n")
        client.read_until_closed(5.0)
    with LineClient(subtls.implicit_port) as client:
        silent_address = client.local_address
    handshake_tls_1_1(subtls)
    assert close_fields(subtls, plaintext_address)["reason"] == "plaintext_on_tls_port"
    assert close_fields(subtls, silent_address)["reason"] == "client_closed"
    wait_all_closed(subtls, 3)

    samples = scrape(subtls.config.admin_port)

    failures = {dict(labels)["reason"]: value for (name, labels), value in samples.items()
                if name == "subtls_tls_handshake_failures_total"}
    assert failures == {"tls_handshake_failed": 1}
    for reason in ("plaintext_on_tls_port", "client_closed", "tls_handshake_failed"):
        assert sample_value(samples, "subtls_session_closes_total",
                            listener=IMPLICIT_LISTENER, reason=reason) == 1, reason

