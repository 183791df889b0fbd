"""An HTTP request on a STARTTLS listener gets 221 and an immediate close.

A browser or HTTP proxy made to connect to an SMTP port sends its request
line and headers, and a cross-protocol attack hides SMTP commands in the
body.  subtls ends the session at the first HTTP line, so nothing after it
is served, and logs reason=http_command.
"""

import time

import pytest

from session_log import close_fields
from smtp_clients import LineClient
from subtls_process import HOSTNAME

GOODBYE = f"221 2.7.0 {HOSTNAME} Error: this is an SMTP server, not an HTTP server; closing"


@pytest.mark.parametrize("first_line", [
    "GET / HTTP/1.1",
    "POST /form HTTP/1.1",
    "HEAD / HTTP/1.0",
    "PUT /upload HTTP/1.1",
    "CONNECT 127.0.0.1:25 HTTP/1.1",
    "OPTIONS * HTTP/1.1",
    "Host: mail.example.com",
    "User-Agent: Mozilla/5.0",
])
def test_http_line_gets_221_and_close(start_subtls, first_line):
    subtls = start_subtls("unix", command_timeout="30s")
    request = (f"{first_line}\r\nHost: mail.example.com\r\nContent-Length: 40\r\n\r\n"
               f"EHLO attacker.test\r\nMAIL FROM:<a@b.test>\r\n").encode()

    with LineClient(subtls.starttls_port) as client:
        client_address = client.local_address
        client.read_reply()
        started = time.monotonic()
        client.send(request)
        replies = client.read_until_closed(5.0).decode().splitlines()
        elapsed = time.monotonic() - started

    assert replies == [GOODBYE]
    assert elapsed < 2.0, "the close should not wait for command_timeout"
    assert close_fields(subtls, client_address)["reason"] == "http_command"
