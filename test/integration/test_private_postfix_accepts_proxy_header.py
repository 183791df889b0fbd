"""The private Postfix fixture itself, checked without subtls.

These tests prove that a message which reaches the Maildir with [127.0.0.2]
in its Received header could only have come through a PROXY header, so the
subtls tests that check for it can fail.
"""

import socket

import pytest

import private_postfix
from smtp_clients import first_received, unique_token

CLIENT = ("127.0.0.2", 40001)
LISTENER = ("127.0.0.1", 465)


@pytest.mark.parametrize("version", ["v2", "v1"])
@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_postfix_reads_proxy_header_address(postfix, transport, version):
    address = (("127.0.0.1", postfix.proxy_port) if transport == "tcp"
               else str(postfix.unix_socket))
    build = (private_postfix.proxy_v2_header if version == "v2"
             else private_postfix.proxy_v1_header)
    token = unique_token(f"fixture-{transport}-{version}")

    private_postfix.send_proxied_message(postfix, address, build(CLIENT, LISTENER), token)

    message = postfix.wait_for_message(token)
    assert "[127.0.0.2]" in first_received(message)
    assert f"by {postfix.hostname}" in first_received(message)


def test_postfix_rejects_missing_proxy_header(postfix):
    offset = postfix.maillog_size()

    with socket.create_connection(("127.0.0.1", postfix.proxy_port), timeout=10) as sock:
        sock.sendall(b"EHLO client.test\r\n")
        reply = sock.recv(4096)

    assert reply.startswith(b"421 ")
    log = postfix.wait_for_maillog("disconnect from", offset)
    assert "haproxy read: unrecognized protocol header" in log


def test_plain_listener_shows_socket_address(postfix):
    token = unique_token("fixture-plain")

    private_postfix.send_proxied_message(postfix, ("127.0.0.1", postfix.plain_port), b"", token)

    assert "[127.0.0.1]" in first_received(postfix.wait_for_message(token))


def test_postfix_rejects_relay_without_auth(postfix):
    header = private_postfix.proxy_v2_header(CLIENT, LISTENER)
    with private_postfix.ProxiedSMTP(("127.0.0.1", postfix.proxy_port), header) as client:
        client.ehlo("client.test")
        client.mail("sender@example.test")
        code, _ = client.rcpt(postfix.recipient)

    assert code == 554
