"""Pipelined commands in one write get their replies in order (RFC 2920).

A rejected recipient between two accepted steps shows that each reply maps
to its command.  Postfix rejects <nobody@localhost> with 550 because the
private instance sends no mail outside its domain.  Without AUTH, subtls's
own 530 to MAIL must still come before Postfix's replies to the commands
written after it.
"""

import pytest

from smtp_clients import (SENDER, build_message, dot_stuffed, plain_credentials, tls_session,
                          unique_token)

REJECTED_RECIPIENT = "nobody@localhost"


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_pipelined_replies_keep_order(start_subtls, postfix, certificate, listener):
    subtls = start_subtls("unix")
    token = unique_token(f"pipelined-{listener}")

    client, _ = tls_session(subtls, listener, certificate.certificate)
    with client:
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        assert auth[0].startswith("235"), auth
        client.send(f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{postfix.recipient}>\r\n"
                    f"RCPT TO:<{REJECTED_RECIPIENT}>\r\nDATA\r\n".encode())
        mail, accepted, rejected, data = [client.read_reply() for _ in range(4)]
        assert data[0].startswith("354"), f"expected 354 to DATA as the fourth reply: {data}"
        client.send(dot_stuffed(build_message(token, postfix.recipient)))
        queued = client.read_reply()
        client.command("QUIT")

    assert mail[0].startswith("250 2.1.0"), f"first reply, to MAIL: {mail}"
    assert accepted[0].startswith("250 2.1.5"), f"second reply, to the first RCPT: {accepted}"
    assert rejected[0].startswith("550 "), f"third reply, to the rejected RCPT: {rejected}"
    assert f"<{REJECTED_RECIPIENT}>" in rejected[0], rejected
    assert "queued as" in queued[0], queued

    message = postfix.wait_for_message(token)
    assert message["Delivered-To"] == postfix.recipient


def test_pipelined_530_keeps_order(start_subtls, postfix, certificate):
    subtls = start_subtls("unix")

    client, _ = tls_session(subtls, "starttls", certificate.certificate)
    with client:
        client.send(f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{postfix.recipient}>\r\n"
                    f"DATA\r\nNOOP\r\n".encode())
        mail, rcpt, data, noop = [client.read_reply() for _ in range(4)]
        client.command("QUIT")

    assert mail == ["530 5.7.0 Authentication required"], f"first reply, to MAIL: {mail}"
    assert rcpt[0].startswith("5"), f"second reply, to RCPT without a sender: {rcpt}"
    assert data[0].startswith("5"), f"third reply, to DATA without a recipient: {data}"
    assert noop[0].startswith("250"), f"fourth reply, to NOOP: {noop}"
