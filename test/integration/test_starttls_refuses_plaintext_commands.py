"""Before TLS the STARTTLS listener serves no mail transaction and no AUTH.

RFC 3207 section 4 lets a server reply 530 to commands that need TLS.  Bytes
pipelined after STARTTLS must never be read as if they came over TLS, which
was the CVE-2011-0411 command injection.
"""

import re
import time

import pytest

from smtp_clients import LineClient, client_context

# Postfix logs "connect from" for every connection, PROXY header or not.
POSTFIX_CONNECT = re.compile(r"\]: connect from ")


@pytest.mark.parametrize("command", [
    "MAIL FROM:<sender@example.test>",
    "AUTH PLAIN AGFsaWNlAHdyb25n",
    "RCPT TO:<rcpt@example.test>",
    "DATA",
])
def test_command_before_starttls_gets_530(start_subtls, command):
    subtls = start_subtls("unix")

    with LineClient(subtls.starttls_port) as client:
        client.read_reply()
        client.command("EHLO client.test")
        reply = client.command(command)
        quit_reply = client.command("QUIT")

    assert reply[-1].startswith("530 ")
    assert quit_reply[-1].startswith("221 ")


def test_pipelined_starttls_gets_554_and_close(start_subtls, postfix):
    subtls = start_subtls("unix")
    offset = postfix.maillog_size()

    with LineClient(subtls.starttls_port) as client:
        client.read_reply()
        client.command("EHLO client.test")
        client.send(b"STARTTLS\r\nMAIL FROM:<x@y>\r\n")
        rest = client.read_until_closed(5.0)

    replies = rest.decode(errors="replace").splitlines()
    assert any(line.startswith("554") for line in replies), replies
    assert not any(line.startswith("220") for line in replies), replies

    # Give Postfix time to log a connection, had subtls opened one.
    time.sleep(1.0)
    assert not POSTFIX_CONNECT.search(postfix.maillog_text(offset)), postfix.maillog_text(offset)


def test_completed_starttls_reaches_postfix(start_subtls, postfix, certificate):
    """The control case of the test above: a completed STARTTLS session is logged."""
    subtls = start_subtls("unix")
    offset = postfix.maillog_size()

    with LineClient(subtls.starttls_port) as client:
        client.read_reply()
        client.command("EHLO client.test")
        client.command("STARTTLS")
        client.starttls(client_context(certificate.certificate))
        client.command("EHLO client.test")
        client.command("QUIT")

    log = postfix.wait_for_maillog("disconnect from", offset, timeout=5.0)
    assert POSTFIX_CONNECT.search(log)
    assert "connect from unknown[127.0.0.2]" in log
