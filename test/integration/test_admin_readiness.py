"""/healthz returns 200 while subtls runs; /readyz tells whether subtls can take
mail: 200 with Postfix up, 503 with a one-line reason once every backend
address is down, once a certificate has expired, and while draining.

Each /readyz request starts a probe of the backend addresses that are up
and answers with the result of the previous probe, so the tests poll it for
a few seconds where the state changes.
"""

import datetime
import signal
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from admin_http import admin_port, curl, sample_value, scrape
from fake_backend import FakeBackend, read_proxy_v2_header
from private_postfix import free_loopback_port
from session_log import wait_for_log_text
from smtp_clients import SENDER, plain_credentials, s_client, tls_session

SHORT_LIFETIME = 6
MARKED_DOWN = "not ready: every backend address is marked down\n"


def poll_readyz(port: int, expected_status: int, seconds: float = 10.0) -> tuple:
    """Return /readyz's (status, body) once the status is expected_status,
    or the last answer after seconds."""
    deadline = time.monotonic() + seconds
    answer = curl(port, "/readyz")
    while answer[0] != expected_status and time.monotonic() < deadline:
        time.sleep(0.2)
        answer = curl(port, "/readyz")
    return answer


def greet_until_quit(connection) -> None:
    read_proxy_v2_header(connection)
    connection.sendall(b"220 backend.test ESMTP\r\n")
    while connection.recv(4096):
        pass


def test_healthz_and_readyz_with_postfix_up(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port

    assert curl(port, "/healthz") == (200, "ok\n")
    assert poll_readyz(port, 200) == (200, "ready\n")
    assert curl(port, "/readyz", method="HEAD")[0] == 200


def test_readyz_503_when_backend_never_answers(start_subtls):
    closed = free_loopback_port()
    subtls = start_subtls(f"127.0.0.1:{closed}", admin_port=admin_port(),
                          retry_interval="1h")
    port = subtls.config.admin_port

    # No client session is needed: the check that the admin listener
    # starts finds the closed port.
    assert poll_readyz(port, 503) == (503, MARKED_DOWN)
    assert curl(port, "/healthz") == (200, "ok\n")
    assert sample_value(scrape(port), "subtls_backend_up",
                        backend=f"127.0.0.1:{closed}") == 0
    assert f"backend=127.0.0.1:{closed} marked down" in subtls.log_text()


def test_readyz_503_once_backend_goes_away(start_subtls, tmp_path):
    backend = FakeBackend(tmp_path / "backend.sock", greet_until_quit)
    with backend:
        subtls = start_subtls(backend.address, admin_port=admin_port(),
                              retry_interval="1h")
        port = subtls.config.admin_port
        assert poll_readyz(port, 200) == (200, "ready\n")

    # The backend stopped listening while no client used it.
    assert poll_readyz(port, 503) == (503, MARKED_DOWN)
    assert sample_value(scrape(port), "subtls_backend_up", backend=backend.address) == 0


def test_probe_failures_not_counted(start_subtls, tmp_path):
    """Backend connect failures count client sessions; probes of a down address do not."""
    backend = FakeBackend(tmp_path / "backend.sock", greet_until_quit)
    with backend:
        subtls = start_subtls(backend.address, admin_port=admin_port(),
                              retry_interval="1s", log_level="debug")
        port = subtls.config.admin_port
        assert poll_readyz(port, 200) == (200, "ready\n")

    # The socket is gone, so the session's connect fails and marks the
    # address down; then the probes fail every second.
    result = s_client(subtls.implicit_port, ("-quiet",), stdin=b"QUIT\r\n")
    assert "421 " in result.stdout, result.stdout + result.stderr
    wait_for_log_text(subtls, f"backend={backend.address} probe failed", timeout=10.0)
    samples = scrape(port)

    assert sample_value(samples, "subtls_backend_connect_failures_total",
                        backend=backend.address) == 1
    assert sample_value(samples, "subtls_backend_up", backend=backend.address) == 0


def short_lived_certificate(directory, seconds: int) -> tuple:
    """Write a self-signed certificate for localhost that expires in seconds; return its paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(seconds=seconds))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                       critical=False)
        .sign(key, hashes.SHA256()))
    certificate_path = directory / "short.pem"
    key_path = directory / "short.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return certificate_path, key_path, certificate.not_valid_after.replace(
        tzinfo=datetime.timezone.utc).timestamp()


def test_readyz_503_after_certificate_expires(start_subtls, tmp_path):
    certificate_path, key_path, not_after = short_lived_certificate(tmp_path, SHORT_LIFETIME)
    subtls = start_subtls("unix", admin_port=admin_port(),
                          certificate_lines=f"certificate = {certificate_path}\n"
                                            f"key = {key_path}\n")
    port = subtls.config.admin_port
    assert poll_readyz(port, 200) == (200, "ready\n")

    # Bounded wait for the certificate's notAfter (one second resolution).
    time.sleep(max(0.0, not_after - time.time()) + 1.5)

    status, body = curl(port, "/readyz")
    assert status == 503, body
    assert body == (f"not ready: listener smtps: certificate {certificate_path} "
                    f"(subject /CN=localhost) has expired\n")
    assert curl(port, "/healthz") == (200, "ok\n")


def test_readyz_503_while_draining(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", admin_port=admin_port(), drain_timeout="30s")
    port = subtls.config.admin_port
    # A session inside a mail transaction keeps subtls draining until it ends.
    client, _ = tls_session(subtls, "implicit", certificate.certificate)
    with client:
        assert client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}"
                              )[0].startswith("235")
        assert client.command(f"MAIL FROM:<{SENDER}>")[0].startswith("250")
        subtls.process.send_signal(signal.SIGTERM)
        wait_for_log_text(subtls, "stopped accepting")

        status, body = curl(port, "/readyz")
        assert status == 503, body
        assert body == "not ready: draining after SIGTERM, open sessions are finishing\n"
        assert curl(port, "/healthz") == (200, "ok\n")
        assert sample_value(scrape(port), "subtls_draining") == 1
        client.command("QUIT")
