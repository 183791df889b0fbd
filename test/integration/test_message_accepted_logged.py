"""Each message that the backend accepts gets one log line that joins subtls's log to Postfix's.

The line follows the backend's "250 ... queued as ID" and carries the user,
the sender, the number of accepted recipients, the size and the queue id.
The same queue id must be in Postfix's maillog.
"""

import re

import pytest

from session_log import lines_containing, parse_fields, wait_for_session_close
from smtp_clients import (SENDER, build_message, plain_credentials, send_with_bdat,
                          send_with_data, tls_session, unique_token)

# A recipient that Postfix rejects, so rcpts= must count only the accepted ones.
REJECTED_RECIPIENT = "nobody@localhost"
# size= may count the content as sent or as stored: with or without the
# dots that DATA doubles and its final ".\r\n".
SIZE_SLACK = 8


@pytest.mark.parametrize("command", ["DATA", "BDAT"])
def test_message_accepted_logged(start_subtls, postfix, certificate, command):
    subtls = start_subtls("unix")
    token = unique_token(f"accepted-{command}")
    other = f"other@{postfix.domain}"
    recipients = [postfix.recipient, REJECTED_RECIPIENT, other]
    content = build_message(token, postfix.recipient)

    client, _ = tls_session(subtls, "starttls", certificate.certificate)
    address = client.local_address
    with client:
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        assert auth[0].startswith("235"), auth
        if command == "DATA":
            replies = send_with_data(client, recipients, content)
        else:
            replies = send_with_bdat(client, recipients, content, len(content) // 2)
        client.command("QUIT")

    assert replies[2][0].startswith("550"), f"Postfix should reject {REJECTED_RECIPIENT}: {replies}"
    match = re.search(r"queued as (\w+)", replies[-1][0])
    assert match, f"expected 250 ... queued as ID: {replies[-1]}"
    queue_id = match.group(1)

    lines = wait_for_session_close(subtls, address)
    accepted = lines_containing(lines, "message accepted")
    assert len(accepted) == 1, "expected one message accepted line:\n" + "\n".join(lines)
    line = accepted[0]
    fields = parse_fields(line)
    assert f"message accepted user={postfix.user} from=<{SENDER}> rcpts=2 " in line, line
    assert fields.get("queue_id") == queue_id, line
    assert fields.get("size", "").isdigit(), line
    assert len(content) <= int(fields["size"]) <= len(content) + SIZE_SLACK, (
        f"size should be about {len(content)} bytes: {line}")

    log = postfix.wait_for_maillog(f"{queue_id}: client=")
    assert f"{queue_id}: client=unknown[127.0.0.2]" in log
