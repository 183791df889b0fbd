"""A SASL response longer than 512 bytes gets 500 5.5.6, then the session ends.

The backend still waits for that response, so subtls cannot let the session
go on; RFC 4954 section 6 names the reply.  Nothing of the line reaches
Postfix, which logs the session's end inside AUTH.
"""

from session_log import close_fields
from smtp_clients import tls_session


def test_long_sasl_response_rejected(start_subtls, postfix, certificate):
    subtls = start_subtls("unix")

    client, _ = tls_session(subtls, "implicit", certificate.certificate)
    address = client.local_address
    with client:
        challenge = client.command("AUTH LOGIN")
        client.send(b"A" * 600 + b"\r\n")
        reply = client.read_reply()
        closed = client.is_closed(5.0)

    assert challenge[0].startswith("334"), challenge
    assert reply == ["500 5.5.6 Authentication Exchange line is too long"], reply
    assert closed, "subtls should close the session after the 500"
    assert close_fields(subtls, address).get("reason") == "protocol_error"
