"""trace_header = yes puts one Received line from subtls above each message.

It records what Postfix behind subtls cannot know (RFC 5321 4.4): the
client's address and port, the listener, the TLS version and cipher, the
SNI and, with trace_auth_user = yes, the user.  Postfix then adds its own
Received above it, so in the Maildir subtls's line is the second Received
and comes right before the client's own headers.  Its id is the session id
of subtls's log, and its TLS facts match the session's close line.  With
trace_header = no or unset there is no such line.
"""

import datetime
import email.utils

import pytest

from session_log import close_fields, session_id, wait_for_session_close
from smtp_clients import (CLIENT_ADDRESS, added_headers, build_message, plain_credentials,
                          received_headers, send_with_bdat, send_with_data, tls_session,
                          unique_token)
from subtls_process import HOSTNAME, IMPLICIT_LISTENER, STARTTLS_LISTENER

HELO = "trace.client.test"
LISTENER_NAMES = {"implicit": IMPLICIT_LISTENER, "starttls": STARTTLS_LISTENER}


def submit(subtls, postfix, certificate, listener: str, command: str, token: str) -> tuple:
    """Authenticate, submit one message with command, and return (client address, content)."""
    content = build_message(token, postfix.recipient)
    client, _ = tls_session(subtls, listener, certificate.certificate, helo=HELO)
    address = client.local_address
    with client:
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        assert auth[0].startswith("235"), auth
        if command == "DATA":
            replies = send_with_data(client, [postfix.recipient], content)
        else:
            replies = send_with_bdat(client, [postfix.recipient], content, len(content) // 3)
        client.command("QUIT")
    assert "queued as" in replies[-1][0], replies
    return address, content


@pytest.mark.parametrize("command, listener, trace_auth_user", [
    ("DATA", "implicit", "yes"),
    ("DATA", "starttls", "no"),
    ("BDAT", "starttls", "yes"),
    ("BDAT", "implicit", None),
])
def test_trace_header_records_tls(start_subtls, postfix, certificate, command, listener,
                                  trace_auth_user):
    subtls = start_subtls("unix", trace_header="yes", trace_auth_user=trace_auth_user)
    token = unique_token(f"trace-{command}-{listener}")

    address, content = submit(subtls, postfix, certificate, listener, command, token)

    message = postfix.wait_for_message(token)
    received = received_headers(added_headers(message, content))
    assert len(received) == 2, f"expected Postfix's Received, then subtls's: {received}"
    assert f"[{CLIENT_ADDRESS}]" in received[0], f"Postfix's own Received: {received[0]}"
    trace = received[1]

    port = address.rsplit(":", 1)[1]
    lines = wait_for_session_close(subtls, address)
    close = close_fields(subtls, address)
    assert trace.startswith(f"from {HELO} ([{CLIENT_ADDRESS}] port {port}) "), trace
    assert f" by {HOSTNAME} (subtls) with ESMTPSA id {session_id(lines)} " in trace, trace
    assert (f"(listener {LISTENER_NAMES[listener]}, {close['tls']} cipher {close['cipher']}, "
            f"sni localhost") in trace, f"TLS facts differ from the close line {close}: {trace}"
    if trace_auth_user == "yes":
        assert f", user {postfix.user})" in trace, trace
    else:
        assert ", user " not in trace, f"the user should appear only with trace_auth_user: {trace}"

    assert ";" in trace, f"no date after a semicolon: {trace}"
    date = email.utils.parsedate_to_datetime(trace.rsplit(";", 1)[1].strip())
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - date).total_seconds()) < 300, f"date is not now: {trace}"


@pytest.mark.parametrize("command", ["DATA", "BDAT"])
@pytest.mark.parametrize("trace_header", ["no", None])
def test_trace_header_absent_when_off(start_subtls, postfix, certificate, command, trace_header):
    subtls = start_subtls("unix", trace_header=trace_header)
    token = unique_token(f"no-trace-{command}")

    _, content = submit(subtls, postfix, certificate, "starttls", command, token)

    received = received_headers(added_headers(postfix.wait_for_message(token), content))
    assert len(received) == 1, f"expected only Postfix's Received: {received}"
    assert "(subtls)" not in received[0], received[0]
