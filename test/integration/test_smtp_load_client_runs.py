"""The benchmark load client (test/bench/smtp-load) delivers through subtls.

smtp-load is built next to the subtls binary under test: SUBTLS_BINARY or
build/proxy/subtls gives the build directory, and the client is
test/bench/smtp-load inside it.  Each run is small (a few connections) and
delivers into the private Postfix with AUTH PLAIN, so the counts that the
JSON report gives can be checked against the Maildir.
"""

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from private_postfix import find_messages
from smtp_clients import unique_token
from subtls_process import subtls_binary

CONNECTIONS = 6
CONCURRENCY = 2
MESSAGES_PER_CONNECTION = 2


@pytest.fixture
def load_client() -> Path:
    path = subtls_binary().parent.parent / "test" / "bench" / "smtp-load"
    if not path.exists():
        pytest.fail(f"{path} not found: build it with ninja -C {path.parent.parent.parent}")
    return path


def run_load(load_client, subtls, postfix, certificate, tmp_path, mode, sender,
             *extra) -> dict:
    """Run smtp-load against subtls and return its JSON report."""
    report = tmp_path / f"report-{mode}.json"
    port = subtls.implicit_port if mode == "implicit" else subtls.starttls_port
    result = subprocess.run(
        [str(load_client), "--mode", mode, "--port", str(port),
         "--cafile", str(certificate.certificate), "--sni", "localhost",
         "--auth", f"{postfix.user}:{postfix.password}",
         "--from", sender, "--to", postfix.recipient,
         "--connections", str(CONNECTIONS), "--concurrency", str(CONCURRENCY),
         "--messages", str(MESSAGES_PER_CONNECTION), "--size", "3000",
         "--timeout", "20", "--json", str(report), *extra],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(report.read_text())


def wait_for_count(maildir: Path, token: str, count: int, timeout: float = 30.0) -> list:
    """Wait until maildir contains count messages with token, and return them."""
    deadline = time.monotonic() + timeout
    while True:
        found = find_messages(maildir, token)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_load_client_delivers_every_message(load_client, start_subtls, postfix,
                                            certificate, tmp_path, mode):
    subtls = start_subtls("unix")
    token = unique_token(f"smtp-load-{mode}")
    expected = CONNECTIONS * MESSAGES_PER_CONNECTION

    report = run_load(load_client, subtls, postfix, certificate, tmp_path, mode,
                      f"{token}@example.test")

    assert report["state"] == "done"
    assert report["errors"]["total"] == 0, report["first_error"]
    assert report["connections"]["started"] == CONNECTIONS
    assert report["connections"]["completed"] == CONNECTIONS
    assert report["handshakes"]["completed"] == CONNECTIONS
    assert report["messages"]["accepted"] == expected
    assert report["message_latency_ms"]["p50"] > 0
    assert report["setup_latency_ms"]["p99"] > 0
    assert len(wait_for_count(postfix.maildir, token, expected)) == expected


@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_load_client_resumes_sessions(load_client, start_subtls, postfix, certificate,
                                      tmp_path, mode, version):
    """Every connection after a slot's first offers that slot's saved session."""
    subtls = start_subtls("unix")
    token = unique_token(f"smtp-load-resume-{mode}-{version}")

    report = run_load(load_client, subtls, postfix, certificate, tmp_path, mode,
                      f"{token}@example.test", "--resume", "yes", "--tls-version", version)

    assert report["errors"]["total"] == 0, report["first_error"]
    assert report["handshakes"]["completed"] == CONNECTIONS
    assert report["handshakes"]["resumed"] == CONNECTIONS - CONCURRENCY
    assert report["messages"]["accepted"] == CONNECTIONS * MESSAGES_PER_CONNECTION
    # The report names the handshake the figures cost.
    prefix = "TLS13-" if version == "1.3" else "ECDHE-"
    assert report["negotiated"]["cipher"].startswith(prefix), report["negotiated"]
    assert report["negotiated"]["group"] in ("SECP256R1", "X25519"), report["negotiated"]


def test_resume_no_gives_full_handshakes(load_client, start_subtls, postfix, certificate,
                                         tmp_path):
    subtls = start_subtls("unix")
    token = unique_token("smtp-load-no-resume")

    report = run_load(load_client, subtls, postfix, certificate, tmp_path, "implicit",
                      f"{token}@example.test", "--resume", "no")

    assert report["errors"]["total"] == 0, report["first_error"]
    assert report["handshakes"]["completed"] == CONNECTIONS
    assert report["handshakes"]["resumed"] == 0


def test_load_client_reports_rejected_auth(load_client, start_subtls, postfix, certificate,
                                           tmp_path):
    """A wrong password is an SMTP error: exit status 1 and no message sent."""
    subtls = start_subtls("unix")
    token = unique_token("smtp-load-bad-auth")
    report_path = tmp_path / "report.json"

    result = subprocess.run(
        [str(load_client), "--port", str(subtls.implicit_port),
         "--cafile", str(certificate.certificate), "--sni", "localhost",
         "--auth", f"{postfix.user}:wrong-password", "--from", f"{token}@example.test",
         "--to", postfix.recipient, "--connections", "2", "--timeout", "20",
         "--json", str(report_path)],
        capture_output=True, text=True, timeout=120)
    report = json.loads(report_path.read_text())

    assert result.returncode == 1, result.stdout + result.stderr
    assert report["errors"]["smtp"] == 2
    assert report["messages"]["accepted"] == 0
    assert "AUTH: expected 235, got 535" in report["first_error"]
    assert find_messages(postfix.maildir, token) == []


def test_idle_run_holds_sessions_until_sigterm(load_client, start_subtls, postfix, certificate,
                                               tmp_path):
    """--idle sets up every session with AUTH, prints "ready N", and ends on SIGTERM."""
    subtls = start_subtls("unix")
    report_path = tmp_path / "idle.json"
    sessions = 20

    process = subprocess.Popen(
        [str(load_client), "--mode", "starttls", "--port", str(subtls.starttls_port),
         "--cafile", str(certificate.certificate), "--sni", "localhost",
         "--auth", f"{postfix.user}:{postfix.password}", "--idle", str(sessions),
         "--rate", "100", "--hold", "120", "--timeout", "20", "--json", str(report_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready_line = process.stdout.readline()
        status = json.loads(report_path.read_text())
        process.send_signal(signal.SIGTERM)
        output, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    report = json.loads(report_path.read_text())

    assert ready_line == f"ready {sessions}\n", errors
    assert status["state"] == "ready"
    assert status["idle"]["established"] == sessions
    assert process.returncode == 0, output + errors
    assert report["state"] == "done"
    assert report["idle"] == {"requested": sessions, "established": sessions, "failed": 0}
    assert report["handshakes"]["completed"] == sessions
    assert report["connections"]["completed"] == sessions
    assert report["errors"]["total"] == 0, report["first_error"]
