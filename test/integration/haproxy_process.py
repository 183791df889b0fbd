"""HAProxy as a load balancer in TCP mode in front of subtls, for the accept_proxy tests.

HAProxy runs in the foreground (-db) as a child of the test, with its own
config in a test directory, and is stopped by its pid.  Each frontend
forwards one loopback port to one subtls port and sends a PROXY v2 header
(send-proxy-v2) that carries the client's address.
"""

import socket
import subprocess
import time
from pathlib import Path

import private_postfix

HAPROXY = Path("/usr/sbin/haproxy")


class HaproxyProcess:
    """One haproxy process with a frontend for each (name, subtls port) pair."""

    def __init__(self, directory: Path, targets: dict, health_checks: bool = False):
        self.directory = directory
        self.ports = {name: private_postfix.free_loopback_port() for name in targets}
        self.config_path = directory / "haproxy.cfg"
        self.log_path = directory / "haproxy.log"
        # With check-send-proxy, each health check connection starts with a
        # PROXY v2 header whose command is LOCAL.  smtpchk waits for the
        # greeting and sends HELO, so subtls reads the header before
        # HAProxy closes the connection.
        check = " check check-send-proxy inter 300ms" if health_checks else ""
        check_option = "    option smtpchk\n" if health_checks else ""
        sections = [
            "global\n"
            "    maxconn 100\n"
            "defaults\n"
            "    mode tcp\n"
            "    timeout connect 5s\n"
            "    timeout client 30s\n"
            "    timeout server 30s\n"]
        for name, port in targets.items():
            sections.append(
                f"frontend {name}\n"
                f"    bind 127.0.0.1:{self.ports[name]}\n"
                f"    default_backend {name}_subtls\n"
                f"backend {name}_subtls\n"
                f"{check_option}"
                f"    server subtls 127.0.0.1:{port} send-proxy-v2{check}\n")
        self.config_path.write_text("".join(sections))
        self.process = None

    def start(self, timeout: float = 10.0) -> "HaproxyProcess":
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen([str(HAPROXY), "-db", "-f", str(self.config_path)],
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        for port in self.ports.values():
            while not self._accepts(port):
                if self.process.poll() is not None:
                    raise AssertionError(f"haproxy exited with {self.process.returncode}:\n"
                                         f"{self.log_path.read_text()}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"haproxy does not listen on {port}:\n"
                                         f"{self.log_path.read_text()}")
                time.sleep(0.05)
        return self

    @staticmethod
    def _accepts(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
