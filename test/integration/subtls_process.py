"""Start subtls with a generated config on loopback ports and stop it by pid.

The binary comes from $SUBTLS_BINARY, or build/proxy/subtls in this checkout.
$SUBTLS_TEST_WORKERS, when set, is the workers setting of every generated
config.
subtls runs in the foreground and writes its log to a file, which the tests
read to check the session lines.
"""

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPOSITORY / "build" / "proxy" / "subtls"

HOSTNAME = "mail.example.com"
IMPLICIT_LISTENER = "smtps"
STARTTLS_LISTENER = "submission"


def subtls_binary() -> Path:
    """Return the subtls binary under test: $SUBTLS_BINARY or the build tree's."""
    return Path(os.environ.get("SUBTLS_BINARY", DEFAULT_BINARY))


@dataclass
class SubtlsConfig:
    """Settings of one generated config file.  render() returns the INI text."""

    certificate: Path
    key: Path
    backend_address: str
    implicit_port: int
    starttls_port: int
    identity: str = "proxy-v2"
    hostname: str = HOSTNAME
    handshake_timeout: str = "5s"
    command_timeout: str = "30s"
    idle_timeout: str = "60s"
    drain_timeout: str = "2s"
    connect_timeout: str = "3s"
    log_level: str = "info"
    # [tls] profile and min_version; None leaves them to subtls's defaults.
    profile: Optional[str] = None
    min_version: Optional[str] = None
    # tls_profile of the implicit TLS listener; None: it uses the [tls] policy.
    implicit_tls_profile: Optional[str] = None
    log: str = "stderr"
    # Both listeners bind this address, such as "[::]" for a dual-stack wildcard.
    listen_host: str = "127.0.0.1"
    # The user and group subtls switches to after binding; None keeps root.
    user: Optional[str] = None
    group: Optional[str] = None
    # allow_root of [global]: None writes "yes" when the tests run as root
    # without user, because subtls refuses root otherwise; "" leaves the key out.
    allow_root: Optional[str] = None
    # chroot and log_format of [global]; None leaves the key out.
    chroot: Optional[str] = None
    log_format: Optional[str] = None
    # Extra "key = value" lines for [tls], such as ticket_key_file.
    tls_settings: str = ""
    # Lines that replace "certificate = ..." and "key = ..." in [tls].
    certificate_lines: Optional[str] = None
    # More [tls] lines, and whole sections such as [sni NAME], as INI text.
    tls_lines: str = ""
    sections: str = ""
    # Settings of the conversation after TLS.  None leaves a key out of the
    # file, so subtls's default applies.  Values are written as given, such
    # as "yes", "60s" or "PIPELINING, 8BITMIME".
    auth_failures: Optional[str] = None
    auth_failure_window: Optional[str] = None
    auth_ban_time: Optional[str] = None
    discard_ehlo_keywords: Optional[str] = None
    trace_header: Optional[str] = None
    trace_auth_user: Optional[str] = None
    proxy_tlvs: Optional[str] = None
    # Backend addresses tried after backend_address, in order, and how
    # often a failed one is probed.
    more_backend_addresses: tuple = ()
    retry_interval: Optional[str] = None
    # require_auth of both listeners.
    require_auth: Optional[str] = None
    # Time limits and pre-TLS parsing: None leaves subtls's default.
    max_session_time: Optional[str] = None
    pretls_bare_lf: Optional[str] = None
    reply_timeout: Optional[str] = None
    # Connection limits of [global]; None leaves subtls's default.
    max_sessions: Optional[str] = None
    max_sessions_per_client: Optional[str] = None
    connection_rate_per_client: Optional[str] = None
    max_handshakes_in_progress: Optional[str] = None
    max_errors: Optional[str] = None
    # The port of the [admin] listener on 127.0.0.1; None leaves [admin] out.
    admin_port: Optional[int] = None
    # accept_proxy and trusted_proxies of both listeners; None leaves them out.
    accept_proxy: Optional[str] = None
    trusted_proxies: Optional[str] = None
    # workers of [global]; the default comes from $SUBTLS_TEST_WORKERS, so
    # that the whole suite can run with several worker threads.  None leaves
    # the key out.
    workers: Optional[str] = field(
        default_factory=lambda: os.environ.get("SUBTLS_TEST_WORKERS") or None)

    def render(self) -> str:
        allow_root = self.allow_root
        if allow_root is None and self.user is None and os.geteuid() == 0:
            allow_root = "yes"
        privileges = "".join(f"{key} = {value}\n" for key, value in
                             (("user", self.user), ("group", self.group),
                              ("allow_root", allow_root), ("chroot", self.chroot),
                              ("log_format", self.log_format)) if value)
        certificates = self.certificate_lines or (f"certificate = {self.certificate}\n"
                                                  f"key = {self.key}\n")
        policy = "".join(f"{key} = {value}\n" for key, value in
                         (("profile", self.profile), ("min_version", self.min_version))
                         if value)
        implicit_policy = (f"tls_profile = {self.implicit_tls_profile}\n"
                           if self.implicit_tls_profile else "")
        auth_throttling = optional_lines(
            ("auth_failures", self.auth_failures),
            ("auth_failure_window", self.auth_failure_window),
            ("auth_ban_time", self.auth_ban_time))
        global_options = optional_lines(
            ("max_session_time", self.max_session_time),
            ("pretls_bare_lf", self.pretls_bare_lf))
        limits = optional_lines(
            ("max_sessions", self.max_sessions),
            ("max_sessions_per_client", self.max_sessions_per_client),
            ("connection_rate_per_client", self.connection_rate_per_client),
            ("max_handshakes_in_progress", self.max_handshakes_in_progress),
            ("max_errors", self.max_errors),
            ("workers", self.workers))
        backend_options = optional_lines(
            ("reply_timeout", self.reply_timeout),
            ("discard_ehlo_keywords", self.discard_ehlo_keywords),
            ("trace_header", self.trace_header),
            ("trace_auth_user", self.trace_auth_user),
            ("proxy_tlvs", self.proxy_tlvs),
            ("retry_interval", self.retry_interval))
        more_addresses = "".join(f"address = {address}\n"
                                 for address in self.more_backend_addresses)
        listener_options = optional_lines(("require_auth", self.require_auth),
                                          ("accept_proxy", self.accept_proxy),
                                          ("trusted_proxies", self.trusted_proxies))
        admin = (f"\n[admin]\nlisten = 127.0.0.1:{self.admin_port}\n"
                 if self.admin_port is not None else "")
        return f"""\
[global]
{privileges}hostname = {self.hostname}
handshake_timeout = {self.handshake_timeout}
command_timeout = {self.command_timeout}
idle_timeout = {self.idle_timeout}
drain_timeout = {self.drain_timeout}
log = {self.log}
log_level = {self.log_level}
{global_options}{auth_throttling}{limits}
[tls]
{certificates}{policy}{self.tls_settings}
{self.tls_lines}
{self.sections}
[backend]
address = {self.backend_address}
{more_addresses}identity = {self.identity}
connect_timeout = {self.connect_timeout}
{backend_options}
[listener {IMPLICIT_LISTENER}]
mode = implicit
listen = {self.listen_host}:{self.implicit_port}
{implicit_policy}{listener_options}
[listener {STARTTLS_LISTENER}]
mode = starttls
listen = {self.listen_host}:{self.starttls_port}
{listener_options}{admin}"""


def optional_lines(*settings) -> str:
    """Return "key = value" lines for the (key, value) pairs whose value is not None."""
    return "".join(f"{key} = {value}\n" for key, value in settings if value is not None)


class SubtlsProcess:
    """One subtls process.  stop() ends it by its pid.

    command_prefix runs subtls through a wrapper that execs it in place, such
    as ("ip", "netns", "exec", NAME), so the pid stays subtls's own.
    """

    def __init__(self, binary: Path, config: SubtlsConfig, directory: Path,
                 command_prefix: tuple = ()):
        self.binary = binary
        self.command_prefix = tuple(command_prefix)
        self.config = config
        self.config_path = directory / "subtls.conf"
        self.log_path = directory / "subtls.log"
        self.process: Optional[subprocess.Popen] = None
        self.config_path.write_text(config.render())

    @property
    def implicit_port(self) -> int:
        return self.config.implicit_port

    @property
    def starttls_port(self) -> int:
        return self.config.starttls_port

    def reload(self) -> None:
        """Send SIGHUP, which makes subtls re-read its config and TLS files."""
        self.process.send_signal(signal.SIGHUP)

    def start(self, timeout: float = 10.0) -> "SubtlsProcess":
        """Start subtls and wait until it listens on both ports."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*self.command_prefix, str(self.binary), "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self._wait_listening(timeout)
        return self

    def _wait_listening(self, timeout: float) -> None:
        ports = {self.implicit_port, self.starttls_port}
        if self.config.admin_port is not None:
            ports.add(self.config.admin_port)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"subtls exited with status {self.process.returncode} before listening; "
                    f"config {self.config_path}, log:\n{self.log_text()}")
            if ports <= listening_ports(self.process.pid):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"subtls is not listening on {sorted(ports)} after "
                                   f"{timeout} s; log:\n{self.log_text()}")
            time.sleep(0.02)

    def log_text(self) -> str:
        """Return everything subtls wrote to stderr and stdout so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """Send SIGTERM and wait for the exit, sending SIGKILL after timeout seconds.

        Returns the exit status, or None when SIGKILL was needed or subtls never started.
        """
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            return None


def listening_ports(pid: int) -> set:
    """Return the TCP ports on which process pid has a listening IPv4 or IPv6 socket.

    The tables come from /proc/PID/net, so a process in another network
    namespace is seen in its own.
    """
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except FileNotFoundError:
        return set()

    ports = set()
    for table in (f"/proc/{pid}/net/tcp", f"/proc/{pid}/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local_address, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: TCP_LISTEN
                ports.add(int(local_address.rsplit(":", 1)[1], 16))
    return ports


def vm_rss_kib(pid: int) -> int:
    """Return the resident set size (VmRSS in /proc/PID/status) of process pid in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS line in /proc/{pid}/status: the process has exited")


def run_subtls(arguments: list, timeout: float = 10.0) -> subprocess.CompletedProcess:
    """Run subtls with arguments to completion (for -t and -V), capturing its output."""
    return subprocess.run([str(subtls_binary()), *arguments], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
