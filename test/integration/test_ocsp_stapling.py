"""ocsp_response: a good response made by `openssl ocsp` is stapled, a stale one is not.

`openssl s_client -status` prints the stapled response, or "no response
sent".  A stale response is reported when subtls starts, naming the file.
Only TLS 1.2 clients get a response: wolfSSL 5.5.4 leaks memory in every
TLS 1.3 handshake that requests status from a context with stapling, so
subtls keeps TLS 1.3 clients away from stapling.
"""

import pytest

from smtp_clients import handshake_completed, s_client


@pytest.fixture(scope="module")
def stapled_pair(pki):
    return pki.issue("stapled.example.org")


def ocsp_lines(pair, response) -> str:
    return f"{pair.lines()}ocsp_response = {response}\n"


def test_good_response_stapled(start_subtls, pki, stapled_pair, tmp_path):
    response = pki.openssl_ocsp_response(stapled_pair, tmp_path / "good.der")
    subtls = start_subtls("unix", certificate_lines=ocsp_lines(stapled_pair, response))

    result = s_client(subtls.implicit_port, ("-tls1_2", "-status", "-CAfile", str(pki.ca_file)))

    assert handshake_completed(result), result.stdout + result.stderr
    assert "OCSP Response Status: successful (0x0)" in result.stdout
    assert "Cert Status: good" in result.stdout
    assert "Verify return code: 0 (ok)" in result.stdout


def test_tls13_client_gets_no_response(start_subtls, pki, stapled_pair, tmp_path):
    response = pki.openssl_ocsp_response(stapled_pair, tmp_path / "good.der")
    subtls = start_subtls("unix", certificate_lines=ocsp_lines(stapled_pair, response))

    result = s_client(subtls.implicit_port, ("-tls1_3", "-status", "-CAfile", str(pki.ca_file)))

    assert handshake_completed(result), result.stdout + result.stderr
    assert "New, TLSv1.3" in result.stdout
    assert "OCSP response: no response sent" in result.stdout


def test_stale_response_not_stapled(start_subtls, pki, stapled_pair, tmp_path):
    response = pki.stale_ocsp_response(stapled_pair, tmp_path / "stale.der")
    subtls = start_subtls("unix", certificate_lines=ocsp_lines(stapled_pair, response))

    result = s_client(subtls.implicit_port, ("-tls1_2", "-status", "-CAfile", str(pki.ca_file)))

    assert handshake_completed(result), result.stdout + result.stderr
    assert "OCSP response: no response sent" in result.stdout
    assert (f"{response}: warning: OCSP response for /CN=stapled.example.org not stapled: "
            f"it is stale") in subtls.log_text()


def test_response_of_other_certificate_not_stapled(start_subtls, pki, stapled_pair, tmp_path):
    other = pki.issue("other.example.org")
    response = pki.openssl_ocsp_response(other, tmp_path / "other.der")
    subtls = start_subtls("unix", certificate_lines=ocsp_lines(stapled_pair, response))

    result = s_client(subtls.implicit_port, ("-tls1_2", "-status", "-CAfile", str(pki.ca_file)))

    assert handshake_completed(result), result.stdout + result.stderr
    assert "OCSP response: no response sent" in result.stdout
    assert "answers for another certificate" in subtls.log_text()
