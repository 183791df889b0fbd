"""`subtls -t` prints each listener's effective policy, and refuses profile
legacy when the linked wolfSSL has no TLS 1.0 (Debian's libwolfssl)."""

import re
from pathlib import Path

import pytest

from private_postfix import free_loopback_port
from subtls_process import SubtlsConfig, run_subtls


@pytest.fixture
def write_config(certificate, postfix, tmp_path):
    """Return write(profile) that writes a config whose implicit TLS listener has that
    tls_profile, and returns its path."""
    def write(profile: str) -> Path:
        config = SubtlsConfig(certificate=certificate.certificate, key=certificate.key,
                              backend_address=f"unix:{postfix.unix_socket}",
                              implicit_port=free_loopback_port(),
                              starttls_port=free_loopback_port(),
                              implicit_tls_profile=profile)
        path = tmp_path / f"{profile}.conf"
        path.write_text(config.render())
        return path
    return write


def linked_wolfssl_has_tls_1_0() -> bool:
    return re.search(r"\bTLSv1\.0\b", run_subtls(["-V"]).stdout) is not None


def listener_policy(output: str, listener: str) -> str:
    """Return the comment block that -t prints for one listener's policy."""
    match = re.search(rf"^; listener {listener}: policy.*?(?=^\s*$|\Z)", output,
                      re.MULTILINE | re.DOTALL)
    assert match, output
    return match.group(0)


def test_check_prints_each_listener_policy(binary, write_config):
    result = run_subtls(["-t", "-c", str(write_config("modern"))])

    assert result.returncode == 0, result.stderr
    modern = listener_policy(result.stdout, "smtps")
    default = listener_policy(result.stdout, "submission")
    assert ";   profile: modern" in modern
    assert ";   protocol versions: TLS1.3 to TLS1.3" in modern
    assert ";   TLS 1.2 and below suites: none" in modern
    assert ";   alpn: smtp" in modern
    assert ";   profile: intermediate" in default
    assert ";   protocol versions: TLS1.2 to TLS1.3" in default
    assert ";     TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" in default
    assert "_CBC_" not in default
    assert ";   groups: X25519:P-256:P-384" in default


def test_check_legacy_listener_needs_tls_1_0(binary, write_config):
    """With TLS 1.0 in the linked wolfSSL -t prints the CBC suites; without it -t
    fails and names the tls_profile line."""
    path = write_config("legacy")

    result = run_subtls(["-t", "-c", str(path)])

    if linked_wolfssl_has_tls_1_0():
        assert result.returncode == 0, result.stderr
        legacy = listener_policy(result.stdout, "smtps")
        assert ";   protocol versions: TLS1.0 to TLS1.3" in legacy
        assert ";     TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" in legacy
    else:
        line = path.read_text().splitlines().index("tls_profile = legacy") + 1
        assert result.returncode == 1
        assert (f"{path}:{line}: the policy of listener smtps (profile legacy) needs "
                f"TLS1.0, which the linked wolfSSL") in result.stderr
