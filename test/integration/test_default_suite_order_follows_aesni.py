"""The default suite order follows AES-NI.

A client that prefers ChaCha20-Poly1305 but also offers AES-128-GCM gets
AES-128-GCM where the linked wolfSSL runs AES-GCM on AES-NI.  It gets
ChaCha20-Poly1305 on a CPU without the "aes" flag, and with Debian's
libwolfssl, which has no AES-NI code.  A suite list set in the config keeps
its order either way."""

import re

import pytest

from smtp_clients import s_client
from subtls_process import run_subtls

TLS13_CLIENT_PREFERS_CHACHA20 = ("-tls1_3", "-ciphersuites",
                                 "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256")
TLS12_CLIENT_PREFERS_CHACHA20 = ("-tls1_2", "-cipher",
                                 "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256")


def cpu_has_aes() -> bool:
    """Return whether /proc/cpuinfo lists the "aes" flag (AES-NI)."""
    with open("/proc/cpuinfo") as cpuinfo:
        flags = [line for line in cpuinfo if line.startswith("flags")]
    assert flags, "no flags line in /proc/cpuinfo"
    return "aes" in flags[0].split(":", 1)[1].split()


def wolfssl_aesni_line() -> str:
    match = re.search(r"^wolfssl aes-ni: (.*)$", run_subtls(["-V"]).stdout, re.MULTILINE)
    assert match, "subtls -V prints no 'wolfssl aes-ni' line"
    return match.group(1)


def aes_gcm_expected_first() -> bool:
    """Return whether AES-GCM should lead the default order on this machine,
    after checking that subtls -V reports the AES-NI state the CPU flags imply."""
    compiled_in = wolfssl_aesni_line() != "not compiled in"
    if compiled_in and cpu_has_aes():
        assert wolfssl_aesni_line() == "compiled in, used on this CPU"
        return True
    return False


def negotiated_cipher(result) -> str:
    match = re.search(r"^New, TLSv1\.[23], Cipher is (\S+)", result.stdout, re.MULTILINE)
    assert match, result.stdout + result.stderr
    return match.group(1)


@pytest.mark.parametrize("client, aes_gcm, chacha20", [
    (TLS13_CLIENT_PREFERS_CHACHA20, "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"),
    (TLS12_CLIENT_PREFERS_CHACHA20, "ECDHE-ECDSA-AES128-GCM-SHA256",
     "ECDHE-ECDSA-CHACHA20-POLY1305"),
], ids=["tls13", "tls12"])
def test_default_order(start_subtls, client, aes_gcm, chacha20):
    subtls = start_subtls("unix")
    expected = aes_gcm if aes_gcm_expected_first() else chacha20

    result = s_client(subtls.implicit_port, client)

    assert negotiated_cipher(result) == expected


def test_explicit_order_kept(start_subtls):
    """The config lists first the suite that the CPU-based order would put
    last, and the client prefers the other one, so only the operator's order
    explains the result."""
    if aes_gcm_expected_first():
        ciphersuites = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
        client = ("-tls1_3", "-ciphersuites",
                  "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256")
        expected = "TLS_CHACHA20_POLY1305_SHA256"
    else:
        ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"
        client = TLS13_CLIENT_PREFERS_CHACHA20
        expected = "TLS_AES_128_GCM_SHA256"
    subtls = start_subtls("unix", tls_settings=f"ciphersuites = {ciphersuites}\n")

    result = s_client(subtls.implicit_port, client)

    assert negotiated_cipher(result) == expected


def test_check_prints_order_and_reason(start_subtls):
    subtls = start_subtls("unix")
    if aes_gcm_expected_first():
        reason = "AES-GCM first because the linked wolfSSL runs AES-GCM on AES-NI"
    elif wolfssl_aesni_line() == "not compiled in":
        reason = "ChaCha20-Poly1305 first because the linked wolfSSL has no AES-NI code"
    else:
        reason = "ChaCha20-Poly1305 first because this CPU has no AES-NI"

    result = run_subtls(["-t", "-c", str(subtls.config_path)])

    assert result.returncode == 0, result.stderr
    assert f";   suite order: the server's, {reason}\n" in result.stdout
