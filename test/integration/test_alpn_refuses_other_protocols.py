"""ALPN against ALPACA: a client that offers only other protocols is refused.

RFC 7301 section 3.2: the server sends the no_application_protocol
alert (120).  A client without ALPN, as most mail clients are, is served,
and one that offers smtp gets it.
"""

import pytest

from smtp_clients import handshake_completed, s_client


def connect(subtls, listener: str, alpn: tuple):
    if listener == "starttls":
        return s_client(subtls.starttls_port, ("-starttls", "smtp", *alpn))
    return s_client(subtls.implicit_port, alpn)


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_http_only_offer_gets_alert_120(start_subtls, listener):
    subtls = start_subtls("unix")

    result = connect(subtls, listener, ("-alpn", "http/1.1"))

    assert not handshake_completed(result), result.stdout
    assert "alert number 120" in result.stderr, result.stderr


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_no_alpn_offer_is_served(start_subtls, listener):
    subtls = start_subtls("unix")

    result = connect(subtls, listener, ())

    assert handshake_completed(result), result.stdout + result.stderr
    assert "No ALPN negotiated" in result.stdout


def test_smtp_offer_is_selected(start_subtls):
    subtls = start_subtls("unix")

    result = connect(subtls, "implicit", ("-alpn", "http/1.1,smtp"))

    assert handshake_completed(result), result.stdout + result.stderr
    assert "ALPN protocol: smtp" in result.stdout
