"""The failure that starts a ban also ends the session it came from.

Without this, a session that reaches auth_failures could go on guessing
passwords until the backend's own error limit (Postfix: 20) ends it.  After
the third 535, subtls sends 421 4.7.0 and closes; the close line has
reason=auth_banned.
"""

from session_log import close_fields
from smtp_clients import plain_credentials, tls_session

BAN_SETTINGS = {"auth_failures": "3", "auth_failure_window": "60s", "auth_ban_time": "60s"}


def test_ban_closes_open_sessions(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", **BAN_SETTINGS)
    wrong = f"AUTH PLAIN {plain_credentials(postfix.user, 'wrong-battery-9')}"

    client, _ = tls_session(subtls, "starttls", certificate.certificate)
    address = client.local_address
    with client:
        replies = [client.command(wrong) for _ in range(3)]
        closing = client.read_reply()
        closed = client.is_closed(5.0)

    assert [reply[0][:3] for reply in replies] == ["535", "535", "535"], replies
    assert closing[0].startswith("421 4.7.0 "), f"expected 421 after the ban: {closing}"
    assert closed, "subtls should close the session that started the ban"
    assert close_fields(subtls, address).get("reason") == "auth_banned"
