"""A "." line next to a bare LF in DATA content refuses the message.

Postfix, like other servers, takes a bare LF for a line end, so for it
"\\n.\\n" ends the message and the bytes after it are commands.  subtls ends
content only at CRLF.CRLF, so without this check a client could smuggle
commands past subtls (SMTP smuggling), an XCLIENT among them.  subtls
replies 554, closes the session, and Postfix never sees the end of the
message, so it queues nothing and runs none of the smuggled commands.
"""

import pytest

from session_log import close_fields
from smtp_clients import SENDER, plain_credentials, tls_session, unique_token

SMUGGLED = "XCLIENT ADDR=192.0.2.66\r\nMAIL FROM:<smuggled@example.org>\r\n"


@pytest.mark.parametrize("end", ["\n.\n", "\r\n.\n", "\n.\r\n"])
def test_bare_lf_dot_refused(start_subtls, postfix, certificate, end):
    subtls = start_subtls("unix")
    token = unique_token("smuggling")
    offset = postfix.maillog_size()

    client, _ = tls_session(subtls, "implicit", certificate.certificate)
    address = client.local_address
    with client:
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        assert auth[0].startswith("235"), auth
        assert client.command(f"MAIL FROM:<{SENDER}>")[0].startswith("250")
        assert client.command(f"RCPT TO:<{postfix.recipient}>")[0].startswith("250")
        assert client.command("DATA")[0].startswith("354")
        client.send(f"Subject: {token}\r\n\r\nbody{end}{SMUGGLED}".encode())
        reply = client.read_reply()
        assert reply[0].startswith("554 5.5.2 "), f"expected 554 for the \".\" line: {reply}"
        assert client.is_closed(5.0), "subtls should close the session after the 554"

    assert close_fields(subtls, address).get("reason") == "bare_lf_dot"
    disconnect = postfix.wait_for_disconnect(address.rsplit(":", 1)[0], offset)
    log = postfix.maillog_text(offset)
    assert "192.0.2.66" not in log, "the smuggled XCLIENT reached Postfix:\n" + log
    assert "smuggled@example.org" not in log, "the smuggled MAIL reached Postfix:\n" + log
    assert "lost connection after DATA" in log, (
        "Postfix should see the session end inside DATA:\n" + log)
    assert " data=0/1 " in disconnect, f"Postfix should count DATA as not done: {disconnect}"
    assert "xclient" not in disconnect, disconnect
    assert "queued as" not in log, "Postfix queued the refused message:\n" + log
