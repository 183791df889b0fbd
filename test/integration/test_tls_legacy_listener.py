"""Profile legacy accepts a TLS 1.0 client; intermediate refuses it.

OpenSSL 3.0 offers TLS 1.0 only at security level 0, so the client runs with
DEFAULT@SECLEVEL=0, and a handshake counts only when s_client shows a
negotiated cipher (see test_tls_below_1_2_rejected.py).
"""

import re

import pytest

from smtp_clients import handshake_completed, s_client

TLS1_CLIENT = ("-tls1", "-cipher", "DEFAULT@SECLEVEL=0")


def arguments(listener: str) -> tuple:
    return ("-starttls", "smtp") if listener == "starttls" else ()


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_legacy_profile_accepts_tls_1_0(start_subtls, listener):
    subtls = start_subtls("unix", profile="legacy")
    port = subtls.starttls_port if listener == "starttls" else subtls.implicit_port

    result = s_client(port, (*arguments(listener), *TLS1_CLIENT))

    assert handshake_completed(result), result.stdout + result.stderr
    assert re.search(r"^New, TLSv1\.0, Cipher is ECDHE-ECDSA-AES\d+-SHA$", result.stdout,
                     re.MULTILINE), result.stdout


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_intermediate_profile_refuses_tls_1_0(start_subtls, listener):
    subtls = start_subtls("unix", profile="intermediate")
    port = subtls.starttls_port if listener == "starttls" else subtls.implicit_port

    result = s_client(port, (*arguments(listener), *TLS1_CLIENT))

    assert not handshake_completed(result), result.stdout
    assert "alert protocol version" in result.stderr


def test_listener_profile_weakens_only_its_listener(start_subtls):
    """tls_profile = legacy on the implicit listener leaves the STARTTLS one strict."""
    subtls = start_subtls("unix", implicit_tls_profile="legacy")

    legacy = s_client(subtls.implicit_port, TLS1_CLIENT)
    strict = s_client(subtls.starttls_port, ("-starttls", "smtp", *TLS1_CLIENT))

    assert handshake_completed(legacy), legacy.stdout + legacy.stderr
    assert not handshake_completed(strict), strict.stdout
    assert ("warning: profile legacy weakens TLS on listeners smtps:"
            in subtls.log_text())
