"""Mail submitted with implicit TLS (port 465 style) reaches Postfix's Maildir.

Every client binds to 127.0.0.2 where it can, and the Received header that
Postfix writes must show [127.0.0.2]: Postfix learns that address only from
the PROXY header, since subtls connects to it from 127.0.0.1 or a unix socket.
"""

import smtplib

import pytest

from private_postfix import find_messages
from smtp_clients import (CLIENT_ADDRESS, SENDER, build_message, client_context, curl_send,
                          first_received, swaks, unique_token)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("identity", ["proxy-v2", "proxy-v1"])
@pytest.mark.parametrize("backend", ["unix", "tcp"])
def test_swaks_implicit_tls_delivers(start_subtls, postfix, backend, identity, mechanism):
    subtls = start_subtls(backend, identity=identity)
    token = unique_token(f"swaks-465-{backend}-{identity}-{mechanism}")

    result = swaks(subtls.implicit_port, True, mechanism, postfix.user, postfix.password,
                   postfix.recipient, token)

    assert result.returncode == 0, result.stdout + result.stderr
    message = postfix.wait_for_message(token)
    assert f"[{CLIENT_ADDRESS}]" in first_received(message)
    assert "with ESMTPA" in first_received(message)


@pytest.mark.parametrize("backend", ["unix", "tcp"])
def test_smtplib_ssl_delivers(start_subtls, postfix, certificate, backend):
    subtls = start_subtls(backend)
    token = unique_token(f"smtplib-465-{backend}")

    with smtplib.SMTP_SSL("127.0.0.1", subtls.implicit_port, timeout=10,
                          source_address=(CLIENT_ADDRESS, 0),
                          context=client_context(certificate.certificate)) as client:
        client.login(postfix.user, postfix.password)
        refused = client.sendmail(SENDER, [postfix.recipient],
                                  build_message(token, postfix.recipient))

    assert refused == {}
    assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_curl_smtps_delivers(start_subtls, postfix, certificate, mechanism):
    subtls = start_subtls("unix")
    token = unique_token(f"curl-465-{mechanism}")

    result = curl_send(f"smtps://127.0.0.1:{subtls.implicit_port}", mechanism, postfix.user,
                       postfix.password, postfix.recipient, token, certificate.certificate)

    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))


def test_wrong_password_gets_535(start_subtls, postfix):
    subtls = start_subtls("unix")
    token = unique_token("swaks-465-bad-password")

    result = swaks(subtls.implicit_port, True, "PLAIN", postfix.user, "wrong-password",
                   postfix.recipient, token)

    assert result.returncode != 0
    assert "535" in result.stdout
    assert find_messages(postfix.maildir, token) == []


def test_identity_none_shows_subtls_address(start_subtls, postfix):
    """Without a PROXY header Postfix sees subtls's own address: the control case."""
    subtls = start_subtls("plain", identity="none")
    token = unique_token("swaks-465-identity-none")

    result = swaks(subtls.implicit_port, True, "PLAIN", postfix.user, postfix.password,
                   postfix.recipient, token)

    assert result.returncode == 0, result.stdout + result.stderr
    received = first_received(postfix.wait_for_message(token))
    assert f"[{CLIENT_ADDRESS}]" not in received
    assert "[127.0.0.1]" in received
