"""A listener with accept_proxy closes connections without a valid PROXY header.

Each case below is closed without a byte from subtls (the peer is a load
balancer, so no SMTP reply is sent), and its close line gives the reason:
  * a valid header from 127.0.0.2, outside trusted_proxies: proxy_untrusted
  * a TLS ClientHello or an EHLO with no header: proxy_header_invalid
  * a v1 header on a listener with accept_proxy = v2: proxy_header_invalid
  * no byte within handshake_timeout: proxy_header_timeout
A rejected connection also writes a "PROXY header rejected" warning, at most
one a second.
"""

import signal
import time

from proxy_headers import proxied_client, v1_header
from session_log import close_fields, parse_fields, wait_for_log_text
from smtp_clients import client_hello

TRUSTED = {"trusted_proxies": "127.0.0.1"}


def assert_closed_silently(client) -> None:
    received = client.read_until_closed(5.0)
    assert received == b"", f"subtls sent {received!r} before closing"


def warning_lines(subtls) -> list:
    return [parse_fields(line) for line in subtls.log_text().splitlines()
            if "PROXY header rejected" in line]


def test_untrusted_source_closed(start_subtls, postfix):
    subtls = start_subtls("unix", accept_proxy="any", **TRUSTED)
    offset = postfix.maillog_size()
    for port in (subtls.implicit_port, subtls.starttls_port):
        header = v1_header("203.0.113.9", 4321, "127.0.0.1", port)
        with proxied_client(port, header, via="127.0.0.2") as client:
            address = client.local_address
            assert_closed_silently(client)
        fields = close_fields(subtls, address)
        assert fields.get("reason") == "proxy_untrusted", fields
        assert "trusted_proxies" in fields.get("detail", ""), fields

    warnings = warning_lines(subtls)
    assert warnings, f"no warning line:\n{subtls.log_text()}"
    assert warnings[0].get("client", "").startswith("127.0.0.2:"), warnings[0]
    assert "203.0.113.9" not in subtls.log_text(), "the untrusted header was read"
    assert "203.0.113.9" not in postfix.maillog_text(offset)


def test_missing_header_closed(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", accept_proxy="any", **TRUSTED)
    cases = ((subtls.implicit_port, client_hello(certificate.certificate),
              "TLS handshake record"),
             (subtls.starttls_port, b"EHLO client.test\r\n", "plaintext"))
    for port, first_bytes, detail in cases:
        with proxied_client(port, first_bytes) as client:
            address = client.local_address
            assert_closed_silently(client)
        fields = close_fields(subtls, address)
        assert fields.get("reason") == "proxy_header_invalid", fields
        assert detail in fields.get("detail", ""), fields
        assert fields.get("tls") == "none", fields
    assert warning_lines(subtls), f"no warning line:\n{subtls.log_text()}"


def test_wrong_version_closed(start_subtls, postfix):
    subtls = start_subtls("unix", accept_proxy="v2", **TRUSTED)
    header = v1_header("203.0.113.9", 4321, "127.0.0.1", subtls.starttls_port)
    with proxied_client(subtls.starttls_port, header) as client:
        address = client.local_address
        assert_closed_silently(client)
    fields = close_fields(subtls, address)
    assert fields.get("reason") == "proxy_header_invalid", fields
    assert fields.get("detail") == "a PROXY v1 header where only v2 is accepted", fields


def test_header_timeout_closed(start_subtls, postfix):
    subtls = start_subtls("unix", accept_proxy="v1", handshake_timeout="1s", **TRUSTED)
    with proxied_client(subtls.starttls_port, b"PROXY TCP4 ") as client:
        address = client.local_address
        assert_closed_silently(client)
    fields = close_fields(subtls, address)
    assert fields.get("reason") == "proxy_header_timeout", fields
    assert "handshake_timeout" in fields.get("detail", ""), fields


def test_header_completed_while_draining(start_subtls, postfix):
    """A STARTTLS session whose header completes after SIGTERM gets the 421
    of a stopping server, as the sessions that had not sent STARTTLS."""
    subtls = start_subtls("unix", accept_proxy="v1", drain_timeout="5s", **TRUSTED)
    header = v1_header("203.0.113.9", 7777, "127.0.0.1", subtls.starttls_port)
    with proxied_client(subtls.starttls_port, header[:10]) as client:
        time.sleep(0.3)
        subtls.process.send_signal(signal.SIGTERM)
        wait_for_log_text(subtls, "SIGTERM")
        client.send(header[10:])
        reply = client.read_reply()
        assert reply[0].startswith("421 4.3.2 "), f"expected the shutdown 421: {reply}"
        assert client.is_closed(5.0), "subtls should close after the 421"
    fields = close_fields(subtls, "203.0.113.9:7777")
    assert fields.get("reason") == "shutdown", fields
