"""A PROXY v1 header written by hand decides the client address everywhere.

From 127.0.0.1, the trusted load balancer, a header names 203.0.113.9 (an
address no test machine has) on both listeners.  subtls's session lines
name 203.0.113.9 with the header's port and via=127.0.0.1, and Postfix's
Received header names 203.0.113.9.  The identity that subtls sends to
Postfix is built from the header, so only the header can have put the
address there.  With trace_header = yes, subtls's own Received line names
it too.
"""

import time

from proxy_headers import implicit_greeting_with_header, proxied_client, proxied_tls_session, \
    v1_header
from session_log import close_fields, parse_fields, session_lines
from smtp_clients import build_message, plain_credentials, send_with_data, unique_token

SPOOFED = "203.0.113.9"


def test_v1_header_address_reaches_postfix(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", accept_proxy="any", trusted_proxies="127.0.0.0/8",
                          trace_header="yes")
    for source_port, listener in ((4321, "implicit"), (4322, "starttls")):
        token = unique_token(f"v1-{listener}")
        port = subtls.implicit_port if listener == "implicit" else subtls.starttls_port
        header = v1_header(SPOOFED, source_port, "192.0.2.25", port)

        client = proxied_tls_session(subtls, listener, certificate.certificate, header)
        with client:
            via = client.local_address
            auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
            assert auth[0].startswith("235"), auth
            replies = send_with_data(client, [postfix.recipient],
                                     build_message(token, postfix.recipient))
            assert replies[-1][0].startswith("250"), replies
            client.command("QUIT")

        message = postfix.wait_for_message(token)
        received = [" ".join(value.split()) for value in message.get_all("Received", [])]
        naming = [line for line in received if f"[{SPOOFED}]" in line]
        assert len(naming) == 2, f"expected Postfix's and subtls's Received lines: {received}"
        assert not any("[127.0.0.1]" in line for line in received), (
            f"the load balancer's address reached the message: {received}")

        address = f"{SPOOFED}:{source_port}"
        fields = close_fields(subtls, address)
        assert fields.get("tls", "").startswith("TLSv1."), fields
        opened = [parse_fields(line) for line in session_lines(subtls.log_text(), address)
                  if " open " in line]
        assert len(opened) == 1, subtls.log_text()
        assert opened[0].get("via") == via, opened[0]
        assert opened[0].get("proxy") == "v1", opened[0]
        assert opened[0].get("local") == f"192.0.2.25:{port}", opened[0]


def test_v1_header_in_pieces(start_subtls, postfix):
    """A header that arrives in three writes is read whole, and the EHLO
    sent in the same write as its end gets its reply after the greeting."""
    subtls = start_subtls("unix", accept_proxy="v1", trusted_proxies="127.0.0.1")
    header = v1_header(SPOOFED, 5555, "192.0.2.25", 587)
    with proxied_client(subtls.starttls_port, header[:9]) as client:
        time.sleep(0.2)
        client.send(header[9:30])
        time.sleep(0.2)
        client.send(header[30:] + b"EHLO client.test\r\n")
        greeting = client.read_reply()
        assert greeting[0].startswith("220 "), greeting
        ehlo = client.read_reply()
        assert ehlo[0].startswith("250-"), ehlo
        assert any("STARTTLS" in line for line in ehlo), ehlo
        client.command("QUIT")
    fields = close_fields(subtls, f"{SPOOFED}:5555")
    assert fields.get("listener") == "submission", fields


def test_v1_header_address_in_xclient(start_subtls, postfix, certificate):
    """With identity = xclient the header's address goes to Postfix in XCLIENT."""
    subtls = start_subtls("xclient", identity="xclient", accept_proxy="v1",
                          trusted_proxies="127.0.0.1")
    token = unique_token("v1-xclient")
    offset = postfix.maillog_size()
    header = v1_header(SPOOFED, 6666, "192.0.2.25", 587)

    client = proxied_tls_session(subtls, "starttls", certificate.certificate, header)
    with client:
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        assert auth[0].startswith("235"), auth
        replies = send_with_data(client, [postfix.recipient],
                                 build_message(token, postfix.recipient))
        assert "queued as" in replies[-1][0], replies
        client.command("QUIT")

    received = " ".join(postfix.wait_for_message(token).get_all("Received", []))
    assert f"[{SPOOFED}]" in received, received
    disconnect = postfix.wait_for_disconnect(SPOOFED, offset)
    assert " xclient=" in disconnect, f"Postfix received no XCLIENT: {disconnect}"


def test_header_and_client_hello_in_one_write(start_subtls, postfix, certificate):
    """On an implicit TLS listener the ClientHello that shares a write with
    the header reaches the handshake whole."""
    subtls = start_subtls("unix", accept_proxy="v1", trusted_proxies="127.0.0.1")
    header = v1_header(SPOOFED, 8888, "192.0.2.25", 465)
    greeting = implicit_greeting_with_header(subtls.implicit_port, header,
                                             certificate.certificate)
    assert greeting.startswith("220 "), greeting
    fields = close_fields(subtls, f"{SPOOFED}:8888")
    assert fields.get("tls", "").startswith("TLSv1."), fields
