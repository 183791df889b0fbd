"""No reply before TLS repeats what the client sent.

A reply that echoed client bytes would let an attacker place text of its
choice in front of the client (or, through a cross-protocol attack, in a
browser).  Every error path of the pre-TLS dialogue gets a line that carries
a marker, and the marker must appear in no reply.
"""

import pytest

from smtp_clients import LineClient

MARKER = b"Marker7f3aInjected"

# (what the client sends after the greeting, a reply code it must see)
CASES = {
    "ehlo": (b"EHLO " + MARKER + b"\r\n", b"250"),
    "helo": (b"HELO " + MARKER + b"\r\n", b"250"),
    "unknown_verb": (MARKER + b" now\r\n", b"530"),
    "mail": (b"MAIL FROM:<" + MARKER + b"@example.test>\r\n", b"530"),
    "rset_argument": (b"RSET " + MARKER + b"\r\n", b"501"),
    "starttls_argument": (b"STARTTLS " + MARKER + b"\r\n", b"501"),
    "bare_cr": (b"NOOP\r" + MARKER + b"\r\n", b"500"),
    "bare_lf": (b"NOOP " + MARKER + b"\n", b"500"),
    "nul": (b"NO\0OP " + MARKER + b"\r\n", b"500"),
    "line_too_long": (b"NOOP " + b"x" * 600 + MARKER + b"\r\n", b"500"),
    "http": (b"GET /" + MARKER + b" HTTP/1.1\r\n", b"221"),
    "too_many_errors": ((MARKER + b"\r\n") * 11, b"421"),
    "pipelined_after_starttls": (b"STARTTLS\r\n" + MARKER + b"\r\n", b"554"),
    "command_timeout": (b"EHLO " + MARKER, b"421"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_reply_has_no_client_bytes(start_subtls, case):
    sent, code = CASES[case]
    subtls = start_subtls("unix", pretls_bare_lf="reject", command_timeout="1s")

    with LineClient(subtls.starttls_port) as client:
        client.read_reply()
        client.send(sent)
        # QUIT ends the sessions that the case leaves open; a closed one
        # has already stopped reading.
        if not sent.endswith(MARKER):
            try:
                client.send(b"QUIT\r\n")
            except OSError:
                pass
        received = client.read_until_closed(5.0)

    assert any(line.startswith(code) for line in received.splitlines()), received
    assert MARKER.lower() not in received.lower(), received
