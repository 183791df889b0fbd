"""max_version = TLS1.2 caps the protocol: a TLS 1.3-only client is refused.

The control case: a client that also offers TLS 1.2 gets TLS 1.2, where the
default policy would have given it TLS 1.3.
"""

import re

from smtp_clients import handshake_completed, s_client


def negotiated_version(result) -> str:
    match = re.search(r"^New, (TLSv1(?:\.\d)?), Cipher is", result.stdout, re.MULTILINE)
    return match.group(1) if match else ""


def test_tls_1_3_only_client_refused(start_subtls):
    subtls = start_subtls("unix", tls_settings="max_version = TLS1.2")

    result = s_client(subtls.implicit_port, ("-tls1_3",))

    assert not handshake_completed(result), result.stdout
    assert result.returncode != 0


def test_client_falls_back_to_tls_1_2(start_subtls):
    subtls = start_subtls("unix", tls_settings="max_version = TLS1.2")

    result = s_client(subtls.implicit_port, stdin=b"")

    assert negotiated_version(result) == "TLSv1.2", result.stdout


def test_default_policy_negotiates_tls_1_3(start_subtls):
    subtls = start_subtls("unix")

    result = s_client(subtls.implicit_port, stdin=b"")

    assert negotiated_version(result) == "TLSv1.3", result.stdout
