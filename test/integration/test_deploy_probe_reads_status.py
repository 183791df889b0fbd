"""docker/probe.sh (subtls-probe) exits 0 only on an HTTP 200 reply."""

import http.server
import socket
import subprocess
import threading

import pytest

from deploy_files import DOCKER
from private_postfix import free_loopback_port

PROBE = DOCKER / "probe.sh"


class StatusHandler(http.server.BaseHTTPRequestHandler):
    """Replies 200 to /healthz, 503 to /readyz and 404 to anything else."""

    codes = {"/healthz": 200, "/readyz": 503}

    def do_GET(self):
        code = self.codes.get(self.path, 404)
        body = f"{code}\n".encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def admin_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), StatusHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def probe(path: str, address: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PROBE), path], capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", "SUBTLS_ADMIN_ADDRESS": address})


def test_probe_accepts_200(admin_server):
    result = probe("/healthz", admin_server)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_probe_rejects_503(admin_server):
    result = probe("/readyz", admin_server)

    assert result.returncode == 1
    assert "GET /readyz" in result.stderr
    assert "503" in result.stderr


def test_probe_rejects_closed_port():
    address = f"127.0.0.1:{free_loopback_port()}"

    result = probe("/healthz", address)

    assert result.returncode == 1
    assert f"connection to {address} failed" in result.stderr


def test_probe_rejects_silent_listener():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"127.0.0.1:{listener.getsockname()[1]}"

        result = probe("/healthz", address)

    assert result.returncode == 1
    assert f"no status line from {address}" in result.stderr
