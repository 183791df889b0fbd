"""The extensions and XCLIENT services of the private Postfix, checked without subtls.

The subtls tests that expect STARTTLS, XCLIENT and XFORWARD to disappear
from the EHLO reply, or XCLIENT to change what Postfix records, can only
fail if Postfix offers and honours them in the first place.
"""

import smtplib

import private_postfix
from smtp_clients import client_context, first_received, unique_token

CLIENT = ("127.0.0.2", 40002)
LISTENER = ("127.0.0.1", 587)


def ehlo_keywords(client: smtplib.SMTP) -> set:
    code, _ = client.ehlo("client.test")
    assert code == 250, f"EHLO failed with {code}"
    return {keyword.upper() for keyword in client.esmtp_features}


def extensions_client(postfix) -> private_postfix.ProxiedSMTP:
    header = private_postfix.proxy_v2_header(CLIENT, LISTENER)
    return private_postfix.ProxiedSMTP(("127.0.0.1", postfix.extensions_port), header)


def test_extensions_service_lists_extensions(postfix):
    with extensions_client(postfix) as client:
        keywords = ehlo_keywords(client)
        size = client.esmtp_features.get("size")

    for keyword in ("STARTTLS", "XCLIENT", "XFORWARD", "AUTH", "PIPELINING", "8BITMIME",
                    "CHUNKING", "SIZE"):
        assert keyword in keywords, f"{keyword} missing from the EHLO reply: {sorted(keywords)}"
    assert size == str(private_postfix.MESSAGE_SIZE_LIMIT)


def test_extensions_service_starts_tls(postfix, certificate):
    with extensions_client(postfix) as client:
        client._host = "localhost"  # the name that starttls() verifies
        client.ehlo("client.test")
        code, _ = client.starttls(context=client_context(certificate.certificate))
        keywords = ehlo_keywords(client)

    assert code == 220
    assert "STARTTLS" not in keywords
    assert "AUTH" in keywords


def test_extensions_service_accepts_xclient(postfix):
    with extensions_client(postfix) as client:
        client.ehlo("client.test")
        code, reply = client.docmd("XCLIENT", "ADDR=192.0.2.7")

    assert code == 220, f"XCLIENT got {code} {reply!r}"


def test_xclient_service_records_xclient_address(postfix):
    token = unique_token("fixture-xclient")
    sender = f"sender@{postfix.domain}"
    offset = postfix.maillog_size()

    with smtplib.SMTP("127.0.0.1", postfix.xclient_port, timeout=10) as client:
        assert "XCLIENT" in ehlo_keywords(client)
        code, reply = client.docmd("XCLIENT", "ADDR=127.0.0.2")
        assert code == 220, f"XCLIENT got {code} {reply!r}"
        client.ehlo("client.test")
        client.login(postfix.user, postfix.password)
        client.sendmail(sender, [postfix.recipient],
                        private_postfix.build_test_message(sender, postfix.recipient, token))

    received = first_received(postfix.wait_for_message(token))
    assert "[127.0.0.2]" in received
    assert "from client.test" in received
    disconnect = postfix.wait_for_disconnect("127.0.0.2", offset)
    assert " xclient=0/1 " in disconnect, f"Postfix counts XCLIENT differently: {disconnect}"


def test_plain_service_rejects_xclient(postfix):
    with smtplib.SMTP("127.0.0.1", postfix.plain_port, timeout=10) as client:
        keywords = ehlo_keywords(client)
        code, _ = client.docmd("XCLIENT", "ADDR=127.0.0.2")

    assert "XCLIENT" not in keywords
    assert "STARTTLS" not in keywords
    assert code == 550
