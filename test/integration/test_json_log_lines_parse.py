"""With log_format = json, every line subtls writes is one JSON object.

A delivery with AUTH and a failed AUTH run through the private Postfix.
Each line of the log must then parse with Python's json module. The members
a user greps for (session, client, user, reason, queue_id) must contain the
values of the text format.
"""

import json
import re
from datetime import datetime

from smtp_clients import (CLIENT_ADDRESS, plain_credentials, send_with_data, tls_session,
                          build_message, unique_token)

WRONG_PASSWORD = "wrong-battery-9"
# RFC 3339 in UTC with milliseconds, as subtls writes it.
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def log_objects(subtls) -> list:
    """Parse every line of subtls's log; a line that is not JSON fails the test."""
    objects = []
    for number, line in enumerate(subtls.log_text().splitlines(), start=1):
        try:
            objects.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise AssertionError(f"line {number} is not JSON ({error}): {line!r}")
    return objects


def with_msg(objects: list, msg: str, client: str) -> list:
    return [o for o in objects if o.get("msg") == msg and o.get("client") == client]


def test_json_log_lines_parse(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", log_format="json", auth_failures="0")
    token = unique_token("json-log")

    client, _ = tls_session(subtls, "starttls", certificate.certificate)
    delivered_from = client.local_address
    with client:
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        assert auth[0].startswith("235"), auth
        replies = send_with_data(client, [postfix.recipient],
                                 build_message(token, postfix.recipient))
        client.command("QUIT")
    queue_id = re.search(r"queued as (\w+)", replies[-1][0]).group(1)

    client, _ = tls_session(subtls, "implicit", certificate.certificate)
    failed_from = client.local_address
    with client:
        reply = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, WRONG_PASSWORD)}")
        assert reply[0].startswith("535"), reply
        client.command("QUIT")
    assert subtls.stop() == 0
    objects = log_objects(subtls)

    assert objects, "the log is empty"
    for entry in objects:
        assert TIME.match(entry["time"]), entry
        assert entry["level"] in ("error", "warning", "info", "debug"), entry
        assert entry["ident"].startswith("subtls"), entry
        assert all(isinstance(value, str) for value in entry.values()), entry
    datetime.strptime(objects[0]["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert any(o["msg"] == "listening" and o.get("listener") == "smtps" for o in objects)

    auth_ok = with_msg(objects, "auth ok", delivered_from)
    assert len(auth_ok) == 1, objects
    assert auth_ok[0]["user"] == postfix.user
    assert auth_ok[0]["mechanism"] == "PLAIN"
    assert auth_ok[0]["listener"] == "submission"
    session = auth_ok[0]["session"]
    assert session

    accepted = with_msg(objects, "message accepted", delivered_from)
    assert len(accepted) == 1, objects
    assert accepted[0]["queue_id"] == queue_id
    assert accepted[0]["session"] == session
    assert accepted[0]["user"] == postfix.user
    assert accepted[0]["rcpts"] == "1"

    closes = with_msg(objects, "close", delivered_from)
    assert len(closes) == 1, objects
    # After 221 to QUIT, Postfix and the client both close; either may be first.
    assert closes[0]["reason"] in ("backend_closed", "client_closed"), closes[0]
    assert closes[0]["session"] == session

    failed = with_msg(objects, "auth failed", failed_from)
    assert len(failed) == 1, objects
    assert failed[0]["level"] == "warning"
    assert failed[0]["mechanism"] == "PLAIN"
    assert failed[0]["listener"] == "smtps"
    assert failed[0]["client"].startswith(f"{CLIENT_ADDRESS}:")
    assert failed[0]["session"] != session
