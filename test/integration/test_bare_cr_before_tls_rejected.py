"""Before TLS, a bare CR inside a command line gets 500 and counts as an error.

RFC 5321 section 2.3.8 allows CR only in the CRLF that ends a line, and
servers disagree on what a bare CR means, so subtls executes no part of such
a line.  Each one counts toward the limit of 10 errors.
"""

from session_log import close_fields
from smtp_clients import LineClient
from subtls_process import HOSTNAME

BARE_CR = "500 5.5.2 Error: bare CR in a command line"
TOO_MANY_ERRORS = f"421 4.7.0 {HOSTNAME} Error: too many errors"


def test_bare_cr_line_not_executed(start_subtls):
    subtls = start_subtls("unix")

    with LineClient(subtls.starttls_port) as client:
        client.read_reply()
        client.send(b"NOOP\rQUIT\r\n")
        reply = client.read_reply()
        noop = client.command("NOOP")

    assert reply == [BARE_CR]
    assert noop == ["250 2.0.0 Ok"], "the session should go on after the 500"


def test_ten_bare_cr_lines_close_session(start_subtls):
    subtls = start_subtls("unix")

    with LineClient(subtls.starttls_port) as client:
        client_address = client.local_address
        client.read_reply()
        client.send(b"EHLO a\rb\r\n" * 10 + b"NOOP\r\n")
        replies = client.read_until_closed(5.0).decode().splitlines()

    assert replies == [BARE_CR] * 10 + [TOO_MANY_ERRORS]
    assert close_fields(subtls, client_address)["reason"] == "too_many_errors"
