"""When the backend cannot be reached, the client gets 421 on both listeners.

The backend is a unix socket path that does not exist or a loopback port on
which nothing listens.  On the implicit TLS listener the 421 takes the place
of the greeting.  On the STARTTLS listener it comes after the handshake,
because only then does subtls connect to the backend.
"""

import pytest

from private_postfix import free_loopback_port
from smtp_clients import LineClient, client_context, implicit_tls_client


def unreachable_backend(kind: str, tmp_path) -> str:
    if kind == "unix":
        return f"unix:{tmp_path / 'no-such-backend.sock'}"
    return f"127.0.0.1:{free_loopback_port()}"


@pytest.mark.parametrize("kind", ["unix", "tcp"])
def test_implicit_tls_backend_down_gives_421(start_subtls, certificate, tmp_path, kind):
    subtls = start_subtls(unreachable_backend(kind, tmp_path))

    with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
        reply = client.read_reply()
        closed = client.is_closed(5.0)

    assert reply[-1].startswith("421 "), reply
    assert closed


@pytest.mark.parametrize("kind", ["unix", "tcp"])
def test_starttls_backend_down_gives_421(start_subtls, certificate, tmp_path, kind):
    subtls = start_subtls(unreachable_backend(kind, tmp_path))

    with LineClient(subtls.starttls_port) as client:
        assert client.read_reply()[0].startswith("220 ")
        client.command("EHLO client.test")
        assert client.command("STARTTLS")[0].startswith("220 ")
        client.starttls(client_context(certificate.certificate))
        client.send(b"EHLO client.test\r\n")
        reply = client.read_reply()
        closed = client.is_closed(5.0)

    assert reply[-1].startswith("421 "), reply
    assert closed
