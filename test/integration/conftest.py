"""Fixtures for the subtls integration tests.

Session-wide: a private Postfix (see private_postfix.py) that expects a PROXY
header on 127.0.0.1 and on a unix socket, with extra smtpd services for
STARTTLS and XCLIENT, and a self-signed ECDSA P-256 certificate for
localhost and 127.0.0.1.  Per test: start_subtls(), which
writes a config with free loopback ports, starts subtls and stops it by pid
when the test ends.

Run as root (Postfix is started with `postfix -c DIR start`):
    /usr/bin/python3 -m pytest test/integration
Set SUBTLS_BINARY to test another binary; set SUBTLS_KEEP_TEST_DIRS=1 to keep
the Postfix directory and logs after the run.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import private_postfix  # noqa: E402
from subtls_process import SubtlsConfig, SubtlsProcess, subtls_binary  # noqa: E402
from tiny_pki import TinyPki  # noqa: E402

# valgrind's last line for a process with errors (leaks count as errors
# with --errors-for-leak-kinds): "==123== ERROR SUMMARY: 2 errors from ...".
VALGRIND_ERRORS = re.compile(r"^==\d+== ERROR SUMMARY: [1-9]", re.MULTILINE)

SASL_USER = "alice"
SASL_PASSWORD = "correct-horse-7"


@dataclass
class Certificate:
    certificate: Path
    key: Path


@pytest.fixture(scope="session")
def work_dir():
    """A directory that the postfix user and nobody can reach (mkdtemp is 0700)."""
    if os.geteuid() != 0:
        pytest.skip("the private Postfix needs root: run the integration tests as root")
    path = Path(tempfile.mkdtemp(prefix="subtls-integration-"))
    os.chmod(path, 0o755)
    yield path
    if os.environ.get("SUBTLS_KEEP_TEST_DIRS"):
        print(f"\nkept test directory {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


REQUIRED_TOOLS = {
    private_postfix.POSTFIX: "postfix",
    private_postfix.SASLPASSWD2: "sasl2-bin",
    "/usr/bin/swaks": "swaks",
    "/usr/bin/curl": "curl",
    "/usr/bin/openssl": "openssl",
}


@pytest.fixture(scope="session")
def postfix(work_dir, certificate):
    missing = [package for path, package in REQUIRED_TOOLS.items() if not Path(path).exists()]
    if missing:
        pytest.fail(f"missing tools: apt-get install {' '.join(missing)} libsasl2-modules "
                    f"(and keep the system's postfix service stopped)")
    instance = private_postfix.start_instance(
        work_dir / "postfix",
        proxy_port=private_postfix.free_loopback_port(),
        plain_port=private_postfix.free_loopback_port(),
        extensions_port=private_postfix.free_loopback_port(),
        xclient_port=private_postfix.free_loopback_port(),
        tls_certificate=certificate.certificate, tls_key=certificate.key,
        user=SASL_USER, password=SASL_PASSWORD)
    yield instance
    private_postfix.instance_stop(instance)


@pytest.fixture(scope="session")
def certificate(work_dir) -> Certificate:
    """A self-signed ECDSA P-256 certificate with SAN DNS:localhost, IP:127.0.0.1."""
    directory = work_dir / "tls"
    directory.mkdir()
    result = Certificate(directory / "cert.pem", directory / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(result.key), "-out", str(result.certificate),
         "-days", "7", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30)
    return result


@pytest.fixture(scope="session")
def pki(work_dir) -> TinyPki:
    """A CA and the certificates it issued, for the certificate selection tests."""
    return TinyPki(work_dir / "pki")


@pytest.fixture(scope="session")
def binary() -> Path:
    """The subtls binary; a missing one skips the test unless SUBTLS_BINARY names it."""
    path = subtls_binary()
    if not path.exists():
        if "SUBTLS_BINARY" in os.environ:
            pytest.fail(f"SUBTLS_BINARY={path} does not exist")
        pytest.skip(f"{path} not built (meson setup build && ninja -C build), "
                    f"or set SUBTLS_BINARY")
    return path


def backend_address(postfix, backend: str) -> str:
    """Map a backend name to a subtls address.

      unix, tcp:  smtpd services that expect a PROXY header
      extensions: an smtpd that expects a PROXY header and also offers
                  STARTTLS, XCLIENT and XFORWARD
      plain:      an smtpd without a PROXY header
      xclient:    an smtpd without a PROXY header that accepts XCLIENT from
                  loopback
    """
    if backend == "unix":
        return f"unix:{postfix.unix_socket}"
    if backend == "tcp":
        return f"127.0.0.1:{postfix.proxy_port}"
    if backend == "plain":
        return f"127.0.0.1:{postfix.plain_port}"
    if backend == "extensions":
        return f"127.0.0.1:{postfix.extensions_port}"
    if backend == "xclient":
        return f"127.0.0.1:{postfix.xclient_port}"
    return backend


@pytest.fixture
def start_subtls(binary, certificate, postfix, tmp_path):
    """Return start(backend="unix", **settings) that starts subtls and returns a SubtlsProcess.

    backend is a name that backend_address() maps or a literal address; settings
    override SubtlsConfig fields (identity, handshake_timeout, ...).
    command_prefix is passed to SubtlsProcess.  Every process started is
    stopped by its pid when the test ends.
    """
    started = []

    def start(backend: str = "unix", command_prefix: tuple = (), **settings) -> SubtlsProcess:
        directory = tmp_path / f"subtls-{len(started)}"
        directory.mkdir()
        config = SubtlsConfig(
            certificate=certificate.certificate, key=certificate.key,
            backend_address=backend_address(postfix, backend),
            implicit_port=private_postfix.free_loopback_port(),
            starttls_port=private_postfix.free_loopback_port(),
            **settings)
        process = SubtlsProcess(binary, config, directory, command_prefix)
        started.append(process)
        return process.start()

    yield start
    reports = []
    for process in started:
        process.stop()
        # A subtls built with AddressSanitizer/UBSan, or run under valgrind
        # (./run valgrind), reports on stderr and may still exit normally:
        # such a report fails the test.
        log = process.log_text()
        if ("Sanitizer" in log or "runtime error:" in log or
                VALGRIND_ERRORS.search(log)):
            reports.append(f"{process.log_path}:\n{log}")
    assert not reports, "sanitizer or valgrind report in the subtls log:\n" + "\n".join(reports)
