"""require_auth: MAIL before AUTH gets subtls's own 530 and never reaches Postfix.

smtpd's disconnect line counts the commands it received, so "mail=" in it
shows that a MAIL command got through.  With require_auth = no the command
goes to Postfix, which then applies its own rules: it rejects the recipient
of a client without AUTH, and the client must see Postfix's reply.
"""

import pytest

from smtp_clients import CLIENT_ADDRESS, SENDER, plain_credentials, tls_session


@pytest.mark.parametrize("require_auth", [None, "yes"])
@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_mail_before_auth_rejected(start_subtls, postfix, certificate, listener, require_auth):
    subtls = start_subtls("unix", require_auth=require_auth)
    offset = postfix.maillog_size()

    client, _ = tls_session(subtls, listener, certificate.certificate)
    with client:
        reply = client.command(f"MAIL FROM:<{SENDER}>")
        noop = client.command("NOOP")
        client.command("QUIT")

    assert reply == ["530 5.7.0 Authentication required"]
    assert noop[0].startswith("250"), f"the session should go on after the 530: {noop}"
    disconnect = postfix.wait_for_disconnect(CLIENT_ADDRESS, offset)
    assert "mail=" not in disconnect, f"MAIL reached Postfix: {disconnect}"


def test_mail_after_auth_accepted(start_subtls, postfix, certificate):
    subtls = start_subtls("unix")
    offset = postfix.maillog_size()

    client, _ = tls_session(subtls, "starttls", certificate.certificate)
    with client:
        rejected = client.command(f"MAIL FROM:<{SENDER}>")
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        accepted = client.command(f"MAIL FROM:<{SENDER}>")
        client.command("QUIT")

    assert rejected == ["530 5.7.0 Authentication required"]
    assert auth[0].startswith("235"), auth
    assert accepted[0].startswith("250"), f"MAIL after AUTH should pass: {accepted}"
    disconnect = postfix.wait_for_disconnect(CLIENT_ADDRESS, offset)
    assert " mail=1 " in disconnect, f"expected exactly one MAIL at Postfix: {disconnect}"


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_mail_without_auth_reaches_postfix(start_subtls, postfix, certificate, listener):
    subtls = start_subtls("unix", require_auth="no")
    offset = postfix.maillog_size()

    client, _ = tls_session(subtls, listener, certificate.certificate)
    with client:
        mail = client.command(f"MAIL FROM:<{SENDER}>")
        rcpt = client.command(f"RCPT TO:<{postfix.recipient}>")
        client.command("QUIT")

    assert mail[0].startswith("250"), f"MAIL should reach Postfix and pass: {mail}"
    assert len(rcpt) == 1, rcpt
    assert rcpt[0].startswith("554 5.7.1"), f"expected Postfix's relay rejection: {rcpt}"

    # Postfix logs the reply it sent: the client must have received the same text.
    log = postfix.wait_for_maillog(f"reject: RCPT from unknown[{CLIENT_ADDRESS}]", offset)
    assert f"RCPT from unknown[{CLIENT_ADDRESS}]: {rcpt[0]};" in log
    disconnect = postfix.wait_for_disconnect(CLIENT_ADDRESS, offset)
    assert " mail=1 " in disconnect, disconnect
