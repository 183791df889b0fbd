"""Before STARTTLS subtls replies to EHLO itself, without AUTH.  After it, Postfix replies.

The private Postfix names itself postfix.test and subtls mail.example.com,
so the EHLO reply shows who sent it.
"""

import re

from smtp_clients import LineClient, client_context, s_client
from subtls_process import HOSTNAME


def test_pretls_ehlo_lacks_auth(start_subtls):
    subtls = start_subtls("unix")

    with LineClient(subtls.starttls_port) as client:
        greeting = client.read_reply()
        reply = client.command("EHLO client.test")
        client.command("QUIT")

    assert greeting == [f"220 {HOSTNAME} ESMTP"]
    assert reply[0].startswith("250")
    keywords = [line[4:].split()[0].upper() for line in reply if len(line) > 4]
    assert "STARTTLS" in keywords
    assert "AUTH" not in keywords


def test_tls_ehlo_shows_postfix_capabilities(start_subtls, postfix, certificate):
    subtls = start_subtls("unix")

    with LineClient(subtls.starttls_port) as client:
        client.read_reply()
        client.command("EHLO client.test")
        assert client.command("STARTTLS")[0].startswith("220")
        client.starttls(client_context(certificate.certificate))
        reply = client.command("EHLO client.test")
        client.command("QUIT")

    assert reply[0] == f"250-{postfix.hostname}"
    auth_lines = [line for line in reply if line[4:].upper().startswith("AUTH ")]
    assert auth_lines, reply
    assert "PLAIN" in auth_lines[0].split()
    assert "LOGIN" in auth_lines[0].split()
    assert not any("STARTTLS" in line for line in reply)


def test_openssl_starttls_reaches_postfix_ehlo(start_subtls, postfix, certificate):
    subtls = start_subtls("tcp")

    result = s_client(subtls.starttls_port,
                      ("-starttls", "smtp", "-CAfile", str(certificate.certificate),
                       "-verify_return_error", "-ign_eof"),
                      stdin=b"EHLO client.test\r\nQUIT\r\n")

    assert "Verify return code: 0 (ok)" in result.stdout, result.stdout + result.stderr
    assert f"250-{postfix.hostname}" in result.stdout
    assert re.search(r"^250-AUTH .*\bPLAIN\b", result.stdout, re.MULTILINE)
    assert "221 2.0.0 Bye" in result.stdout
