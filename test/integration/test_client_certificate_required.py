"""verify_client = require: a client without a certificate from client_ca is refused.

A client with a certificate that the CA issued completes the handshake,
and the session's close line names the certificate's subject and SHA-256
fingerprint.
"""

import time

import pytest

from session_log import parse_fields
from smtp_clients import handshake_completed, s_client
from tiny_pki import TinyPki


@pytest.fixture
def requiring_subtls(start_subtls, pki):
    return start_subtls("unix", tls_lines=f"client_ca = {pki.ca_file}\n"
                                          "verify_client = require\n")


def wait_for_close_line(subtls, text: str, timeout: float = 5.0) -> str:
    """Return the last close line that contains text, waiting up to timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in subtls.log_text().splitlines()
                 if " close " in line and text in line]
        if lines or time.monotonic() > deadline:
            return lines[-1] if lines else ""
        time.sleep(0.05)


def test_client_without_certificate_refused(requiring_subtls):
    result = s_client(requiring_subtls.implicit_port, ("-tls1_2",))

    # With TLS 1.2 s_client prints the cipher before it learns of the
    # refusal (wolfSSL 5.5.4 closes without an alert here), so the refusal
    # shows in the exit status and in subtls's close line.
    assert result.returncode != 0
    assert "220 " not in result.stdout
    assert "peer did not return a certificate" in wait_for_close_line(
        requiring_subtls, "reason=tls_handshake_failed")


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_client_with_certificate_logged(requiring_subtls, pki, version):
    client = pki.issue(f"printer{version}.example.org", client=True)

    result = s_client(requiring_subtls.implicit_port,
                      (version, "-cert", str(client.certificate), "-key", str(client.key)),
                      stdin=b"QUIT\r\n")

    assert handshake_completed(result), result.stdout + result.stderr
    fields = parse_fields(wait_for_close_line(requiring_subtls, client.subject))
    assert fields.get("client_cert") == f"/CN={client.subject}"
    assert fields.get("client_cert_sha256") == pki.fingerprint(client.subject)


def test_certificate_from_other_ca_refused(requiring_subtls, tmp_path):
    stranger = TinyPki(tmp_path / "other-ca").issue("stranger.example.org", client=True)

    result = s_client(requiring_subtls.implicit_port,
                      ("-tls1_2", "-cert", str(stranger.certificate), "-key", str(stranger.key)))

    assert "alert bad certificate" in result.stderr
    assert "220 " not in result.stdout
    assert wait_for_close_line(requiring_subtls, "reason=tls_handshake_failed")
