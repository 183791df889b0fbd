"""subtls rejects a client's own XCLIENT and XFORWARD and never forwards them.

The extensions service of the private Postfix accepts both commands from
127.0.0.0/8, as a backend that trusts loopback would.  A forwarded XCLIENT
would make Postfix record 1.2.3.4 as the client, and smtpd's disconnect line
counts every command it received (xclient=1, xforward=1).  So the Received
header and that line show whether a command reached Postfix.
"""

import pytest

from smtp_clients import (CLIENT_ADDRESS, SENDER, build_message, dot_stuffed, first_received,
                          plain_credentials, tls_session, unique_token)


@pytest.mark.parametrize("command", ["XCLIENT", "XFORWARD", "xclient"])
def test_client_identity_command_rejected(start_subtls, postfix, certificate, command):
    subtls = start_subtls("extensions")
    token = unique_token(f"reject-{command}")
    offset = postfix.maillog_size()

    client, _ = tls_session(subtls, "starttls", certificate.certificate)
    with client:
        reply = client.command(f"{command} ADDR=1.2.3.4")
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        mail = client.command(f"MAIL FROM:<{SENDER}>")
        rcpt = client.command(f"RCPT TO:<{postfix.recipient}>")
        data = client.command("DATA")
        client.send(dot_stuffed(build_message(token, postfix.recipient)))
        accepted = client.read_reply()
        client.command("QUIT")

    assert reply == [f"550 5.7.0 {command.upper()} not permitted"]
    assert auth[0].startswith("235"), f"AUTH after the rejected {command} failed: {auth}"
    assert mail[0].startswith("250"), mail
    assert rcpt[0].startswith("250"), rcpt
    assert data[0].startswith("354"), data
    assert accepted[0].startswith("250"), accepted

    received = first_received(postfix.wait_for_message(token))
    assert f"[{CLIENT_ADDRESS}]" in received
    assert "1.2.3.4" not in received

    disconnect = postfix.wait_for_disconnect(CLIENT_ADDRESS, offset)
    assert "xclient=" not in disconnect, f"XCLIENT reached Postfix: {disconnect}"
    assert "xforward=" not in disconnect, f"XFORWARD reached Postfix: {disconnect}"
