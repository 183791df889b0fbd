"""A dual-stack [::] listener sends an IPv4 client as IPv4 in the PROXY header.

A [::]:PORT listener whose port no IPv4 address of the config uses is
dual-stack, and it accepts an IPv4 client with the IPv4-mapped address
::ffff:127.0.0.2.  subtls must send that client as 127.0.0.2, so that
Postfix writes [127.0.0.2] into the Received header, not [::ffff:127.0.0.2].
An IPv6 client keeps its IPv6 address.

subtls and the clients run in a network namespace that the test creates, so
the wildcard listener opens no port on the host.  The backends are unix
sockets, which work across network namespaces because the file system is
shared.  The private Postfix runs with inet_protocols = ipv4 and rejects a
PROXY header with an IPv6 address ("haproxy read: Postfix IPv6 support is
disabled", Postfix 3.7.11), so the IPv6 client is checked on the header bytes
that a fake backend receives.
"""

import ctypes
import os
import queue
import smtplib
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from fake_backend import FakeBackend, read_proxy_v2_header
from private_postfix import proxy_v2_header
from session_log import session_lines
from smtp_clients import (CLIENT_ADDRESS, SENDER, TIMEOUT, LineClient, build_message,
                          client_context, first_received, unique_token)

CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)


@pytest.fixture
def network_namespace():
    """Create a network namespace with loopback up, and delete it by name afterwards."""
    name = f"subtls-test-{uuid.uuid4().hex[:10]}"
    result = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True,
                            timeout=10)
    if result.returncode != 0:
        pytest.fail(f"ip netns add {name} failed: {result.stderr.strip()}")
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
                       check=True, capture_output=True, timeout=10)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=10)


def socket_in_namespace(name: str, family: int) -> socket.socket:
    """Create a TCP socket in network namespace name.

    setns() moves only the calling thread, so a short-lived thread enters the
    namespace and creates the socket.  A socket stays in the namespace it was
    created in, whichever thread uses it later.
    """
    result = {}

    def create() -> None:
        with open(f"/run/netns/{name}") as namespace:
            if LIBC.setns(namespace.fileno(), CLONE_NEWNET) != 0:
                error = ctypes.get_errno()
                result["error"] = OSError(error, f"setns {name}: {os.strerror(error)}")
                return
        result["socket"] = socket.socket(family, socket.SOCK_STREAM)

    thread = threading.Thread(target=create)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["socket"]


def connect_in_namespace(name: str, source: str, destination: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in destination else socket.AF_INET
    sock = socket_in_namespace(name, family)
    sock.settimeout(TIMEOUT)
    sock.bind((source, 0))
    sock.connect((destination, port))
    return sock


def listens_on_ipv6_wildcard(pid: int, port: int) -> bool:
    """Return whether /proc/PID/net/tcp6 has a listening socket on [::]:port."""
    wildcard = f"{'0' * 32}:{port:04X}"
    for line in Path(f"/proc/{pid}/net/tcp6").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wildcard and fields[3] == "0A":  # 0A: TCP_LISTEN
            return True
    return False


class NamespaceSMTP(smtplib.SMTP_SSL):
    """smtplib.SMTP_SSL whose connection comes from connect_in_namespace()."""

    def __init__(self, namespace: str, source: str, port: int, context):
        self._namespace = namespace
        self._source = source
        super().__init__(timeout=TIMEOUT, context=context)
        self.connect("127.0.0.1", port)

    def _get_socket(self, host, port, timeout):
        sock = connect_in_namespace(self._namespace, self._source, host, port)
        return self.context.wrap_socket(sock, server_hostname="localhost")


def test_ipv4_client_reaches_postfix_as_ipv4(network_namespace, start_subtls, postfix,
                                             certificate):
    subtls = start_subtls("unix", listen_host="[::]",
                          command_prefix=("ip", "netns", "exec", network_namespace))
    assert listens_on_ipv6_wildcard(subtls.process.pid, subtls.implicit_port), \
        subtls.config_path.read_text()
    token = unique_token("dual-stack")

    with NamespaceSMTP(network_namespace, CLIENT_ADDRESS, subtls.implicit_port,
                       client_context(certificate.certificate)) as client:
        client_host, client_port = client.sock.getsockname()[:2]
        client.ehlo("client.test")
        client.login(postfix.user, postfix.password)
        client.sendmail(SENDER, [postfix.recipient], build_message(token, postfix.recipient))

    received = first_received(postfix.wait_for_message(token))
    assert client_host == CLIENT_ADDRESS
    assert f"[{CLIENT_ADDRESS}]" in received, received
    assert "::ffff:" not in received, received
    assert session_lines(subtls.log_text(), f"{CLIENT_ADDRESS}:{client_port}"), subtls.log_text()


@pytest.mark.parametrize("client_address, listener_address", [
    (CLIENT_ADDRESS, "127.0.0.1"),
    ("::1", "::1"),
])
def test_proxy_header_keeps_client_family(network_namespace, start_subtls, certificate,
                                          tmp_path, client_address, listener_address):
    headers = queue.Queue()

    def greet_and_wait_for_close(connection: socket.socket) -> None:
        headers.put(read_proxy_v2_header(connection))
        connection.sendall(b"220 fake ESMTP\r\n")
        while connection.recv(4096):
            pass

    with FakeBackend(tmp_path / "backend.sock", greet_and_wait_for_close) as backend:
        subtls = start_subtls(backend.address, listen_host="[::]",
                              command_prefix=("ip", "netns", "exec", network_namespace))
        sock = connect_in_namespace(network_namespace, client_address, listener_address,
                                    subtls.implicit_port)
        with LineClient.from_socket(sock) as client:
            client_port = sock.getsockname()[1]
            client.starttls(client_context(certificate.certificate))
            greeting = client.read_reply()
        header = headers.get(timeout=TIMEOUT)

    expected = proxy_v2_header((client_address, client_port),
                               (listener_address, subtls.implicit_port))
    assert greeting == ["220 fake ESMTP"]
    assert header == expected
