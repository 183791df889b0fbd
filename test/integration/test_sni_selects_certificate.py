"""[sni NAME] sections choose the certificate by the client's server name.

A name no section lists, and a client without SNI, get the default
certificate (CN=localhost), unless strict_sni = yes rejects them with the
unrecognized_name alert (RFC 6066 section 3).
"""

import re

import pytest

from smtp_clients import handshake_completed, s_client


def received_subject(result) -> str:
    match = re.search(r"^subject=CN = (\S+)", result.stdout, re.MULTILINE)
    return match.group(1) if match else ""


@pytest.fixture(scope="module")
def sni_sections(pki) -> str:
    mail = pki.issue("mail.example.org")
    wildcard = pki.issue("star.example.net", "rsa")
    return (f"[sni mail.example.org]\n{mail.lines()}"
            f"[sni *.example.net]\n{wildcard.lines()}")


NAMES = {
    "mail.example.org": "mail.example.org",
    "MAIL.Example.Org": "mail.example.org",
    "smtp.example.net": "star.example.net",
    "a.b.example.net": "localhost",       # the wildcard stands for one label
    "unknown.example.com": "localhost",
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_server_name_picks_certificate(start_subtls, sni_sections, name):
    subtls = start_subtls("unix", sections=sni_sections)

    result = s_client(subtls.implicit_port, ("-servername", name))

    assert handshake_completed(result), result.stdout + result.stderr
    assert received_subject(result) == NAMES[name]


def test_no_sni_gets_default(start_subtls, sni_sections):
    subtls = start_subtls("unix", sections=sni_sections)

    result = s_client(subtls.starttls_port, ("-starttls", "smtp", "-noservername"))

    assert handshake_completed(result), result.stdout + result.stderr
    assert received_subject(result) == "localhost"


@pytest.mark.parametrize("arguments", [("-servername", "unknown.example.com"),
                                       ("-noservername",)])
def test_strict_sni_rejects_unknown(start_subtls, sni_sections, arguments):
    subtls = start_subtls("unix", sections=sni_sections, tls_lines="strict_sni = yes\n")

    result = s_client(subtls.implicit_port, arguments)

    assert not handshake_completed(result), result.stdout
    assert "unrecognized name" in result.stderr


def test_strict_sni_accepts_known(start_subtls, sni_sections):
    subtls = start_subtls("unix", sections=sni_sections, tls_lines="strict_sni = yes\n")

    result = s_client(subtls.implicit_port, ("-servername", "mail.example.org"))

    assert handshake_completed(result), result.stdout + result.stderr
    assert received_subject(result) == "mail.example.org"
