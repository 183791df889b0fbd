"""A message of several megabytes passes both listeners byte for byte.

About 4.5 MB is far above one TLS record (16 KB) or a relay buffer, so the
relay must handle partial writes and backpressure towards the backend.
"""

import hashlib
import smtplib

import pytest

from smtp_clients import CLIENT_ADDRESS, SENDER, client_context, unique_token

# Below Postfix's default message_size_limit of 10240000 bytes.
BODY_LINES = 60000
LINE = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-=_+"


def large_message(token: str, recipient: str) -> bytes:
    header = (f"From: <{SENDER}>\r\nTo: <{recipient}>\r\nSubject: test {token}\r\n"
              f"Message-ID: <{token}@client.test>\r\n\r\n")
    body = "".join(f"{number:06d} {LINE}\r\n" for number in range(BODY_LINES))
    return (header + body).encode()


def delivered_body(message) -> bytes:
    """Return the body as stored, with the Maildir's LF line ends turned back into CRLF."""
    raw = message.maildir_path.read_bytes()
    body = raw.split(b"\n\n", 1)[1]
    return body.replace(b"\n", b"\r\n")


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_large_message_delivers_intact(start_subtls, postfix, certificate, listener):
    subtls = start_subtls("unix")
    token = unique_token(f"large-{listener}")
    message = large_message(token, postfix.recipient)
    context = client_context(certificate.certificate)

    if listener == "implicit":
        client = smtplib.SMTP_SSL("127.0.0.1", subtls.implicit_port, timeout=30,
                                  source_address=(CLIENT_ADDRESS, 0), context=context)
    else:
        client = smtplib.SMTP("127.0.0.1", subtls.starttls_port, timeout=30,
                              source_address=(CLIENT_ADDRESS, 0))
        client.starttls(context=context)
    with client:
        client.login(postfix.user, postfix.password)
        refused = client.sendmail(SENDER, [postfix.recipient], message)

    assert refused == {}
    delivered = postfix.wait_for_message(token, timeout=30.0)
    sent_body = message.split(b"\r\n\r\n", 1)[1]
    assert len(delivered_body(delivered)) == len(sent_body)
    assert (hashlib.sha256(delivered_body(delivered)).hexdigest()
            == hashlib.sha256(sent_body).hexdigest())
