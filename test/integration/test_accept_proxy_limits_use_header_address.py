"""Per-client limits and the AUTH ban count the address from the PROXY header.

Every connection comes from 127.0.0.1, the trusted load balancer, and
carries a v1 header with the client's address.  max_sessions_per_client
refuses a third session of 203.0.113.7 while 203.0.113.8 is still served,
and three failed AUTHs ban 203.0.113.7 while 203.0.113.8 still delivers.
Counted by the connection's own address, every one of these sessions would
have been one client.
"""

from limit_checks import TOO_MANY_CONNECTIONS, limit_lines
from proxy_headers import proxied_client, proxied_tls_session, v1_header
from session_log import close_fields, wait_for_log_text
from smtp_clients import build_message, plain_credentials, send_with_data, unique_token

BANNED = "203.0.113.7"
OTHER = "203.0.113.8"
PROXY_SETTINGS = {"accept_proxy": "v1", "trusted_proxies": "127.0.0.1"}


def header_for(subtls, source: str, source_port: int) -> bytes:
    return v1_header(source, source_port, "127.0.0.1", subtls.starttls_port)


def test_sessions_per_client_count_header_address(start_subtls, postfix):
    subtls = start_subtls("unix", max_sessions_per_client="2",
                          connection_rate_per_client="0", **PROXY_SETTINGS)
    idle = []
    try:
        for source_port in (1001, 1002):
            client = proxied_client(subtls.starttls_port, header_for(subtls, BANNED, source_port))
            idle.append(client)
            assert client.read_reply()[0].startswith("220 "), "expected the greeting"

        with proxied_client(subtls.starttls_port, header_for(subtls, BANNED, 1003)) as client:
            assert client.read_reply() == [TOO_MANY_CONNECTIONS]
            assert client.is_closed(5.0), "subtls should close after the 421"
        with proxied_client(subtls.starttls_port, header_for(subtls, OTHER, 1004)) as client:
            greeting = client.read_reply()
            assert greeting[0].startswith("220 "), f"{OTHER} was refused: {greeting}"
            client.command("QUIT")

        fields = close_fields(subtls, f"{BANNED}:1003")
        assert fields.get("reason") == "too_many_sessions_per_client", fields
        warnings = limit_lines(subtls.log_text(), "max_sessions_per_client")
        assert warnings, f"no limit line in the log:\n{subtls.log_text()}"
        assert warnings[0].get("key") == BANNED, warnings[0]
    finally:
        for client in idle:
            client.close()


def fail_auth(subtls, certificate, source_port: int, user: str) -> None:
    header = header_for(subtls, BANNED, source_port)
    with proxied_tls_session(subtls, "starttls", certificate.certificate, header) as client:
        reply = client.command(f"AUTH PLAIN {plain_credentials(user, 'wrong-battery-9')}")
        assert reply[0].startswith("535"), f"expected 535 for a wrong password: {reply}"
        client.command("QUIT")


def test_auth_ban_counts_header_address(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", auth_failures="3", auth_failure_window="60s",
                          auth_ban_time="60s", **PROXY_SETTINGS)
    for source_port in (2001, 2002, 2003):
        fail_auth(subtls, certificate, source_port, postfix.user)
    wait_for_log_text(subtls, f"auth ban key={BANNED}")

    with proxied_client(subtls.starttls_port, header_for(subtls, BANNED, 2004)) as client:
        greeting = client.read_reply()
        assert greeting[0].startswith("421 4.7.0 "), f"expected 421 as the greeting: {greeting}"
        assert client.is_closed(5.0), "subtls should close a banned session after the 421"
    assert close_fields(subtls, f"{BANNED}:2004").get("reason") == "auth_banned"

    token = unique_token("ban-spares-header-address")
    header = header_for(subtls, OTHER, 2005)
    with proxied_tls_session(subtls, "starttls", certificate.certificate, header) as client:
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        assert auth[0].startswith("235"), auth
        replies = send_with_data(client, [postfix.recipient],
                                 build_message(token, postfix.recipient))
        assert replies[-1][0].startswith("250"), replies
        client.command("QUIT")
    received = " ".join(postfix.wait_for_message(token).get_all("Received", []))
    assert f"[{OTHER}]" in received, received
