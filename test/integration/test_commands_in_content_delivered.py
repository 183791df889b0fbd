"""Lines that look like SMTP commands inside DATA content arrive byte for byte.

subtls follows the conversation but must never read message content as
commands: only the lone "." line ends it, and a line that starts with a dot
is sent doubled (RFC 5321 4.5.2).  A second message in the same session
shows that the session goes on normally.
"""

import pytest

from session_log import lines_containing, wait_for_session_close
from smtp_clients import (SENDER, added_headers, plain_credentials, send_with_data, tls_session,
                          unique_token)

COMMAND_LINES = [
    "QUIT",
    "RSET",
    "EHLO x",
    "STARTTLS",
    "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
    "MAIL FROM:<x@y>",
    "RCPT TO:<x@y>",
    "XCLIENT ADDR=1.2.3.4",
    "DATA",
    "BDAT 5 LAST",
    ".",
    "..",
    ". not the end",
    "",
    "QUIT",
]


def content_with_commands(token: str, recipient: str) -> bytes:
    header = (f"From: <{SENDER}>\r\nTo: <{recipient}>\r\nSubject: test {token}\r\n"
              f"Message-ID: <{token}@client.test>\r\n\r\n")
    body = "".join(f"{line}\r\n" for line in COMMAND_LINES)
    return (header + f"body {token}\r\n" + body).encode()


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_commands_in_content_delivered(start_subtls, postfix, certificate, listener):
    subtls = start_subtls("unix")
    tokens = [unique_token(f"commands-{listener}-{number}") for number in (1, 2)]
    contents = [content_with_commands(token, postfix.recipient) for token in tokens]

    client, _ = tls_session(subtls, listener, certificate.certificate)
    address = client.local_address
    with client:
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        assert auth[0].startswith("235"), auth
        replies = [send_with_data(client, [postfix.recipient], content) for content in contents]
        noop = client.command("NOOP")
        quit_reply = client.command("QUIT")

    for number, steps in enumerate(replies, start=1):
        codes = [reply[0][:3] for reply in steps]
        assert codes == ["250", "250", "354", "250"], f"message {number}: {steps}"
        assert "queued as" in steps[-1][0], steps[-1]
    assert noop[0].startswith("250"), noop
    assert quit_reply[0].startswith("221"), quit_reply

    for token, content in zip(tokens, contents):
        message = postfix.wait_for_message(token)
        added_headers(message, content)  # asserts that the file ends with content

    lines = wait_for_session_close(subtls, address)
    assert len(lines_containing(lines, "auth ok")) == 1, (
        "expected one auth ok line, for the real AUTH and not the line in the content:\n"
        + "\n".join(lines))
