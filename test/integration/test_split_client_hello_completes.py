"""A ClientHello that arrives in several TCP segments still gets its certificate.

subtls holds the client's first bytes back until the ClientHello is
complete, to choose the certificate before wolfSSL reads it.  These clients
send the ClientHello in two writes, split inside the record header and
inside the message, with a pause between them.
"""

import socket
import ssl
import time

import pytest
from cryptography.hazmat.primitives.serialization import Encoding


def handshake_with_split_hello(port: int, server_name: str, split: int) -> ssl.SSLObject:
    """Complete a TLS handshake, sending the ClientHello in two writes; return the session."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    session = context.wrap_bio(incoming, outgoing, server_hostname=server_name)

    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            session.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = outgoing.read()
        sock.sendall(hello[:split])
        time.sleep(0.2)
        sock.sendall(hello[split:])

        for _ in range(20):
            try:
                session.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                data = sock.recv(65536)
                assert data, "subtls closed the connection during the handshake"
                incoming.write(data)
        sock.sendall(outgoing.read())
    return session


@pytest.mark.parametrize("split", [3, 60])
def test_split_hello_gets_sni_certificate(start_subtls, pki, split):
    mail = pki.issue("split.example.org")
    subtls = start_subtls("unix", sections=f"[sni split.example.org]\n{mail.lines()}")

    session = handshake_with_split_hello(subtls.implicit_port, "split.example.org", split)

    assert session.version() == "TLSv1.3"
    received = session.getpeercert(binary_form=True)
    assert received == pki.issued["split.example.org"].public_bytes(Encoding.DER)
