"""A command line with a control byte after TLS is rejected, never forwarded.

Postfix splits a command at every isspace() byte, \\v and \\f included, so for
it "XCLIENT\\vADDR=..." is an XCLIENT.  subtls rejects any command line with a
control byte other than HT with 500, before it could take such a line for
another command.  The extensions service of the private Postfix accepts
XCLIENT from loopback, so a forwarded one would show in its disconnect line
and in the client address it logs.
"""

import pytest

from smtp_clients import SENDER, tls_session

LINES = [
    "XCLIENT\vADDR=192.0.2.66 NAME=forged.example",
    "\fXCLIENT ADDR=192.0.2.66",
    f"MAIL\vFROM:<{SENDER}>",
    "EHLO\vcontrol.example",
    "DATA\v",
]


@pytest.mark.parametrize("line", LINES, ids=["xclient-vt", "xclient-ff", "mail-vt",
                                              "ehlo-vt", "data-vt"])
def test_control_bytes_in_commands_rejected(start_subtls, postfix, certificate, line):
    subtls = start_subtls("extensions")
    offset = postfix.maillog_size()

    client, _ = tls_session(subtls, "implicit", certificate.certificate)
    address = client.local_address
    with client:
        reply = client.command(line)
        noop = client.command("NOOP")
        client.command("QUIT")

    assert reply == ["500 5.5.2 Error: control character in a command line"], reply
    assert noop[0].startswith("250"), f"the session should go on after the 500: {noop}"
    disconnect = postfix.wait_for_disconnect(address.rsplit(":", 1)[0], offset)
    assert "noop=1" in disconnect, disconnect
    for command in ("xclient", "mail", "data"):
        assert f"{command}=" not in disconnect, f"Postfix received {command}: {disconnect}"
    assert "ehlo=1 " in disconnect, f"only the EHLO of tls_session may reach Postfix: {disconnect}"
    assert "192.0.2.66" not in postfix.maillog_text(offset)
