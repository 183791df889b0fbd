"""subtls -t checks each certificate when it loads.

These are errors: an expired certificate, the key of another certificate,
and a chain whose certificates do not sign each other.  A certificate that
expires within expiry_warning gets a warning.  Each message names the
config line, the file and the subject.
"""

import pytest

from subtls_process import SubtlsConfig, run_subtls


def first_certificate_line(path) -> int:
    """Return the 1-based line number of the line after [tls] in the config at path."""
    return path.read_text().splitlines().index("[tls]") + 2


@pytest.fixture
def check_config(certificate, postfix, tmp_path):
    """Return check(certificate_lines, tls_lines) that runs subtls -t on such a config.

    The first certificate line follows the [tls] line: first_certificate_line()
    returns its number.  check() returns the config path and the finished run.
    """
    def check(certificate_lines: str, tls_lines: str = ""):
        config = SubtlsConfig(certificate=certificate.certificate, key=certificate.key,
                              backend_address=f"unix:{postfix.unix_socket}",
                              implicit_port=1465, starttls_port=1587,
                              certificate_lines=certificate_lines, tls_lines=tls_lines)
        path = tmp_path / "check.conf"
        path.write_text(config.render())
        return path, run_subtls(["-t", "-c", str(path)])
    return check


def test_expired_certificate_is_error(check_config, pki):
    expired = pki.issue("expired.example.org", expired=True)

    path, result = check_config(expired.lines())

    assert result.returncode == 1
    assert (f"{path}:{first_certificate_line(path)}: certificate {expired.certificate} (subject /CN=expired.example.org) "
            f"has expired") in result.stderr


def test_expiring_certificate_is_warning(check_config, pki):
    soon = pki.issue("soon.example.org", days=5)

    path, result = check_config(soon.lines())

    assert result.returncode == 0, result.stderr
    assert (f"{path}:{first_certificate_line(path)}: warning: certificate {soon.certificate} "
            f"(subject /CN=soon.example.org) expires in ") in result.stderr
    assert "within expiry_warning (14 days)" in result.stderr


def test_expiry_warning_days_setting(check_config, pki):
    soon = pki.issue("later.example.org", days=20)

    _, quiet = check_config(soon.lines())
    _, warned = check_config(soon.lines(), tls_lines="expiry_warning = 30d\n")

    assert "warning" not in quiet.stderr
    assert "within expiry_warning (30 days)" in warned.stderr


def test_key_of_other_certificate_is_error(check_config, pki):
    first = pki.issue("first.example.org")
    second = pki.issue("second.example.org")
    lines = f"certificate = {first.certificate}\nkey = {second.key}\n"

    path, result = check_config(lines)

    assert result.returncode == 1
    assert (f"{path}:{first_certificate_line(path) + 1}: the private key {second.key} does not match the certificate "
            f"{first.certificate}") in result.stderr


def test_chain_out_of_order_is_error(check_config, pki, tmp_path):
    leaf = pki.issue("chain.example.org")
    reversed_chain = tmp_path / "reversed.pem"
    reversed_chain.write_bytes(pki.ca_file.read_bytes() + leaf.certificate.read_bytes())
    lines = f"certificate = {reversed_chain}\nkey = {leaf.key}\n"

    _, result = check_config(lines)

    assert result.returncode == 1
    assert "is not signed by the one after it" in result.stderr


def test_check_prints_certificate_details(check_config, pki):
    rsa = pki.issue("printed.example.org", "rsa")

    _, result = check_config(rsa.lines())

    assert result.returncode == 0, result.stderr
    assert f"; certificate {rsa.certificate}\n" in result.stdout
    assert ";   key: RSA 2048 bits\n" in result.stdout
    assert ";   subject: /CN=printed.example.org\n" in result.stdout
    assert ";   SANs: printed.example.org\n" in result.stdout
    assert ";   issuer: /CN=subtls test CA\n" in result.stdout
    assert ";   OCSP stapling: off\n" in result.stdout
