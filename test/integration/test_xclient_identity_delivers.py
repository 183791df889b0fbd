"""identity = xclient passes the client's address and EHLO name to Postfix without a PROXY header.

The xclient service of the private Postfix expects no PROXY header and
accepts XCLIENT from 127.0.0.0/8, so only subtls's XCLIENT can make it record
127.0.0.2: its own connection comes from 127.0.0.1.  The plain service does
not accept XCLIENT (no smtpd_authorized_xclient_hosts), and there the
client must get a 421 and subtls's log must name the Postfix setting to fix.
"""

import pytest

from session_log import lines_containing, wait_for_session_close
from smtp_clients import (CLIENT_ADDRESS, LineClient, build_message, client_context,
                          first_received, plain_credentials, send_with_data, tls_session,
                          unique_token)

HELO = "xclient.client.test"


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_xclient_identity_delivers(start_subtls, postfix, certificate, listener):
    subtls = start_subtls("xclient", identity="xclient")
    token = unique_token(f"xclient-{listener}")
    content = build_message(token, postfix.recipient)
    offset = postfix.maillog_size()

    client, ehlo = tls_session(subtls, listener, certificate.certificate, helo=HELO)
    with client:
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        assert auth[0].startswith("235"), auth
        replies = send_with_data(client, [postfix.recipient], content)
        client.command("QUIT")

    assert ehlo[0] == f"250-{postfix.hostname}", f"EHLO should reach Postfix: {ehlo}"
    assert "queued as" in replies[-1][0], replies
    received = first_received(postfix.wait_for_message(token))
    assert f"[{CLIENT_ADDRESS}]" in received, received
    assert received.startswith(f"from {HELO} "), received
    # Postfix 3.7 counts an XCLIENT that got its 220 reply as "xclient=0/1".
    disconnect = postfix.wait_for_disconnect(CLIENT_ADDRESS, offset)
    assert " xclient=" in disconnect, f"Postfix received no XCLIENT: {disconnect}"


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_xclient_unauthorized_gives_421(start_subtls, certificate, listener):
    subtls = start_subtls("plain", identity="xclient")
    context = client_context(certificate.certificate)

    port = subtls.implicit_port if listener == "implicit" else subtls.starttls_port
    with LineClient(port) as client:
        address = client.local_address
        if listener == "implicit":
            client.starttls(context)
        else:
            client.read_reply()
            client.command("EHLO client.test")
            assert client.command("STARTTLS")[0].startswith("220")
            client.starttls(context)
        client.send(b"EHLO client.test\r\n")
        try:
            received = client.read_until_closed(5.0)
        except TimeoutError as error:
            pytest.fail(f"expected a 421 and a close after EHLO: {error}")

    lines = received.decode(errors="replace").split("\r\n")
    assert any(line.startswith("421 ") for line in lines), f"expected a 421: {received!r}"
    assert not any(line.startswith("250") for line in lines), (
        f"EHLO should not succeed: {received!r}")
    session = wait_for_session_close(subtls, address)
    assert lines_containing(session, "smtpd_authorized_xclient_hosts"), (
        "the log should name smtpd_authorized_xclient_hosts:\n" + "\n".join(session))
