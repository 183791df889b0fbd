#!/usr/bin/python3
"""Show subtls delivering mail through both ports to a private Postfix.

`./run demo` runs this as root. It starts a private Postfix in a temporary
directory and subtls in front of it on 127.0.0.1:10465 (implicit TLS) and
127.0.0.1:10587 (STARTTLS). It submits one message through each port with
swaks and SASL AUTH PLAIN from 127.0.0.2, prints where each message landed
with its Received header, and stops everything it started.  Set
SUBTLS_KEEP_DEMO=1 to keep the directory (config, logs, Maildir) afterwards.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import private_postfix  # noqa: E402
from smtp_clients import CLIENT_ADDRESS, swaks, unique_token  # noqa: E402
from subtls_process import SubtlsConfig, SubtlsProcess  # noqa: E402

IMPLICIT_PORT = 10465
STARTTLS_PORT = 10587
USER = "demo"
PASSWORD = "demo-password"


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def make_certificate(directory: Path) -> tuple:
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key), "-out", str(certificate), "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30)
    return certificate, key


def submit(label: str, port: int, implicit_tls: bool, postfix) -> None:
    token = unique_token(label)
    mode = "implicit TLS" if implicit_tls else "STARTTLS"
    print(f"\n== {label}: swaks from {CLIENT_ADDRESS} to 127.0.0.1:{port} ({mode}, AUTH PLAIN)")
    result = swaks(port, implicit_tls, "PLAIN", USER, PASSWORD, postfix.recipient, token)
    if result.returncode != 0:
        print(result.stdout + result.stderr)
        raise SystemExit(f"demo: swaks failed with status {result.returncode}")
    message = private_postfix.wait_for_message(postfix.maildir, timeout=15, match=token)
    print(f"delivered to {message.maildir_path}")
    print(f"  Subject:  {message['Subject']}")
    received = " ".join(str(message.get_all("Received")[0]).split())
    print(f"  Received: {received}")


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: demo.py PATH-TO-SUBTLS", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("demo: run as root: it starts a private Postfix", file=sys.stderr)
        return 1
    for port in (IMPLICIT_PORT, STARTTLS_PORT):
        if port_in_use(port):
            print(f"demo: 127.0.0.1:{port} is already in use; stop what listens there",
                  file=sys.stderr)
            return 1

    root = Path(tempfile.mkdtemp(prefix="subtls-demo-"))
    root.chmod(0o755)  # Postfix's daemons and virtual(8) run as other users
    postfix = subtls = None
    try:
        print(f"demo: working in {root}")
        postfix = private_postfix.start_instance(
            root / "postfix", proxy_port=private_postfix.free_loopback_port(),
            user=USER, password=PASSWORD)
        print(f"demo: private Postfix started, backend socket {postfix.unix_socket}")

        certificate, key = make_certificate(root)
        config = SubtlsConfig(certificate=certificate, key=key,
                              backend_address=f"unix:{postfix.unix_socket}",
                              implicit_port=IMPLICIT_PORT, starttls_port=STARTTLS_PORT)
        subtls = SubtlsProcess(Path(sys.argv[1]), config, root).start()
        print(f"demo: subtls started with {subtls.config_path}")

        submit("port 10465", IMPLICIT_PORT, True, postfix)
        submit("port 10587", STARTTLS_PORT, False, postfix)

        print("\n== subtls session log")
        for line in subtls.log_text().splitlines():
            if any(word in line for word in (" open ", " close ", " auth ok ", " message accepted ")):
                print(line)
        print("\n== Postfix log (its view of the client address)")
        for line in postfix.maillog_text().splitlines():
            if f"connect from unknown[{CLIENT_ADDRESS}]" in line and "disconnect" not in line:
                print(line)
        print("\ndemo: both messages delivered")
        return 0
    finally:
        if subtls is not None:
            subtls.stop()
        if postfix is not None:
            private_postfix.instance_stop(postfix)
        if os.environ.get("SUBTLS_KEEP_DEMO"):
            print(f"demo: kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
