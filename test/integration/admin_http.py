"""Helpers for the [admin] listener tests: requests with curl and a parser
of the Prometheus text format that /metrics serves.
"""

import re
import socket
import subprocess

from private_postfix import free_loopback_port

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def admin_port() -> int:
    """Return a free loopback port for [admin] listen."""
    return free_loopback_port()


def curl(port: int, path: str, method: str = "GET") -> tuple:
    """Request path from the admin listener with curl; return (status, body)."""
    command = ["curl", "--silent", "--show-error", "--max-time", "10",
               "--output", "-", "--write-out", "\n%{http_code}",
               f"http://127.0.0.1:{port}{path}"]
    if method == "HEAD":
        command.insert(1, "--head")
    elif method != "GET":
        command[1:1] = ["--request", method]
    result = subprocess.run(command, capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, f"curl failed: {result.stderr}"
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


def raw_request(port: int, data: bytes, timeout: float = 15.0) -> bytes:
    """Send data on a new connection and return everything received until the close."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        if data:
            sock.sendall(data)
        received = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk


def status_of(response: bytes) -> int:
    """Return the status code of a raw HTTP response."""
    return int(response.split(b" ", 2)[1])


def unescape(value: str) -> str:
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_metrics(text: str) -> dict:
    """Parse the text format into {(name, frozenset of (label, value)): value}.

    Fails on a line that is neither a comment nor a sample, so a format
    error shows up as a test failure.
    """
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        pairs = frozenset((key, unescape(raw)) for key, raw in LABEL.findall(labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def sample_value(samples: dict, name: str, **labels) -> float:
    """Return the sample of name with exactly labels, or 0 when it is absent."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(port: int) -> dict:
    """GET /metrics and return the parsed samples."""
    status, body = curl(port, "/metrics")
    assert status == 200, f"/metrics returned {status}: {body}"
    return parse_metrics(body)
