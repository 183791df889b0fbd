"""Behind HAProxy with send-proxy-v2, subtls and Postfix see the client's address.

HAProxy in TCP mode forwards one port to the implicit TLS listener and one
to the STARTTLS listener, both with accept_proxy = v2 and trusted_proxies =
127.0.0.1.  A client from 127.0.0.2 submits through each.  Postfix's
Received header and subtls's session lines name 127.0.0.2 and the client's
own port, and the open line names HAProxy's connection as via=.  HAProxy's
health checks, which send the LOCAL command, are accepted and logged with
HAProxy's own address.
"""

import smtplib

from haproxy_process import HaproxyProcess
from session_log import close_fields, is_close_line, parse_fields, session_lines, \
    wait_for_log_text
from smtp_clients import CLIENT_ADDRESS, SENDER, build_message, client_context, \
    first_received, unique_token

PROXY_SETTINGS = {"accept_proxy": "v2", "trusted_proxies": "127.0.0.1"}


def submit_through(haproxy, name: str, postfix, certificate) -> tuple:
    """Submit one message from CLIENT_ADDRESS through HAProxy's frontend name.

    Returns the client's address ("IP:PORT") and the Received header that
    Postfix wrote.
    """
    token = unique_token(f"haproxy-{name}")
    context = client_context(certificate.certificate)
    port = haproxy.ports[name]
    if name == "implicit":
        client = smtplib.SMTP_SSL("127.0.0.1", port, local_hostname="client.test", timeout=10,
                                  source_address=(CLIENT_ADDRESS, 0), context=context)
    else:
        client = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=10,
                              source_address=(CLIENT_ADDRESS, 0))
        client.starttls(context=context)
    with client:
        host, client_port = client.sock.getsockname()[:2]
        client.login(postfix.user, postfix.password)
        refused = client.sendmail(SENDER, [postfix.recipient],
                                  build_message(token, postfix.recipient))
    assert refused == {}, f"recipients refused: {refused}"
    return f"{host}:{client_port}", first_received(postfix.wait_for_message(token))


def test_haproxy_client_address_reaches_postfix(start_subtls, postfix, certificate, tmp_path):
    subtls = start_subtls("unix", **PROXY_SETTINGS)
    haproxy = HaproxyProcess(tmp_path, {"implicit": subtls.implicit_port,
                                        "starttls": subtls.starttls_port}).start()
    try:
        for name, listener in (("implicit", "smtps"), ("starttls", "submission")):
            address, received = submit_through(haproxy, name, postfix, certificate)

            assert f"[{CLIENT_ADDRESS}]" in received, received
            assert "[127.0.0.1]" not in received, f"Postfix saw HAProxy's address: {received}"

            fields = close_fields(subtls, address)
            assert fields.get("listener") == listener, fields
            assert fields.get("tls", "").startswith("TLSv1."), fields
            assert fields.get("user") == postfix.user, fields
            lines = session_lines(subtls.log_text(), address)
            open_lines = [line for line in lines if " open " in line]
            assert len(open_lines) == 1, "\n".join(lines)
            opened = parse_fields(open_lines[0])
            assert opened.get("via", "").startswith("127.0.0.1:"), open_lines[0]
            assert opened.get("proxy") == "v2", open_lines[0]
            assert opened.get("local") == f"127.0.0.1:{haproxy.ports[name]}", (
                "the local address should be the one the client connected to: "
                + open_lines[0])
    finally:
        haproxy.stop()


def test_haproxy_health_check_local(start_subtls, postfix, certificate, tmp_path):
    subtls = start_subtls("unix", **PROXY_SETTINGS)
    haproxy = HaproxyProcess(tmp_path, {"starttls": subtls.starttls_port},
                             health_checks=True).start()
    try:
        line = wait_for_log_text(subtls, "proxy_addresses=none")
        fields = parse_fields(line)
        assert fields.get("client", "").startswith("127.0.0.1:"), line
        assert fields.get("via") == fields.get("client"), line

        closes = [parse_fields(text) for text in session_lines(subtls.log_text(),
                                                                fields["client"])
                  if is_close_line(text)]
        assert all(close.get("reason") != "proxy_header_invalid" for close in closes), closes
        assert "PROXY header rejected" not in subtls.log_text(), subtls.log_text()
    finally:
        haproxy.stop()
