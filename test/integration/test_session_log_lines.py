"""Each session writes one line when it opens and one when it closes.

The format checks live in session_log.assert_session_logged().
"""

import smtplib

from session_log import assert_session_logged
from smtp_clients import CLIENT_ADDRESS, client_context
from subtls_process import IMPLICIT_LISTENER, STARTTLS_LISTENER


def local_address(client: smtplib.SMTP) -> str:
    host, port = client.sock.getsockname()[:2]
    return f"{host}:{port}"


def test_implicit_tls_session_logged(start_subtls, certificate):
    subtls = start_subtls("unix")

    with smtplib.SMTP_SSL("127.0.0.1", subtls.implicit_port, timeout=10,
                          source_address=(CLIENT_ADDRESS, 0),
                          context=client_context(certificate.certificate)) as client:
        client.ehlo("client.test")
        address = local_address(client)

    assert address.startswith(f"{CLIENT_ADDRESS}:")
    assert_session_logged(subtls, address, IMPLICIT_LISTENER, "TLSv1.3")


def test_starttls_session_logged(start_subtls, certificate):
    subtls = start_subtls("tcp")

    with smtplib.SMTP("127.0.0.1", subtls.starttls_port, timeout=10,
                      source_address=(CLIENT_ADDRESS, 0)) as client:
        address = local_address(client)
        client.starttls(context=client_context(certificate.certificate))
        client.ehlo("client.test")

    assert_session_logged(subtls, address, STARTTLS_LISTENER, "TLSv1.3")


def test_two_sessions_logged_apart(start_subtls, certificate):
    subtls = start_subtls("unix")
    addresses = []

    for _ in range(2):
        with smtplib.SMTP_SSL("127.0.0.1", subtls.implicit_port, timeout=10,
                              source_address=(CLIENT_ADDRESS, 0),
                              context=client_context(certificate.certificate)) as client:
            client.noop()
            addresses.append(local_address(client))

    assert addresses[0] != addresses[1]
    for address in addresses:
        assert_session_logged(subtls, address, IMPLICIT_LISTENER, "TLSv1.3")
