"""A successful AUTH writes one line with the user and mechanism, and the close line names the user.

subtls learns the outcome from the backend's 235 and the user from the
client's AUTH PLAIN payload or AUTH LOGIN user name.
"""

import pytest

from session_log import close_fields, lines_containing, parse_fields, wait_for_session_close
from smtp_clients import base64_text, plain_credentials, tls_session


def authenticate(client, mechanism: str, user: str, password: str) -> list:
    """Run AUTH with mechanism and return the final reply."""
    if mechanism == "PLAIN":
        return client.command(f"AUTH PLAIN {plain_credentials(user, password)}")
    challenge = client.command("AUTH LOGIN")
    assert challenge[0].startswith("334"), f"expected 334 to AUTH LOGIN: {challenge}"
    challenge = client.command(base64_text(user))
    assert challenge[0].startswith("334"), f"expected 334 to the user name: {challenge}"
    return client.command(base64_text(password))


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_success_logged(start_subtls, postfix, certificate, mechanism, listener):
    subtls = start_subtls("unix")

    client, _ = tls_session(subtls, listener, certificate.certificate)
    address = client.local_address
    with client:
        reply = authenticate(client, mechanism, postfix.user, postfix.password)
        client.command("QUIT")

    assert reply[0].startswith("235"), reply
    lines = wait_for_session_close(subtls, address)
    auth_lines = lines_containing(lines, "auth ok")
    assert len(auth_lines) == 1, "expected one auth ok line:\n" + "\n".join(lines)
    assert f"auth ok user={postfix.user} mechanism={mechanism}" in auth_lines[0]
    assert parse_fields(auth_lines[0]).get("user") == postfix.user
    assert not lines_containing(lines, "auth failed"), "\n".join(lines)

    fields = close_fields(subtls, address)
    assert fields.get("user") == postfix.user, f"the close line should name the user: {fields}"
