"""PROXY v1 headers written by hand, for the accept_proxy tests.

A test connects from 127.0.0.1 (the trusted load balancer) and sends a
header that names another client address, so that the address subtls and
Postfix report can only have come from the header.
"""

import ssl

from smtp_clients import LineClient, client_context


def v1_header(source: str, source_port: int, destination: str, destination_port: int) -> bytes:
    protocol = "TCP6" if ":" in source else "TCP4"
    return (f"PROXY {protocol} {source} {destination} {source_port} "
            f"{destination_port}\r\n").encode()


def proxied_client(port: int, header: bytes, via: str = "127.0.0.1") -> LineClient:
    """Connect from via to port and send header as the first bytes."""
    client = LineClient(port, via)
    client.send(header)
    return client


def proxied_tls_session(subtls, listener: str, certificate, header: bytes,
                        via: str = "127.0.0.1") -> LineClient:
    """Send header, then start TLS on listener ("implicit" or "starttls") and send EHLO."""
    context: ssl.SSLContext = client_context(certificate)
    port = subtls.implicit_port if listener == "implicit" else subtls.starttls_port
    client = proxied_client(port, header, via)
    try:
        if listener == "implicit":
            client.starttls(context)
            greeting = client.read_reply()
        else:
            greeting = client.read_reply()
            client.command("EHLO client.test")
            reply = client.command("STARTTLS")
            assert reply[0].startswith("220"), f"expected 220 to STARTTLS, received {reply}"
            client.starttls(context)
        assert greeting[0].startswith("220"), f"expected a 220 greeting, received {greeting}"
        ehlo = client.command("EHLO client.test")
        assert ehlo[-1].startswith("250 "), f"expected 250 to EHLO, received {ehlo}"
    except BaseException:
        client.close()
        raise
    return client


def implicit_greeting_with_header(port: int, header: bytes, certificate,
                                  via: str = "127.0.0.1") -> str:
    """Send header and the ClientHello in one write, finish the handshake and
    return the first line of the greeting that arrives over TLS."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(certificate).wrap_bio(incoming, outgoing, server_hostname="localhost")
    client = LineClient(port, via)
    try:
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        client.sock.sendall(header + outgoing.read())
        data = b""
        while b"\r\n" not in data:
            chunk = client.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"closed before the greeting; received {data!r}")
            incoming.write(chunk)
            try:
                tls.do_handshake()
                data += tls.read(4096)
            except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                pass
            pending = outgoing.read()
            if pending:
                client.sock.sendall(pending)
        return data.split(b"\r\n", 1)[0].decode()
    finally:
        client.close()
