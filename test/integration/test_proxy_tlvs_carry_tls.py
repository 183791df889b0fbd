"""proxy_tlvs = yes adds the TLS facts to the PROXY v2 header as TLVs.

The TLVs follow the addresses in the header (PROXY protocol v2, section
2.2): PP2_TYPE_AUTHORITY (0x02) carries the SNI, and PP2_TYPE_SSL (0x20)
carries a client flags byte (PP2_CLIENT_SSL = 0x01), a 4-byte verify field
that is 0 only for a verified client certificate (section 2.2.6), and sub-TLVs, among them PP2_SUBTYPE_SSL_VERSION (0x21) and
PP2_SUBTYPE_SSL_CIPHER (0x23).  A fake backend reads the header and this
test parses it.  Postfix ignores the TLVs, so delivery through it still works.
"""

import socket

import pytest

from fake_backend import FakeBackend, read_proxy_v2_header
from session_log import close_fields
from smtp_clients import CLIENT_ADDRESS, first_received, swaks, tls_session, unique_token

PP2_TYPE_AUTHORITY = 0x02
PP2_TYPE_SSL = 0x20
PP2_SUBTYPE_SSL_VERSION = 0x21
PP2_SUBTYPE_SSL_CIPHER = 0x23
PP2_CLIENT_SSL = 0x01
PP2_CLIENT_CERT_CONN = 0x02
# Signature (12), version and command (1), family (1), length (2).
FIXED_LENGTH = 16
# Source and destination address and port of TCP over IPv4.
IPV4_ADDRESSES_LENGTH = 12


def parse_tlvs(data: bytes) -> dict:
    """Return {type: value} of a sequence of TLVs, in which each type may appear once."""
    tlvs = {}
    while data:
        assert len(data) >= 3, f"truncated TLV: {data!r}"
        kind, length = data[0], int.from_bytes(data[1:3], "big")
        assert len(data) >= 3 + length, f"TLV 0x{kind:02x} is longer than the header: {data!r}"
        assert kind not in tlvs, f"TLV 0x{kind:02x} appears twice"
        tlvs[kind] = data[3:3 + length]
        data = data[3 + length:]
    return tlvs


def speak_smtp(headers: list):
    """Return a fake backend handler that stores the PROXY header and replies to each command."""

    def handler(connection: socket.socket) -> None:
        headers.append(read_proxy_v2_header(connection))
        connection.sendall(b"220 fake ESMTP\r\n")
        buffer = b""
        while True:
            chunk = connection.recv(4096)
            if not chunk:
                return
            buffer += chunk
            while b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                verb = line.split(b" ", 1)[0].upper()
                if verb == b"EHLO":
                    connection.sendall(b"250-fake\r\n250 ENHANCEDSTATUSCODES\r\n")
                elif verb == b"QUIT":
                    connection.sendall(b"221 2.0.0 Bye\r\n")
                    return
                else:
                    connection.sendall(b"250 2.0.0 Ok\r\n")

    return handler


def proxy_header_of_session(start_subtls, certificate, tmp_path, listener: str, **settings):
    """Run one session through a fake backend and return (PROXY header, client address, subtls)."""
    headers = []
    with FakeBackend(tmp_path / "backend.sock", speak_smtp(headers)) as backend:
        subtls = start_subtls(backend.address, **settings)
        client, _ = tls_session(subtls, listener, certificate.certificate)
        address = client.local_address
        with client:
            assert client.command("QUIT")[0].startswith("221")
    assert len(headers) == 1, f"expected one backend connection, got {len(headers)}"
    return headers[0], address, subtls


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_proxy_tlvs_carry_tls(start_subtls, certificate, tmp_path, listener):
    header, address, subtls = proxy_header_of_session(
        start_subtls, certificate, tmp_path, listener, proxy_tlvs="yes")

    assert header[13] == 0x11, f"expected TCP over IPv4: family byte 0x{header[13]:02x}"
    source = socket.inet_ntoa(header[FIXED_LENGTH:FIXED_LENGTH + 4])
    assert source == CLIENT_ADDRESS
    tlvs = parse_tlvs(header[FIXED_LENGTH + IPV4_ADDRESSES_LENGTH:])
    assert tlvs.get(PP2_TYPE_AUTHORITY) == b"localhost", f"authority TLV: {tlvs}"

    assert PP2_TYPE_SSL in tlvs, f"no SSL TLV: {tlvs}"
    ssl_value = tlvs[PP2_TYPE_SSL]
    assert len(ssl_value) >= 5, f"SSL TLV shorter than its client and verify fields: {ssl_value!r}"
    assert ssl_value[0] & PP2_CLIENT_SSL, f"PP2_CLIENT_SSL not set: {ssl_value!r}"
    assert not ssl_value[0] & PP2_CLIENT_CERT_CONN, (
        f"PP2_CLIENT_CERT_CONN set, but the client sent no certificate: {ssl_value!r}")
    assert ssl_value[1:5] != bytes(4), (
        f"verify 0 claims a verified certificate, but the client sent none: {ssl_value!r}")
    sub_tlvs = parse_tlvs(ssl_value[5:])
    close = close_fields(subtls, address)
    assert sub_tlvs.get(PP2_SUBTYPE_SSL_VERSION) == close["tls"].encode(), (
        f"version sub-TLV should match the close line's tls={close['tls']}: {sub_tlvs}")
    assert sub_tlvs.get(PP2_SUBTYPE_SSL_CIPHER) == close["cipher"].encode(), (
        f"cipher sub-TLV should match the close line's cipher={close['cipher']}: {sub_tlvs}")


def test_proxy_header_without_tlvs_by_default(start_subtls, certificate, tmp_path):
    header, _, _ = proxy_header_of_session(start_subtls, certificate, tmp_path, "implicit")

    length = int.from_bytes(header[14:16], "big")
    assert length == IPV4_ADDRESSES_LENGTH, f"expected addresses only, got {header!r}"


@pytest.mark.parametrize("backend", ["tcp", "unix"])
def test_postfix_delivers_with_tlvs(start_subtls, postfix, backend):
    subtls = start_subtls(backend, proxy_tlvs="yes")
    token = unique_token(f"tlvs-{backend}")

    result = swaks(subtls.starttls_port, False, "PLAIN", postfix.user, postfix.password,
                   postfix.recipient, token)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))
