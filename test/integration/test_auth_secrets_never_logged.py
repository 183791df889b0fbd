"""No line of subtls's log contains a password or an AUTH payload, even at log_level = debug.

Sessions with right and wrong passwords, with AUTH PLAIN as an initial
response and after a 334, and with AUTH LOGIN, run against one subtls.  Then
the whole log is searched for each password and for each base64 string that
the client sent.
"""

from session_log import wait_for_session_close
from smtp_clients import base64_text, plain_credentials, tls_session

WRONG_PASSWORD = "wrong-battery-9"


def run_auth(subtls, certificate, steps: list) -> tuple:
    """Send each step as a line after TLS and return (client address, last reply)."""
    client, _ = tls_session(subtls, "starttls", certificate.certificate)
    address = client.local_address
    with client:
        for step in steps:
            reply = client.command(step)
        client.command("QUIT")
    return address, reply


def test_auth_secrets_never_logged(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", log_level="debug")
    user, password = postfix.user, postfix.password
    sessions = {
        "PLAIN right": (["AUTH PLAIN " + plain_credentials(user, password)], "235"),
        "PLAIN wrong": (["AUTH PLAIN " + plain_credentials(user, WRONG_PASSWORD)], "535"),
        "PLAIN after 334": (["AUTH PLAIN", plain_credentials(user, password)], "235"),
        "LOGIN right": (["AUTH LOGIN", base64_text(user), base64_text(password)], "235"),
        "LOGIN wrong": (["AUTH LOGIN", base64_text(user), base64_text(WRONG_PASSWORD)], "535"),
    }
    addresses = []
    for name, (steps, expected) in sessions.items():
        address, reply = run_auth(subtls, certificate, steps)
        assert reply[0].startswith(expected), f"{name}: expected {expected}, received {reply}"
        addresses.append(address)
    for address in addresses:
        wait_for_session_close(subtls, address)

    log = subtls.log_text()
    assert "state " in log, "no debug line in the log: was log_level = debug applied?"
    assert "auth ok" in log, "no auth ok line: subtls did not follow AUTH"
    assert "auth failed" in log, "no auth failed line: subtls did not follow AUTH"
    secrets = {
        "the password": password,
        "the wrong password": WRONG_PASSWORD,
        "the PLAIN payload": plain_credentials(user, password),
        "the wrong PLAIN payload": plain_credentials(user, WRONG_PASSWORD),
        "the LOGIN user payload": base64_text(user),
        "the LOGIN password payload": base64_text(password),
        "the wrong LOGIN password payload": base64_text(WRONG_PASSWORD),
    }
    for name, secret in secrets.items():
        found = [line for line in log.splitlines() if secret in line]
        assert not found, f"{name} ({secret}) is in the log:\n" + "\n".join(found)
