"""testssl.sh finds exactly each profile's versions and suites on both listeners.

The test certificate is ECDSA P-256, so the TLS 1.2 suites offered are the
profile's ECDHE-ECDSA ones; the ECDHE-RSA ones need an RSA certificate.
testssl.sh runs offline against loopback with its own sockets and the
system's OpenSSL, which also covers TLS 1.0 and 1.1.  One scan takes about
15 s on 2 cores.
"""

import json
import subprocess
from pathlib import Path

import pytest

TESTSSL = Path("/usr/bin/testssl")

TLS13_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256"}
ECDSA_AEAD_SUITES = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                     "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                     "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"}
ECDSA_CBC_SUITES = {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
                    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
                    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
                    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"}

# testssl.sh's ids of the protocol versions, oldest first.
PROTOCOL_IDS = ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3"]

EXPECTED = {
    "modern": ({"TLS1_3"}, TLS13_SUITES),
    "intermediate": ({"TLS1_2", "TLS1_3"}, TLS13_SUITES | ECDSA_AEAD_SUITES),
    "legacy": ({"TLS1", "TLS1_1", "TLS1_2", "TLS1_3"},
               TLS13_SUITES | ECDSA_AEAD_SUITES | ECDSA_CBC_SUITES),
}


def run_testssl(port: int, starttls: bool, report: Path) -> dict:
    """Run testssl.sh for protocols, each cipher and renegotiation; return findings by id."""
    command = [str(TESTSSL), "--quiet", "--color", "0", "--warnings", "off",
               "--ip", "one", "-p", "-e", "-R", "--jsonfile", str(report)]
    if starttls:
        command += ["-t", "smtp"]
    command.append(f"127.0.0.1:{port}")
    result = subprocess.run(command, capture_output=True, text=True, timeout=150)
    assert report.exists(), result.stdout + result.stderr
    return {entry["id"]: entry["finding"] for entry in json.loads(report.read_text())}


def offered_suites(findings: dict) -> dict:
    """Map each accepted suite's IANA name to testssl.sh's line about it."""
    return {line.split()[-1]: line for key, line in findings.items()
            if key.startswith("cipher_x")}


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
@pytest.mark.parametrize("profile", ["modern", "intermediate", "legacy"])
def test_profile_offers_exactly_its_policy(start_subtls, tmp_path, profile, listener):
    if not TESTSSL.exists():
        pytest.fail("testssl.sh is missing: apt-get install testssl.sh")
    subtls = start_subtls("unix", profile=profile)
    port = subtls.starttls_port if listener == "starttls" else subtls.implicit_port
    protocols, suites = EXPECTED[profile]

    findings = run_testssl(port, listener == "starttls", tmp_path / "testssl.json")

    offered = {p for p in PROTOCOL_IDS if findings.get(p, "").startswith("offered")}
    assert offered == protocols, {p: findings.get(p) for p in PROTOCOL_IDS}
    accepted = offered_suites(findings)
    assert set(accepted) == suites
    for name, line in accepted.items():
        # Forward secrecy: the key exchange column is ECDH for every suite.
        assert line.split()[2] == "ECDH", f"{name} without ECDHE: {line}"
    # RFC 5746 renegotiation_info is sent, but a renegotiation is refused.
    assert findings.get("secure_client_renego", "").startswith("not vulnerable")
