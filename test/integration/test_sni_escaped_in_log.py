"""The client's SNI name is escaped in the session's close line.

The SNI is the only text in that line that the client chooses.  Unescaped, a
name with a space could forge key=value fields, and one with a newline could
forge a whole log line.
"""

import ssl

from session_log import close_fields
from smtp_clients import LineClient

FORGED_SNI = "evil reason=quit x=y"


def test_sni_with_space_cannot_forge_fields(start_subtls, certificate):
    subtls = start_subtls("unix")
    context = ssl.create_default_context(cafile=str(certificate.certificate))
    context.check_hostname = False

    with LineClient(subtls.implicit_port) as client:
        address = client.local_address
        client.starttls(context, server_hostname=FORGED_SNI)
        assert client.read_reply()[0].startswith("220 ")
        client.command("QUIT")
        client.read_until_closed()

    fields = close_fields(subtls, address)
    assert fields["sni"] == r"evil\x20reason\x3dquit\x20x\x3dy"
    assert fields["reason"] != "quit"
    assert "x" not in fields
