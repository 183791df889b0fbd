"""An RSA and an ECDSA certificate served together: each client gets the one it can verify.

The default certificate of the fixture is ECDSA; the tests add an RSA one
after it.  openssl s_client prints the subject of the certificate it
received and the server's key size, which is what the tests check.
"""

import re

import pytest

from smtp_clients import handshake_completed, s_client


@pytest.fixture
def dual_subtls(start_subtls, pki):
    rsa = pki.issue("rsa.example.org", "rsa")
    return start_subtls("unix", tls_lines=rsa.lines())


def received_subject(result) -> str:
    match = re.search(r"^subject=CN = (\S+)", result.stdout, re.MULTILINE)
    return match.group(1) if match else ""


CLIENTS = {
    "tls13_rsa_signatures_only": (("-tls1_3", "-sigalgs", "RSA-PSS+SHA256:RSA+SHA256"),
                                  "rsa.example.org"),
    "tls12_ecdhe_rsa_only": (("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"),
                             "rsa.example.org"),
    "tls13_ecdsa_signatures_only": (("-tls1_3", "-sigalgs", "ECDSA+SHA256"), "localhost"),
    "tls12_ecdhe_ecdsa_only": (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"),
                               "localhost"),
    "default_client_prefers_ecdsa": ((), "localhost"),
}


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_client_gets_certificate_it_supports(dual_subtls, client):
    arguments, expected_subject = CLIENTS[client]

    result = s_client(dual_subtls.implicit_port, arguments)

    assert handshake_completed(result), result.stdout + result.stderr
    assert received_subject(result) == expected_subject


def test_starttls_rsa_client_gets_rsa(dual_subtls):
    result = s_client(dual_subtls.starttls_port,
                      ("-starttls", "smtp", "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"))

    assert handshake_completed(result), result.stdout + result.stderr
    assert received_subject(result) == "rsa.example.org"
    assert "Server public key is 2048 bit" in result.stdout


def test_capped_listener_judges_tls_1_2_suites(start_subtls, pki):
    """With max_version = TLS1.2, a client that also offers TLS 1.3 gets TLS 1.2.

    It must then be judged by its TLS 1.2 suites: offering only ECDHE-RSA,
    it needs the RSA certificate although its TLS 1.3 offer would take ECDSA.
    """
    rsa = pki.issue("rsa.example.org", "rsa")
    subtls = start_subtls("unix", tls_lines=rsa.lines() + "max_version = TLS1.2\n")

    result = s_client(subtls.implicit_port, ("-cipher", "ECDHE-RSA-AES128-GCM-SHA256"))

    assert handshake_completed(result), result.stdout + result.stderr
    assert received_subject(result) == "rsa.example.org"
