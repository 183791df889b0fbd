"""Repeated AUTH failures from one address ban that address, and only it.

With auth_failures = 3, the third 535 within auth_failure_window from
127.0.0.2 bans it for auth_ban_time.  A new session from it then gets
"421 4.7.0": on the STARTTLS listener as the plaintext greeting, on the
implicit TLS listener right after the handshake.  Neither reaches Postfix.
A client from 127.0.0.3 still delivers.
"""

import smtplib

from session_log import (close_fields, lines_containing, parse_fields, wait_for_log_text,
                         wait_for_session_close)
from smtp_clients import (CLIENT_ADDRESS, SENDER, LineClient, base64_text, build_message,
                          client_context, first_received, plain_credentials, tls_session,
                          unique_token)

OTHER_ADDRESS = "127.0.0.3"
WRONG_PASSWORD = "wrong-battery-9"
BAN_SETTINGS = {"auth_failures": "3", "auth_failure_window": "60s", "auth_ban_time": "60s"}


def fail_auth(subtls, certificate, listener: str, mechanism: str, user: str) -> str:
    """Authenticate with a wrong password, expect 535, and return the client address."""
    client, _ = tls_session(subtls, listener, certificate.certificate)
    address = client.local_address
    with client:
        if mechanism == "PLAIN":
            reply = client.command(f"AUTH PLAIN {plain_credentials(user, WRONG_PASSWORD)}")
        else:
            client.command("AUTH LOGIN")
            client.command(base64_text(user))
            reply = client.command(base64_text(WRONG_PASSWORD))
        client.command("QUIT")
    assert reply[0].startswith("535"), f"expected 535 for a wrong password: {reply}"
    return address


def test_auth_failures_ban_address(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", **BAN_SETTINGS)
    attempts = [("starttls", "PLAIN"), ("implicit", "LOGIN"), ("starttls", "PLAIN")]

    for count, (listener, mechanism) in enumerate(attempts, start=1):
        address = fail_auth(subtls, certificate, listener, mechanism, postfix.user)
        lines = wait_for_session_close(subtls, address)
        failed = lines_containing(lines, "auth failed")
        assert len(failed) == 1, "expected one auth failed line:\n" + "\n".join(lines)
        fields = parse_fields(failed[0])
        assert fields.get("mechanism") == mechanism, failed[0]
        assert fields.get("failures") == str(count), failed[0]
        assert fields.get("s"), f"no s=ID on the line: {failed[0]}"
        assert fields.get("client") == address, failed[0]

    ban = wait_for_log_text(subtls, "auth ban ")
    assert parse_fields(ban).get("key") == CLIENT_ADDRESS, ban


def test_banned_address_gets_421(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", **BAN_SETTINGS)
    for _ in range(3):
        fail_auth(subtls, certificate, "starttls", "PLAIN", postfix.user)
    wait_for_log_text(subtls, f"auth ban key={CLIENT_ADDRESS}")
    offset = postfix.maillog_size()

    with LineClient(subtls.starttls_port) as client:
        plaintext_address = client.local_address
        greeting = client.read_reply()
        assert greeting[0].startswith("421 4.7.0 "), f"expected 421 as the greeting: {greeting}"
        assert client.is_closed(5.0), "subtls should close a banned session after the 421"
    with LineClient(subtls.implicit_port) as client:
        implicit_address = client.local_address
        client.starttls(client_context(certificate.certificate))
        reply = client.read_reply()
        assert reply[0].startswith("421 4.7.0 "), f"expected 421 after the handshake: {reply}"
        assert client.is_closed(5.0), "subtls should close a banned session after the 421"

    assert close_fields(subtls, plaintext_address).get("reason") == "auth_banned"
    assert close_fields(subtls, implicit_address).get("reason") == "auth_banned"
    assert f": connect from unknown[{CLIENT_ADDRESS}]" not in postfix.maillog_text(offset), (
        "a banned session reached Postfix")


def test_ban_spares_other_address(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", **BAN_SETTINGS)
    for _ in range(3):
        fail_auth(subtls, certificate, "starttls", "PLAIN", postfix.user)
    wait_for_log_text(subtls, f"auth ban key={CLIENT_ADDRESS}")
    context = client_context(certificate.certificate)

    for listener in ("implicit", "starttls"):
        token = unique_token(f"ban-spares-{listener}")
        if listener == "implicit":
            client = smtplib.SMTP_SSL("127.0.0.1", subtls.implicit_port, timeout=10,
                                      source_address=(OTHER_ADDRESS, 0), context=context)
        else:
            client = smtplib.SMTP("127.0.0.1", subtls.starttls_port, timeout=10,
                                  source_address=(OTHER_ADDRESS, 0))
            client.starttls(context=context)
        with client:
            client.login(postfix.user, postfix.password)
            refused = client.sendmail(SENDER, [postfix.recipient],
                                      build_message(token, postfix.recipient))

        assert refused == {}
        assert f"[{OTHER_ADDRESS}]" in first_received(postfix.wait_for_message(token))
