"""After TLS, subtls removes keywords from the backend's EHLO reply.

The extensions service of the private Postfix lists STARTTLS, XCLIENT and
XFORWARD (test_private_postfix_offers_extensions.py checks that).  A client
behind subtls must see none of them: TLS is already on (RFC 3207), and the
other two would let a client set its own identity.  discard_ehlo_keywords
removes more.  Every other line must pass unchanged and in order, and the
reply must stay well-formed: "250-" on each line but the last, "250 " on it.
"""

import pytest

import private_postfix
from smtp_clients import tls_session

ALWAYS_REMOVED = {"STARTTLS", "XCLIENT", "XFORWARD"}


def keyword(line: str) -> str:
    return line[4:].split()[0].upper()


def backend_ehlo_lines(postfix) -> list:
    """Return the lines after the first of the extensions service's own EHLO reply."""
    header = private_postfix.proxy_v2_header(("127.0.0.2", 40003), ("127.0.0.1", 587))
    with private_postfix.ProxiedSMTP(("127.0.0.1", postfix.extensions_port), header) as client:
        code, text = client.ehlo("client.test")
    assert code == 250, f"the extensions service replied {code} to EHLO"
    return text.decode().splitlines()[1:]


def assert_well_formed(reply: list) -> None:
    for line in reply[:-1]:
        assert line.startswith("250-"), f"expected 250- on every line but the last: {reply}"
    assert reply[-1].startswith("250 "), f"expected 250 and a space on the last line: {reply}"
    for line in reply:
        assert len(line) > 4, f"empty line in the EHLO reply: {reply}"


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_ehlo_hides_starttls_xclient_xforward(start_subtls, postfix, certificate, listener):
    subtls = start_subtls("extensions")
    backend_lines = backend_ehlo_lines(postfix)

    client, reply = tls_session(subtls, listener, certificate.certificate)
    with client:
        client.command("QUIT")

    keywords = [keyword(line) for line in reply[1:]]
    for name in sorted(ALWAYS_REMOVED):
        assert name not in keywords, f"{name} should be removed from the EHLO reply: {reply}"
    assert reply[0] == f"250-{postfix.hostname}"
    expected = [line for line in backend_lines if line.split()[0].upper() not in ALWAYS_REMOVED]
    assert [line[4:] for line in reply[1:]] == expected, (
        f"the other lines should pass unchanged; backend sent {backend_lines}")
    assert_well_formed(reply)


# CHUNKING is the backend's last line, so removing it makes subtls end the
# reply on the line before.
@pytest.mark.parametrize("setting, removed", [
    ("PIPELINING, 8BITMIME", {"PIPELINING", "8BITMIME"}),
    ("SIZE", {"SIZE"}),
    ("CHUNKING", {"CHUNKING"}),
])
def test_discard_ehlo_keywords_removes_listed(start_subtls, postfix, certificate, setting,
                                              removed):
    subtls = start_subtls("extensions", discard_ehlo_keywords=setting)
    backend_lines = backend_ehlo_lines(postfix)
    assert backend_lines[-1] == "CHUNKING", f"Postfix's EHLO reply changed: {backend_lines}"

    client, reply = tls_session(subtls, "starttls", certificate.certificate)
    with client:
        assert client.command("NOOP")[0].startswith("250")
        client.command("QUIT")

    keywords = [keyword(line) for line in reply[1:]]
    for name in sorted(removed | ALWAYS_REMOVED):
        assert name not in keywords, f"{name} should be removed with {setting!r}: {reply}"
    expected = [line for line in backend_lines
                if line.split()[0].upper() not in removed | ALWAYS_REMOVED]
    assert [line[4:] for line in reply[1:]] == expected, (
        f"only {sorted(removed | ALWAYS_REMOVED)} should be removed; backend sent {backend_lines}")
    assert_well_formed(reply)
