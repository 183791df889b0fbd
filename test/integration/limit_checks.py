"""Helpers for the connection limit tests: idle sessions, a delivery from
another address, and the "limit reached" warning lines.

A limit that bites writes one warning line with key=value fields: listener,
limit (the setting's name), value (its setting), action (refused,
starttls_held, accept_paused, closed) and suppressed (the lines of that
limit left out since its previous line, at most one line a second).
"""

import smtplib

from session_log import parse_fields
from smtp_clients import SENDER, LineClient, build_message, client_context, first_received, \
    unique_token

TOO_MANY_CONNECTIONS = "421 4.7.0 mail.example.com Too many connections, try again later"


def idle_starttls_session(subtls, source: str) -> LineClient:
    """Connect to the STARTTLS listener from source and read the 220 greeting."""
    client = LineClient(subtls.starttls_port, source)
    greeting = client.read_reply()
    assert greeting[0].startswith("220 "), f"expected the 220 greeting, received {greeting}"
    return client


def limit_lines(log_text: str, limit: str) -> list:
    """Return the fields of each "limit reached" line of the setting named limit."""
    return [parse_fields(line) for line in log_text.splitlines()
            if "limit reached" in line and parse_fields(line).get("limit") == limit]


def deliver_from(subtls, postfix, certificate, listener: str, source: str) -> None:
    """Submit one message from source through listener ("implicit" or "starttls").

    Asserts that the backend accepted it and that the Received header that
    Postfix wrote names source.
    """
    token = unique_token(f"limits-{listener}")
    context = client_context(certificate.certificate)
    if listener == "implicit":
        client = smtplib.SMTP_SSL("127.0.0.1", subtls.implicit_port, timeout=10,
                                  source_address=(source, 0), context=context)
    else:
        client = smtplib.SMTP("127.0.0.1", subtls.starttls_port, timeout=10,
                              source_address=(source, 0))
        client.starttls(context=context)
    with client:
        client.login(postfix.user, postfix.password)
        refused = client.sendmail(SENDER, [postfix.recipient],
                                  build_message(token, postfix.recipient))
    assert refused == {}, f"recipients refused: {refused}"
    assert f"[{source}]" in first_received(postfix.wait_for_message(token))
