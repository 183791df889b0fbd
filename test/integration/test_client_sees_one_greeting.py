"""A client sees exactly one 220 greeting per connection.

On the STARTTLS listener subtls greets with "220 <hostname> ESMTP" and must
swallow Postfix's own greeting when it connects to the backend after the
handshake.  On the implicit TLS listener one greeting arrives after the
handshake.  A second greeting would be read by a client as the reply to its
next command.
"""

from smtp_clients import LineClient, client_context, implicit_tls_client
from subtls_process import HOSTNAME

# How long to wait for bytes that must not arrive.
QUIET_PERIOD = 1.0


def test_starttls_greeting_names_hostname(start_subtls):
    subtls = start_subtls("unix")

    with LineClient(subtls.starttls_port) as client:
        greeting = client.read_line()
        extra = client.read_available(QUIET_PERIOD)

    assert greeting == f"220 {HOSTNAME} ESMTP\r\n".encode()
    assert extra == b""


def test_starttls_hides_postfix_greeting(start_subtls, postfix, certificate):
    subtls = start_subtls("unix")

    with LineClient(subtls.starttls_port) as client:
        client.read_reply()
        client.command("EHLO client.test")
        client.command("STARTTLS")
        client.starttls(client_context(certificate.certificate))
        unsolicited = client.read_available(QUIET_PERIOD)
        reply = client.command("EHLO client.test")

    assert unsolicited == b""
    assert reply[0].startswith("250")
    assert not any(line.startswith("220") for line in reply)
    assert postfix.hostname in reply[0]


def test_implicit_tls_greets_once(start_subtls, certificate):
    subtls = start_subtls("tcp")

    with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
        greeting = client.read_reply()
        extra = client.read_available(QUIET_PERIOD)
        reply = client.command("EHLO client.test")
        client.command("QUIT")

    assert len(greeting) == 1
    assert greeting[0].startswith("220 ")
    assert extra == b""
    assert reply[0].startswith("250")
