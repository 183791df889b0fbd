"""BDAT chunks with 8-bit and control bytes arrive intact, with and without the trace header.

A raw client sends MAIL, RCPT, "BDAT n" and "BDAT m LAST" in one write
(RFC 3030 with pipelining).  The content contains every byte value except CR
and LF outside of line ends, because Postfix 3.7 stores a bare CR as a space
and a bare LF as a line end (seen in the private instance).  Postfix offers
8BITMIME but not BINARYMIME, so MAIL sends BODY=8BITMIME.  The content also
contains lines that would end DATA content or look like commands; in BDAT they
are plain bytes.  The first chunk ends in the middle of a line.
"""

import pytest

from smtp_clients import (SENDER, added_headers, plain_credentials, received_headers,
                          send_with_bdat, tls_session, unique_token)

BYTE_LINE = bytes(value for value in range(256) if value not in (0x0A, 0x0D))
LINES = 400


def binary_content(token: str, recipient: str) -> bytes:
    header = (f"From: <{SENDER}>\r\nTo: <{recipient}>\r\nSubject: test {token}\r\n"
              f"Message-ID: <{token}@client.test>\r\nMIME-Version: 1.0\r\n"
              f"Content-Type: application/octet-stream\r\n"
              f"Content-Transfer-Encoding: 8bit\r\n\r\n").encode()
    lines = [BYTE_LINE[number % len(BYTE_LINE):] + BYTE_LINE[:number % len(BYTE_LINE)]
             for number in range(LINES)]
    middle = LINES // 2
    lines[middle:middle] = [b".", b"QUIT", b"BDAT 5 LAST", b"", b".."]
    return header + b"".join(line + b"\r\n" for line in lines)


@pytest.mark.parametrize("trace_header", ["yes", "no"])
@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_bdat_delivers_binary(start_subtls, postfix, certificate, listener, trace_header):
    subtls = start_subtls("unix", trace_header=trace_header)
    token = unique_token(f"bdat-{listener}-{trace_header}")
    content = binary_content(token, postfix.recipient)
    split = len(content) // 2 + 7

    client, ehlo = tls_session(subtls, listener, certificate.certificate)
    with client:
        keywords = [line[4:].split()[0].upper() for line in ehlo[1:]]
        assert "CHUNKING" in keywords, f"the backend should offer CHUNKING: {ehlo}"
        assert "8BITMIME" in keywords, f"the backend should offer 8BITMIME: {ehlo}"
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        assert auth[0].startswith("235"), auth
        replies = send_with_bdat(client, [postfix.recipient], content, split,
                                 mail_parameters=" BODY=8BITMIME")
        quit_reply = client.command("QUIT")

    codes = [reply[0][:3] for reply in replies]
    assert codes == ["250", "250", "250", "250"], replies
    assert "queued as" in replies[-1][0], replies[-1]
    assert quit_reply[0].startswith("221"), quit_reply

    message = postfix.wait_for_message(token)
    received = received_headers(added_headers(message, content))
    if trace_header == "yes":
        assert len(received) == 2, f"expected Postfix's and subtls's Received: {received}"
        assert "(subtls)" in received[1], received[1]
    else:
        assert len(received) == 1, f"expected only Postfix's Received: {received}"
        assert "(subtls)" not in received[0], received[0]
