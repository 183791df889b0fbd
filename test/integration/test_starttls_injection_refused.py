"""Plaintext sent around the TLS handshake after STARTTLS is never read as commands.

"Why TLS is better without STARTTLS" (Poddebniak et al., USENIX Security
2021) lists where a client's plaintext commands can hide so that a server
takes them as sent through TLS.  Commands pipelined behind STARTTLS in the
same segment are covered by test_starttls_refuses_plaintext_commands.py.
This file covers the rest: a later segment sent instead of the ClientHello,
plaintext in front of the ClientHello in its segment, and plaintext behind
it.  In each case the session ends before TLS is up, and Postfix never
receives a connection.
"""

import re
import time

import pytest

from session_log import close_fields
from smtp_clients import LineClient, client_hello

INJECTED = b"MAIL FROM:<injected@example.test>\r\n"
# Postfix logs "connect from" for every connection, PROXY header or not.
POSTFIX_CONNECT = re.compile(r"\]: connect from ")


def after_starttls(subtls, payload: bytes) -> tuple:
    """Send EHLO and STARTTLS, wait for the 220, then send payload; return the client address and what arrived until the close."""
    with LineClient(subtls.starttls_port) as client:
        client_address = client.local_address
        client.read_reply()
        client.command("EHLO client.test")
        ready = client.command("STARTTLS")
        assert ready == ["220 2.0.0 Ready to start TLS"], ready
        client.send(payload)
        received = client.read_until_closed(5.0)
    return client_address, received


@pytest.mark.parametrize("case", ["later_segment", "before_client_hello"])
def test_plaintext_instead_of_client_hello(start_subtls, postfix, certificate, case):
    subtls = start_subtls("unix")
    offset = postfix.maillog_size()
    payload = INJECTED
    if case == "before_client_hello":
        payload = INJECTED + client_hello(certificate.certificate)

    client_address, received = after_starttls(subtls, payload)

    assert received == b""
    assert close_fields(subtls, client_address)["reason"] == "plaintext_after_starttls"
    assert "CVE-2011-0411" in subtls.log_text()
    # Give Postfix time to log a connection, had subtls opened one.
    time.sleep(1.0)
    assert not POSTFIX_CONNECT.search(postfix.maillog_text(offset)), postfix.maillog_text(offset)


def test_plaintext_behind_client_hello(start_subtls, postfix, certificate):
    subtls = start_subtls("unix")
    offset = postfix.maillog_size()

    client_address, received = after_starttls(
        subtls, client_hello(certificate.certificate) + INJECTED)

    # What arrives is the server's side of the handshake, then an alert.
    assert not re.search(rb"(^|\n)[2-5]\d\d[ -]", received), received
    assert close_fields(subtls, client_address)["reason"] == "tls_handshake_failed"
    time.sleep(1.0)
    assert not POSTFIX_CONNECT.search(postfix.maillog_text(offset)), postfix.maillog_text(offset)
