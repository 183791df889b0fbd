"""With workers = 2, both worker threads serve sessions, and what must hold
for the whole process holds whichever worker takes a connection.

Each worker has its own socket on every listen address (SO_REUSEPORT), and
the kernel spreads connections over them by a hash of addresses and ports.
The open line of a session carries worker=0 or worker=1.  With 16 or more
connections, the chance that all land on one worker is below 1 in 30000.
The tests check that both workers serve sessions, that
max_sessions_per_client and AUTH bans refuse on either worker, that a
SIGHUP reload gives every worker the new certificate, that SIGTERM drains
both, and that /metrics counts the sessions of both.
"""

import hashlib
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor

from admin_http import admin_port, sample_value, scrape
from limit_checks import TOO_MANY_CONNECTIONS, idle_starttls_session
from session_log import close_fields, parse_fields, wait_for_log_text
from smtp_clients import CLIENT_ADDRESS, LineClient, plain_credentials, tls_session
from subtls_process import IMPLICIT_LISTENER, STARTTLS_LISTENER
from test_reload_under_load import make_certificate

WORKERS = {"0", "1"}
PARALLEL = 8


def open_worker(subtls, client_address: str, timeout: float = 5.0) -> str:
    """Return the worker=N field of the open line of the session of client_address."""
    deadline = time.monotonic() + timeout
    while True:
        for line in subtls.log_text().splitlines():
            fields = parse_fields(line)
            if fields.get("client") == client_address and " open listener=" in line:
                assert "worker" in fields, f"no worker= field on the open line: {line}"
                return fields["worker"]
        if time.monotonic() > deadline:
            raise AssertionError(f"no open line for client={client_address}; log:\n"
                                 f"{subtls.log_text()}")
        time.sleep(0.05)


def open_idle_sessions(subtls, count: int, source: str = CLIENT_ADDRESS) -> list:
    """Open count STARTTLS sessions from source in parallel, each greeted."""
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(lambda _: idle_starttls_session(subtls, source), range(count)))


def workers_of(subtls, clients: list) -> set:
    return {open_worker(subtls, client.local_address) for client in clients}


def close_all(clients: list) -> None:
    for client in clients:
        client.close()


def rejected_sessions(subtls, count: int, expected_reply: str) -> list:
    """Connect count times in parallel to the STARTTLS listener; each must get
    expected_reply as its greeting and be closed.  Returns the client addresses."""

    def rejected(_):
        with LineClient(subtls.starttls_port) as client:
            address = client.local_address
            greeting = client.read_reply()
            assert greeting[0].startswith(expected_reply), (
                f"expected {expected_reply!r} as the greeting: {greeting}")
            assert client.is_closed(5.0), "subtls should close after the 421"
            return address

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(rejected, range(count)))


def test_sessions_spread_over_workers(start_subtls):
    subtls = start_subtls("unix", workers="2", connection_rate_per_client="0")
    assert "started 2 workers" in wait_for_log_text(subtls, "started 2 workers")

    clients = open_idle_sessions(subtls, 24)
    try:
        workers = workers_of(subtls, clients)
    finally:
        close_all(clients)
    assert workers == WORKERS, f"sessions were served only by worker {workers}"


def test_client_limit_holds_across_workers(start_subtls):
    subtls = start_subtls("unix", workers="2", max_sessions_per_client="6",
                          connection_rate_per_client="0")
    admitted = open_idle_sessions(subtls, 6)
    try:
        # At most one worker can have 6 of the client's sessions, so
        # refusals on both workers show that the count is process-wide.
        rejected = rejected_sessions(subtls, 16, TOO_MANY_CONNECTIONS)
        rejecting_workers = {open_worker(subtls, address) for address in rejected}
        for address in rejected:
            assert close_fields(subtls, address).get("reason") == \
                "too_many_sessions_per_client"
    finally:
        close_all(admitted)
    assert rejecting_workers == WORKERS, (
        f"only worker {rejecting_workers} rejected; the limit must hold on both")


def test_auth_ban_holds_across_workers(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", workers="2", auth_failures="2",
                          auth_failure_window="60s", auth_ban_time="60s",
                          connection_rate_per_client="0")
    for _ in range(2):
        client, _ = tls_session(subtls, "starttls", certificate.certificate)
        with client:
            reply = client.command(
                f"AUTH PLAIN {plain_credentials(postfix.user, 'wrong-battery-9')}")
            assert reply[0].startswith("535"), reply
    wait_for_log_text(subtls, f"auth ban key={CLIENT_ADDRESS}")

    rejected = rejected_sessions(subtls, 16, "421 4.7.0 ")
    for address in rejected:
        assert close_fields(subtls, address).get("reason") == "auth_banned"
    banning_workers = {open_worker(subtls, address) for address in rejected}
    assert banning_workers == WORKERS, (
        f"only worker {banning_workers} rejected; the ban must hold on both")


def served_certificate(port: int, source: str = CLIENT_ADDRESS) -> tuple:
    """Return the SHA-256 of the certificate that the implicit TLS listener
    sends, and the client address, after a full handshake and the 220
    greeting."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), 10, source_address=(source, 0))
    with context.wrap_socket(raw, server_hostname="localhost") as tls:
        address = "%s:%d" % tls.getsockname()[:2]
        digest = hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()
        greeting = tls.recv(512)
        assert greeting.startswith(b"220 "), greeting
        tls.sendall(b"QUIT\r\n")
    return digest, address


def test_reload_reaches_every_worker(start_subtls, tmp_path):
    old_certificate, old_key = make_certificate(tmp_path, "before", "ecdsa")
    new_certificate, new_key = make_certificate(tmp_path, "after", "ecdsa")
    live_certificate, live_key = tmp_path / "cert.pem", tmp_path / "key.pem"
    live_certificate.write_bytes(old_certificate.read_bytes())
    live_key.write_bytes(old_key.read_bytes())
    new_digest = hashlib.sha256(
        ssl.PEM_cert_to_DER_cert(new_certificate.read_text())).hexdigest()

    subtls = start_subtls("unix", workers="2", connection_rate_per_client="0",
                          certificate_lines=f"certificate = {live_certificate}\n"
                                            f"key = {live_key}\n")
    live_certificate.write_bytes(new_certificate.read_bytes())
    live_key.write_bytes(new_key.read_bytes())
    subtls.reload()
    wait_for_log_text(subtls, "reloaded ")

    with ThreadPoolExecutor(PARALLEL) as pool:
        served = list(pool.map(lambda _: served_certificate(subtls.implicit_port), range(24)))
    assert {digest for digest, _ in served} == {new_digest}, (
        "a session after the reload was served the old certificate")
    workers = {open_worker(subtls, address) for _, address in served}
    assert workers == WORKERS, f"only worker {workers} served after the reload"


def test_sigterm_drains_every_worker(start_subtls):
    subtls = start_subtls("unix", workers="2", connection_rate_per_client="0",
                          drain_timeout="10s")
    clients = open_idle_sessions(subtls, 16)
    try:
        assert workers_of(subtls, clients) == WORKERS
        subtls.process.terminate()
        for client in clients:
            reply = client.read_reply()
            assert reply[0].startswith("421 4.3.2 "), f"expected the shutdown 421: {reply}"
            assert client.is_closed(5.0), "subtls should close the session after the 421"
    finally:
        close_all(clients)
    assert subtls.process.wait(10) == 0
    log = subtls.log_text()
    assert "worker 1 stopped" in log, log
    assert log.rstrip().endswith("info: stopped"), log


def test_metrics_sum_workers(start_subtls):
    subtls = start_subtls("unix", workers="2", connection_rate_per_client="0",
                          admin_port=admin_port())
    clients = open_idle_sessions(subtls, 20)
    addresses = [client.local_address for client in clients]
    try:
        assert workers_of(subtls, clients) == WORKERS
        samples = scrape(subtls.config.admin_port)
        assert sample_value(samples, "subtls_sessions_open", listener=STARTTLS_LISTENER) == 20
    finally:
        close_all(clients)
    for address in addresses:
        assert close_fields(subtls, address).get("reason") == "client_closed"

    samples = scrape(subtls.config.admin_port)
    assert sample_value(samples, "subtls_sessions_total", listener=STARTTLS_LISTENER) == 20
    assert sample_value(samples, "subtls_sessions_open", listener=STARTTLS_LISTENER) == 0
    assert sample_value(samples, "subtls_sessions_total", listener=IMPLICIT_LISTENER) == 0
