"""Both listeners reject a TLS 1.1 handshake and complete a TLS 1.2 one.

OpenSSL 3.0 rejects TLS 1.1 on its own side at the default security level,
so the client runs with DEFAULT@SECLEVEL=0.  Without it the TLS 1.1 case
would pass even against a server that accepts TLS 1.1.  s_client prints the
protocol it attempted even when the handshake fails, so the tests look for a
negotiated cipher instead.
"""

import pytest

from smtp_clients import handshake_completed, s_client

OLD_CIPHERS = ("-cipher", "DEFAULT@SECLEVEL=0")


def listener_arguments(listener: str) -> tuple:
    return ("-starttls", "smtp") if listener == "starttls" else ()


def listener_port(subtls, listener: str) -> int:
    return subtls.starttls_port if listener == "starttls" else subtls.implicit_port


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_tls_1_1_handshake_fails(start_subtls, listener):
    subtls = start_subtls("unix")

    result = s_client(listener_port(subtls, listener),
                      (*listener_arguments(listener), "-tls1_1", *OLD_CIPHERS))

    assert not handshake_completed(result), result.stdout
    assert result.returncode != 0


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_tls_1_2_handshake_completes(start_subtls, listener):
    """The control case: the same client completes a handshake at TLS 1.2."""
    subtls = start_subtls("unix")

    result = s_client(listener_port(subtls, listener),
                      (*listener_arguments(listener), "-tls1_2", *OLD_CIPHERS))

    assert handshake_completed(result), result.stdout + result.stderr
    assert "Protocol  : TLSv1.2" in result.stdout


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_default_handshake_negotiates_tls_1_3(start_subtls, listener):
    subtls = start_subtls("unix")

    result = s_client(listener_port(subtls, listener), listener_arguments(listener))

    assert handshake_completed(result), result.stdout + result.stderr
    assert "New, TLSv1.3, Cipher is " in result.stdout
