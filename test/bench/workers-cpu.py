#!/usr/bin/python3
"""Compare subtls with workers = 1 and workers = 2 under the same load.

Starts smtp-sink as the backend and, for each workers setting in turn,
subtls on loopback ports, then runs build/test/bench/smtp-load against its
implicit TLS listener.  For each run it prints messages/s (from smtp-load)
and subtls's CPU time per message: utime + stime of all its threads, from
/proc/PID/stat before and after, divided by the messages.  It also prints
the CPU seconds per wall second, where more than 1 means that subtls used
more than one core.  Runs alternate between the settings, so drift on a shared machine
hits both.

An RSA-2048 certificate and no message (--certificate rsa --messages 0)
make the server's side of each connection cost much more than the client's,
so that the client leaves subtls room for more than one core.

Usage: test/bench/workers-cpu.py [--connections N] [--concurrency N]
       [--rounds N] [--workers 1,2] [--client-threads N]
       [--certificate ecdsa|rsa] [--messages N]
Run as root (smtp-sink switches to nobody).  Everything listens on
127.0.0.1 only.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
SUBTLS = Path(os.environ.get("SUBTLS_BINARY", REPOSITORY / "build/proxy/subtls"))
SMTP_LOAD = REPOSITORY / "build/test/bench/smtp-load"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def cpu_seconds(pid: int) -> float:
    """Return utime + stime of every thread of pid, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def make_certificate(directory: Path, kind: str) -> tuple:
    certificate, key = directory / "cert.pem", directory / "key.pem"
    key_options = (["-newkey", "rsa:2048"] if kind == "rsa"
                   else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
    subprocess.run(["openssl", "req", "-x509", *key_options, "-nodes", "-keyout", str(key), "-out",
                    str(certificate), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    return certificate, key


def write_config(directory: Path, workers: int, certificate: Path, key: Path,
                 backend_port: int, port: int) -> Path:
    path = directory / f"subtls-{workers}.conf"
    root = "allow_root = yes\n" if os.geteuid() == 0 else ""
    path.write_text(f"""[global]
{root}hostname = mx.example.test
log_level = warning
max_sessions_per_client = 0
connection_rate_per_client = 0
workers = {workers}

[tls]
certificate = {certificate}
key = {key}

[backend]
address = 127.0.0.1:{backend_port}
identity = none

[listener smtps]
mode = implicit
listen = 127.0.0.1:{port}
require_auth = no

[listener submission]
mode = starttls
listen = 127.0.0.1:{free_port()}
require_auth = no
""")
    return path


def run_once(directory: Path, workers: int, certificate: Path, key: Path,
             backend_port: int, options) -> dict:
    port = free_port()
    config = write_config(directory, workers, certificate, key, backend_port, port)
    log = open(directory / f"subtls-{workers}.log", "ab")
    subtls = subprocess.Popen([str(SUBTLS), "-c", str(config)], stdout=log, stderr=log)
    try:
        wait_for_port(port)
        rss_before = rss_kib(subtls.pid)
        cpu_before, wall_before = cpu_seconds(subtls.pid), time.monotonic()
        report_path = directory / f"report-{workers}.json"
        load = subprocess.run([str(SMTP_LOAD), "--port", str(port), "--insecure",
                        "--connections", str(options.connections),
                        "--concurrency", str(options.concurrency),
                        "--threads", str(options.client_threads),
                        "--messages", str(options.messages),
                        "--json", str(report_path)],
                       capture_output=True, text=True, timeout=600)
        cpu = cpu_seconds(subtls.pid) - cpu_before
        wall = time.monotonic() - wall_before
        rss_after = rss_kib(subtls.pid)
    finally:
        subtls.send_signal(signal.SIGTERM)
        subtls.wait(30)
        log.close()
    if not report_path.exists():
        raise RuntimeError(f"smtp-load wrote no report (exit status {load.returncode}): "
                           f"{load.stderr.strip()}")
    report = json.loads(report_path.read_text())
    messages = report["messages"]["accepted"]
    connections = report["connections"]["completed"]
    return {"workers": workers, "messages": messages,
            "errors": report["errors"]["total"], "first_error": report["first_error"],
            "messages_per_second": report["messages"]["per_second"],
            "connections_per_second": report["connections"]["per_second"],
            "cpu_ms_per_message": 1000 * cpu / messages if messages else None,
            "cpu_ms_per_connection": 1000 * cpu / connections if connections else None,
            "cores_used": cpu / wall, "rss_kib_idle": rss_before,
            "rss_kib_after": rss_after}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--client-threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--certificate", choices=("ecdsa", "rsa"), default="ecdsa")
    parser.add_argument("--messages", type=int, default=1,
                        help="messages per connection; 0 measures handshakes alone")
    options = parser.parse_args()
    for name in ("connections", "concurrency", "client_threads", "rounds"):
        if getattr(options, name) < 1:
            parser.error(f"--{name.replace('_', '-')} {getattr(options, name)}: invalid "
                         "(a whole number, at least 1)")
    if options.messages < 0:
        parser.error(f"--messages {options.messages}: invalid (a whole number, at least 0)")
    try:
        settings = [int(value) for value in options.workers.split(",")]
    except ValueError:
        parser.error(f"--workers {options.workers}: invalid (whole numbers from 1 to 64, "
                     "separated by commas)")
    if not all(1 <= workers <= 64 for workers in settings):
        parser.error(f"--workers {options.workers}: invalid (each from 1 to 64)")

    with tempfile.TemporaryDirectory(prefix="subtls-workers-") as name:
        directory = Path(name)
        certificate, key = make_certificate(directory, options.certificate)
        backend_port = free_port()
        sink = subprocess.Popen(["smtp-sink", "-m", "2500", "-u", "nobody",
                                 f"127.0.0.1:{backend_port}", "2000"],
                                stdout=subprocess.DEVNULL)
        status = 0
        try:
            wait_for_port(backend_port)
            for round_number in range(options.rounds):
                order = settings if round_number % 2 == 0 else list(reversed(settings))
                for workers in order:
                    try:
                        result = run_once(directory, workers, certificate, key,
                                          backend_port, options)
                    except RuntimeError as error:
                        print(f"workers-cpu: workers = {workers}: {error}", file=sys.stderr)
                        return 1
                    print(json.dumps(result), flush=True)
                    if result["errors"]:
                        status = 1
        finally:
            sink.send_signal(signal.SIGTERM)
            sink.wait(10)
    return status


if __name__ == "__main__":
    sys.exit(main())
