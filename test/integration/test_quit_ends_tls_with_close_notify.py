"""After QUIT the client gets a TLS close_notify before the connection closes.

Without close_notify a client cannot tell a complete reply from a truncated
one (RFC 8446 section 6.1).  The client reads with suppress_ragged_eofs off,
so a bare TCP close raises ssl.SSLEOFError.
"""

import ssl

import pytest

from smtp_clients import LineClient, client_context


def tls_client(subtls, certificate, listener: str) -> LineClient:
    context = client_context(certificate.certificate)
    if listener == "implicit":
        client = LineClient(subtls.implicit_port)
    else:
        client = LineClient(subtls.starttls_port)
        client.read_reply()
        client.command("EHLO client.test")
        client.command("STARTTLS")
    client.sock = context.wrap_socket(client.sock, server_hostname="localhost",
                                      suppress_ragged_eofs=False)
    return client


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_quit_ends_tls_with_close_notify(start_subtls, certificate, listener):
    subtls = start_subtls("unix")

    with tls_client(subtls, certificate, listener) as client:
        if listener == "implicit":
            client.read_reply()
        client.command("EHLO client.test")
        reply = client.command("QUIT")
        try:
            remaining = read_to_end(client)
        except ssl.SSLEOFError:
            pytest.fail(f"the connection closed without close_notify; log:\n{subtls.log_text()}")

    assert reply[-1].startswith("221 ")
    assert remaining == b""


def read_to_end(client: LineClient) -> bytes:
    """Read until close_notify or a clean close; ragged EOFs raise ssl.SSLEOFError."""
    data, client.buffer = client.buffer, b""
    client.sock.settimeout(5.0)
    while True:
        chunk = client.sock.recv(4096)
        if not chunk:
            return data
        data += chunk
