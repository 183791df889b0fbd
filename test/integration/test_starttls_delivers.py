"""Mail submitted with STARTTLS (port 587 style) reaches Postfix's Maildir.

As with implicit TLS, the Received header must show the client's own
address, 127.0.0.2, which Postfix can only learn from the PROXY header.
"""

import smtplib

import pytest

from smtp_clients import (CLIENT_ADDRESS, SENDER, build_message, client_context, curl_send,
                          first_received, swaks, unique_token)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("identity", ["proxy-v2", "proxy-v1"])
@pytest.mark.parametrize("backend", ["unix", "tcp"])
def test_swaks_starttls_delivers(start_subtls, postfix, backend, identity, mechanism):
    subtls = start_subtls(backend, identity=identity)
    token = unique_token(f"swaks-587-{backend}-{identity}-{mechanism}")

    result = swaks(subtls.starttls_port, False, mechanism, postfix.user, postfix.password,
                   postfix.recipient, token)

    assert result.returncode == 0, result.stdout + result.stderr
    message = postfix.wait_for_message(token)
    assert f"[{CLIENT_ADDRESS}]" in first_received(message)
    assert "with ESMTPA" in first_received(message)


@pytest.mark.parametrize("backend", ["unix", "tcp"])
def test_smtplib_starttls_delivers(start_subtls, postfix, certificate, backend):
    subtls = start_subtls(backend)
    token = unique_token(f"smtplib-587-{backend}")

    with smtplib.SMTP("127.0.0.1", subtls.starttls_port, timeout=10,
                      source_address=(CLIENT_ADDRESS, 0)) as client:
        client.ehlo("client.test")
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")

        code, _ = client.starttls(context=client_context(certificate.certificate))
        assert code == 220
        client.ehlo("client.test")
        assert client.has_extn("auth")

        client.login(postfix.user, postfix.password)
        refused = client.sendmail(SENDER, [postfix.recipient],
                                  build_message(token, postfix.recipient))

    assert refused == {}
    assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_curl_starttls_delivers(start_subtls, postfix, certificate, mechanism):
    subtls = start_subtls("tcp")
    token = unique_token(f"curl-587-{mechanism}")

    result = curl_send(f"smtp://127.0.0.1:{subtls.starttls_port}", mechanism, postfix.user,
                       postfix.password, postfix.recipient, token, certificate.certificate,
                       extra=("--ssl-reqd",))

    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))
