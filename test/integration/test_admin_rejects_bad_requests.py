"""The admin listener serves only GET and HEAD on its three paths, and a
bad request gets its error status without stopping subtls.

A POST gets 405 with "Allow: GET, HEAD", an unknown path 404, a request
head over 4 KiB 431, a head that is not complete within 5 seconds 408,
and a request line that is not HTTP/1.x 400.  The 400 comes as soon as the
line or a byte that no request line contains arrives.  A connection past the 16 open ones
is closed with a warning.  After each one, /healthz still answers 200, and
an SMTP session still works.
"""

import random
import socket

from admin_http import admin_port, curl, raw_request, status_of
from smtp_clients import LineClient


def test_post_gets_405(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port

    response = raw_request(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
                                 b"Content-Length: 0\r\n\r\n")

    assert status_of(response) == 405, response
    assert b"\r\nAllow: GET, HEAD\r\n" in response, response
    assert curl(port, "/healthz") == (200, "ok\n")


def test_unknown_path_gets_404(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port

    status, body = curl(port, "/metrics/extra")

    assert status == 404, body
    assert curl(port, "/")[0] == 404
    assert curl(port, "/healthz") == (200, "ok\n")


def test_huge_head_gets_431(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port
    filler = b"X-Filler: " + b"a" * 5000 + b"\r\n"

    response = raw_request(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + filler + b"\r\n")

    assert status_of(response) == 431, response[:200]
    assert curl(port, "/healthz") == (200, "ok\n")


def test_slow_head_gets_408(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port

    # The head never ends, so subtls responds when its 5 second limit is up.
    response = raw_request(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n", timeout=15.0)

    assert status_of(response) == 408, response
    assert curl(port, "/healthz") == (200, "ok\n")


def test_garbage_request_gets_400(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port

    response = raw_request(port, b"EHLO client.test\r\n\r\n")

    assert status_of(response) == 400, response
    assert curl(port, "/healthz") == (200, "ok\n")


def test_bad_requests_leave_smtp_serving(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port
    for request in (b"POST / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x00\x05hello\r\n\r\n",
                    b"GET /" + b"a" * 300 + b" HTTP/1.1\r\n\r\n"):
        raw_request(port, request)

    with LineClient(subtls.starttls_port) as client:
        greeting = client.read_reply()

    assert greeting[0].startswith("220 "), greeting
    assert curl(port, "/healthz") == (200, "ok\n")


def test_head_has_no_body(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())

    response = raw_request(subtls.config.admin_port, b"HEAD /healthz HTTP/1.0\r\n\r\n")

    head, _, body = response.partition(b"\r\n\r\n")
    assert status_of(response) == 200, response
    assert b"\r\nContent-Length: 3\r\n" in head + b"\r\n", head
    assert body == b""


def test_http09_request_gets_400(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port

    # HTTP/0.9 has no version and no header fields, so the request line
    # alone is the whole request.  408 would mean subtls waited for more.
    response = raw_request(port, b"GET /metrics\r\n")

    assert status_of(response) == 400, response
    assert curl(port, "/healthz") == (200, "ok\n")


def test_binary_bytes_get_400(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port
    garbage = random.Random(7).randbytes(200).replace(b"\n", b"x")

    response = raw_request(port, garbage)

    assert status_of(response) == 400, response
    assert curl(port, "/healthz") == (200, "ok\n")


def test_connection_over_limit_logged(start_subtls):
    subtls = start_subtls("unix", admin_port=admin_port())
    port = subtls.config.admin_port
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(16)]
    try:
        # The 16 idle connections are accepted before the 17th arrives.
        for sock in idle:
            sock.sendall(b"GET")
        # It sends nothing: subtls closing a socket with unread bytes
        # would send a reset in place of the close.
        response = raw_request(port, b"")
        log = subtls.log_text()
    finally:
        for sock in idle:
            sock.close()

    assert response == b""
    assert "warning: client=127.0.0.1:" in log, log
    assert "closed: 16 admin connections are open (the maximum) suppressed=0" in log, log
    assert curl(port, "/healthz") == (200, "ok\n")
