"""pretls_bare_lf decides whether a bare LF ends a command line before TLS.

With accept (the default) "EHLO name\n" is served like "EHLO name\r\n", as
Postfix does.  With reject it gets 500 and counts as an error, and a
"STARTTLS\n" does not start TLS.
"""

from smtp_clients import LineClient
from subtls_process import HOSTNAME

BARE_LF = "500 5.5.2 Error: bare LF in a command line, end lines with CRLF"


def bare_lf_replies(subtls) -> tuple:
    """Send EHLO and STARTTLS ended by bare LF; return both replies and the reply to a CRLF NOOP."""
    with LineClient(subtls.starttls_port) as client:
        client.read_reply()
        client.send(b"EHLO client.test\n")
        ehlo = client.read_reply()
        client.send(b"STARTTLS\n")
        starttls = client.read_reply()
        noop = client.command("NOOP") if not starttls[0].startswith("220") else None
    return ehlo, starttls, noop


def test_bare_lf_accepted_by_default(start_subtls):
    subtls = start_subtls("unix")

    ehlo, starttls, _ = bare_lf_replies(subtls)

    assert ehlo[0] == f"250-{HOSTNAME}", ehlo
    assert starttls == ["220 2.0.0 Ready to start TLS"]


def test_bare_lf_rejected_when_configured(start_subtls):
    subtls = start_subtls("unix", pretls_bare_lf="reject")

    ehlo, starttls, noop = bare_lf_replies(subtls)

    assert ehlo == [BARE_LF]
    assert starttls == [BARE_LF]
    assert noop == ["250 2.0.0 Ok"], "CRLF lines should still be served"
