"""Commands pipelined up to STARTTLS get their replies in order, and TLS then starts.

RFC 2920 allows a client to send EHLO, NOOP and STARTTLS in one write when
STARTTLS is the last command of the group.  subtls must reply to all three in
order and then accept the handshake.  Bytes after STARTTLS, in contrast, it
rejects.  The EHLO after the handshake goes to Postfix.
"""

from smtp_clients import LineClient, client_context
from subtls_process import HOSTNAME

EHLO_REPLY = [f"250-{HOSTNAME}", "250-PIPELINING", "250-ENHANCEDSTATUSCODES", "250 STARTTLS"]


def test_pipelined_commands_then_tls(start_subtls, postfix, certificate):
    subtls = start_subtls("unix")

    with LineClient(subtls.starttls_port) as client:
        client.read_reply()
        client.send(b"EHLO a\r\nNOOP\r\nSTARTTLS\r\n")
        replies = [client.read_reply() for _ in range(3)]
        unread = client.buffer
        client.starttls(client_context(certificate.certificate))
        tls_version = client.sock.version()
        ehlo_after_tls = client.command("EHLO client.test")
        client.command("QUIT")

    assert replies[0] == EHLO_REPLY
    assert replies[1] == ["250 2.0.0 Ok"]
    assert replies[2] == ["220 2.0.0 Ready to start TLS"]
    assert unread == b""
    assert tls_version == "TLSv1.3"
    assert ehlo_after_tls[0] == f"250-{postfix.hostname}"
    assert any(line[4:].startswith("AUTH") for line in ehlo_after_tls), ehlo_after_tls
