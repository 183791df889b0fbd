#!/usr/bin/python3
"""A private, unmodified Postfix instance for integration tests.

The instance lives in one directory and shares nothing with the system's mail
setup: its own config directory, queue, data directory, log file, SASL
database and Maildir.  It listens only on 127.0.0.1 and on a unix socket in
its directory, and it delivers mail for one virtual domain into one Maildir,
so a test reads each message as a file.  Mail for any other domain fails with
the error transport, so nothing ever leaves the machine.

Services (master.cf):
  * smtpd on 127.0.0.1:PROXY_PORT with smtpd_upstream_proxy_protocol=haproxy
  * smtpd on ROOT/queue/public/smtpd-proxy with the same setting
  * optionally smtpd on 127.0.0.1:PLAIN_PORT without a PROXY header, for
    sanity checks
  * optionally smtpd on 127.0.0.1:EXTENSIONS_PORT with a PROXY header that
    also offers STARTTLS (with TLS_CERTIFICATE and TLS_KEY) and accepts
    XCLIENT and XFORWARD from 127.0.0.0/8: a backend whose EHLO reply
    lists what subtls must hide from its clients
  * optionally smtpd on 127.0.0.1:XCLIENT_PORT without a PROXY header that
    accepts XCLIENT from 127.0.0.0/8, for subtls's identity = xclient
All of them offer SASL AUTH (Cyrus, sasldb, PLAIN and LOGIN) without TLS and
accept a recipient only from an authenticated client.  Messages may be up to
MESSAGE_SIZE_LIMIT bytes.

Use as a module (see start_instance) or from the command line, as root:
  python3 private_postfix.py start DIR --proxy-port 10587 --user alice \
      --password secret [--plain-port 10588]
  python3 private_postfix.py selftest DIR
  python3 private_postfix.py stop DIR
"""

import argparse
import base64
import dataclasses
import email
import email.message
import email.policy
import ipaddress
import json
import os
import pwd
import grp
import shutil
import signal
import smtplib
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Optional, Union

POSTFIX = "/usr/sbin/postfix"
SASLPASSWD2 = "/usr/sbin/saslpasswd2"

DEFAULT_DOMAIN = "example.test"
DEFAULT_HOSTNAME = "postfix.test"
INSTANCE_FILE = "instance.json"
UNIX_SERVICE_NAME = "smtpd-proxy"

# Postfix's message_size_limit: room for the 20 MiB messages of the tests,
# twice Postfix's default of 10240000 bytes.
MESSAGE_SIZE_LIMIT = 40 * 1024 * 1024

# The client addresses that the extensions and XCLIENT smtpd services accept
# XCLIENT (and XFORWARD) from.
XCLIENT_HOSTS = "127.0.0.0/8"

# The uid and gid that virtual(8) writes the Maildir as.  nobody/nogroup keeps
# delivery away from any real account.
MAILBOX_USER = "nobody"
MAILBOX_GROUP = "nogroup"


class PostfixError(Exception):
    """A Postfix command failed or the instance did not reach the expected state."""


@dataclasses.dataclass
class PostfixInstance:
    """Paths and settings of one private instance rooted at root."""

    root: Path
    proxy_port: int
    user: str
    password: str
    plain_port: Optional[int] = None
    domain: str = DEFAULT_DOMAIN
    hostname: str = DEFAULT_HOSTNAME
    extensions_port: Optional[int] = None
    xclient_port: Optional[int] = None
    # The PEM certificate and key of STARTTLS on extensions_port.
    tls_certificate: Optional[str] = None
    tls_key: Optional[str] = None

    @property
    def config_dir(self) -> Path:
        return self.root / "conf"

    @property
    def queue_dir(self) -> Path:
        return self.root / "queue"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def maillog_path(self) -> Path:
        return self.root / "log" / "maillog"

    @property
    def mailbox_base(self) -> Path:
        return self.root / "mail"

    @property
    def maildir(self) -> Path:
        """The Maildir that receives every message for the domain."""
        return self.mailbox_base / "maildir"

    @property
    def sasl_dir(self) -> Path:
        """Cyrus SASL's directory: Debian's smtpd reads CONFIG_DIR/sasl/smtpd.conf
        and ignores cyrus_sasl_config_path (seen with strace, Postfix 3.7.11)."""
        return self.config_dir / "sasl"

    @property
    def sasldb_path(self) -> Path:
        return self.sasl_dir / "sasldb2"

    @property
    def unix_socket(self) -> Path:
        """The unix socket of the smtpd that expects a PROXY header.

        master(8) binds a unix service at QUEUE/public/NAME and derives a lock
        file name from NAME, so the socket cannot live elsewhere.  The public
        directory is searchable only by root, postfix and the postdrop group.
        """
        return self.queue_dir / "public" / UNIX_SERVICE_NAME

    @property
    def master_pid_file(self) -> Path:
        return self.queue_dir / "pid" / "master.pid"

    @property
    def recipient(self) -> str:
        """An address that the instance delivers into maildir."""
        return f"rcpt@{self.domain}"

    def postfix(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run the postfix command against this instance's config directory."""
        result = subprocess.run(
            [POSTFIX, "-c", str(self.config_dir), *arguments],
            capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise PostfixError(
                f"postfix -c {self.config_dir} {' '.join(arguments)} failed "
                f"with exit status {result.returncode}: "
                f"{result.stderr.strip() or result.stdout.strip()}")
        return result

    def master_pid(self) -> Optional[int]:
        """Return the master process id from its pid file, or None without one."""
        try:
            text = self.master_pid_file.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None

    def is_running(self) -> bool:
        pid = self.master_pid()
        return pid is not None and process_alive(pid)

    def maillog_text(self, offset: int = 0) -> str:
        """Return the maillog from byte offset on ("" before the file exists)."""
        return read_maillog(self.maillog_path, offset)

    def maillog_size(self) -> int:
        """Return the maillog's current size, an offset for maillog_text()."""
        try:
            return self.maillog_path.stat().st_size
        except FileNotFoundError:
            return 0

    def wait_for_maillog(self, text: str, offset: int = 0, timeout: float = 10.0) -> str:
        """Wait until text appears in the maillog after offset, then return the log from offset."""
        return wait_for_maillog(self.maillog_path, text, offset, timeout)

    def wait_for_disconnect(self, client: str, offset: int = 0, timeout: float = 10.0) -> str:
        """Wait for smtpd's "disconnect from" line of client (an IP address) after offset.

        Returns the line, which ends with smtpd's count of each command the
        session used, such as "ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4".
        smtpd_peername_lookup = no makes every client "unknown[IP]".
        """
        marker = f"disconnect from unknown[{client}]"
        log = self.wait_for_maillog(marker, offset, timeout)
        return [line for line in log.splitlines() if marker in line][0]

    def wait_for_message(self, match: Union[None, str, Callable] = None,
                         timeout: float = 10.0) -> email.message.EmailMessage:
        return wait_for_message(self.maildir, timeout, match)

    def save(self) -> None:
        fields = dataclasses.asdict(self)
        fields["root"] = str(self.root)
        (self.root / INSTANCE_FILE).write_text(json.dumps(fields, indent=2) + "\n")

    @classmethod
    def load(cls, root: Union[str, Path]) -> "PostfixInstance":
        """Read the settings that start_instance() saved in root."""
        path = Path(root) / INSTANCE_FILE
        try:
            fields = json.loads(path.read_text())
        except FileNotFoundError:
            raise PostfixError(f"{path} not found: {root} contains no private Postfix instance")
        fields["root"] = Path(fields["root"])
        return cls(**fields)

    def describe(self) -> dict:
        """Return the settings a client needs, as a JSON-friendly dict."""
        return {
            "root": str(self.root),
            "config_directory": str(self.config_dir),
            "proxy_address": f"127.0.0.1:{self.proxy_port}",
            "proxy_unix_socket": str(self.unix_socket),
            "plain_address": f"127.0.0.1:{self.plain_port}" if self.plain_port else None,
            "extensions_address": (f"127.0.0.1:{self.extensions_port}"
                                   if self.extensions_port else None),
            "xclient_address": f"127.0.0.1:{self.xclient_port}" if self.xclient_port else None,
            "user": self.user,
            "domain": self.domain,
            "recipient": self.recipient,
            "maildir": str(self.maildir),
            "maillog": str(self.maillog_path),
            "master_pid": self.master_pid(),
        }


# Process helpers ----------------------------------------------------------

def process_alive(pid: int) -> bool:
    """Return whether pid is running.  A zombie counts as exited.

    PID 1 in a container may never reap the daemonized master, so a plain
    kill(pid, 0) would report a finished master as alive forever.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Wait up to timeout seconds for pid to exit.  Return whether it exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.05)
    return not process_alive(pid)


# Ports that free_loopback_port() returned in this process.
_ports_handed_out = set()


def free_loopback_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on host that was free a moment ago.

    The kernel may offer a port again once it is released, so a port that
    this process was given before is skipped: two calls for one config
    never return the same port.  Another process can still take the port
    before the caller binds it, which is acceptable on a test machine.
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _ports_handed_out:
            _ports_handed_out.add(port)
            return port
    raise RuntimeError("no loopback port that was not handed out before")


# Configuration -----------------------------------------------------------

def _main_cf(instance: PostfixInstance) -> str:
    mailbox_uid = pwd.getpwnam(MAILBOX_USER).pw_uid
    mailbox_gid = grp.getgrnam(MAILBOX_GROUP).gr_gid
    root = instance.root
    # STARTTLS stays off (smtpd_tls_security_level = none) except on the
    # extensions service, which turns it on in master.cf.
    tls_files = ""
    if instance.tls_certificate:
        tls_files = (f"smtpd_tls_cert_file = {instance.tls_certificate}\n"
                     f"smtpd_tls_key_file = {instance.tls_key}\n")
    return f"""\
# Private test instance written by private_postfix.py: edit that file instead.
compatibility_level = 3.6
config_directory = {instance.config_dir}
queue_directory = {instance.queue_dir}
data_directory = {instance.data_dir}
mail_owner = postfix
setgid_group = postdrop

maillog_file = {instance.maillog_path}
maillog_file_prefixes = {root}
syslog_name = postfix-test

myhostname = {instance.hostname}
mydomain = {instance.domain}
myorigin = $myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32

# No local delivery, no relaying, no DNS: only the virtual domain below.
mydestination =
local_recipient_maps =
local_transport = error:local delivery is disabled in this test instance
alias_maps =
alias_database =
relay_domains =
relayhost =
default_transport = error:outbound mail is disabled in this test instance
relay_transport = error:outbound mail is disabled in this test instance
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
biff = no
append_dot_mydomain = no

virtual_mailbox_domains = {instance.domain}
virtual_mailbox_base = {instance.mailbox_base}
virtual_mailbox_maps = static:maildir/
virtual_uid_maps = static:{mailbox_uid}
virtual_gid_maps = static:{mailbox_gid}
virtual_minimum_uid = 1

smtpd_banner = $myhostname ESMTP $mail_name
# As the README's backend lines: reject a bare LF from every client.
smtpd_forbid_bare_newline = yes
smtpd_forbid_bare_newline_exclusions =
smtpd_tls_security_level = none
smtpd_tls_auth_only = no
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain = {instance.domain}
smtpd_sasl_security_options = noanonymous
cyrus_sasl_config_path = {instance.sasl_dir}
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_upstream_proxy_timeout = 5s
message_size_limit = {MESSAGE_SIZE_LIMIT}
{tls_files}"""


def _master_cf(instance: PostfixInstance) -> str:
    proxy = "-o smtpd_upstream_proxy_protocol=haproxy"
    lines = [
        "# Private test instance written by private_postfix.py: edit that file instead.",
        "# service type  private unpriv  chroot  wakeup  maxproc command + args",
        f"127.0.0.1:{instance.proxy_port} inet n - n - - smtpd {proxy}"
        " -o syslog_name=postfix-test/proxy-tcp",
        f"{UNIX_SERVICE_NAME} unix n - n - - smtpd {proxy}"
        " -o syslog_name=postfix-test/proxy-unix",
    ]
    if instance.plain_port:
        lines.append(f"127.0.0.1:{instance.plain_port} inet n - n - - smtpd"
                     " -o syslog_name=postfix-test/plain")
    if instance.extensions_port:
        lines.append(f"127.0.0.1:{instance.extensions_port} inet n - n - - smtpd {proxy}"
                     " -o syslog_name=postfix-test/extensions"
                     " -o smtpd_tls_security_level=may"
                     f" -o smtpd_authorized_xclient_hosts={XCLIENT_HOSTS}"
                     f" -o smtpd_authorized_xforward_hosts={XCLIENT_HOSTS}")
    if instance.xclient_port:
        lines.append(f"127.0.0.1:{instance.xclient_port} inet n - n - - smtpd"
                     " -o syslog_name=postfix-test/xclient"
                     f" -o smtpd_authorized_xclient_hosts={XCLIENT_HOSTS}")
    lines += [
        "cleanup   unix n - n - 0 cleanup",
        "qmgr      unix n - n 300 1 qmgr",
        "rewrite   unix - - n - - trivial-rewrite",
        "bounce    unix - - n - 0 bounce",
        "defer     unix - - n - 0 bounce",
        "trace     unix - - n - 0 bounce",
        "verify    unix - - n - 1 verify",
        "flush     unix n - n 1000? 0 flush",
        "proxymap  unix - - n - - proxymap",
        "error     unix - - n - - error",
        "retry     unix - - n - - error",
        "discard   unix - - n - - discard",
        "virtual   unix - n n - - virtual",
        "anvil     unix - - n - 1 anvil",
        "scache    unix - - n - 1 scache",
        "postlog   unix-dgram n - n - 1 postlogd",
        "tlsmgr    unix - - n 1000? 1 tlsmgr",
    ]
    return "\n".join(lines) + "\n"


def _sasl_conf(instance: PostfixInstance) -> str:
    return (f"pwcheck_method: auxprop\n"
            f"auxprop_plugin: sasldb\n"
            f"mech_list: PLAIN LOGIN\n"
            f"sasldb_path: {instance.sasldb_path}\n")


def _check_traversable(path: Path) -> None:
    """Raise unless every directory above path lets other users search it.

    The daemons run as the postfix user and virtual(8) as nobody, and both
    need to reach the queue, the SASL database and the Maildir.
    """
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            raise PostfixError(
                f"{directory} is not searchable by other users (mode "
                f"{stat.filemode(mode)}), so the postfix user cannot reach {path}: "
                f"chmod it 0755 or place the instance elsewhere")


def write_instance(instance: PostfixInstance) -> None:
    """Create the instance's directories, config files and SASL database."""
    root = instance.root
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    _check_traversable(root)

    postfix_pw = pwd.getpwnam("postfix")
    mailbox_uid = pwd.getpwnam(MAILBOX_USER).pw_uid
    mailbox_gid = grp.getgrnam(MAILBOX_GROUP).gr_gid

    for directory in (instance.config_dir, instance.sasl_dir, instance.queue_dir,
                      instance.maillog_path.parent):
        directory.mkdir(exist_ok=True)
        os.chmod(directory, 0o755)
    instance.data_dir.mkdir(exist_ok=True)
    os.chown(instance.data_dir, postfix_pw.pw_uid, postfix_pw.pw_gid)
    os.chmod(instance.data_dir, 0o700)
    instance.mailbox_base.mkdir(exist_ok=True)
    os.chown(instance.mailbox_base, mailbox_uid, mailbox_gid)
    os.chmod(instance.mailbox_base, 0o755)

    if instance.extensions_port and not (instance.tls_certificate and instance.tls_key):
        raise PostfixError("the extensions service offers STARTTLS and needs tls_certificate "
                           "and tls_key")
    (instance.config_dir / "main.cf").write_text(_main_cf(instance))
    (instance.config_dir / "master.cf").write_text(_master_cf(instance))
    (instance.sasl_dir / "smtpd.conf").write_text(_sasl_conf(instance))

    # With -p saslpasswd2 reads the password from stdin.  -u sets the realm,
    # which smtpd_sasl_local_domain appends to a bare user name.
    if instance.sasldb_path.exists():
        instance.sasldb_path.unlink()
    result = subprocess.run(
        [SASLPASSWD2, "-f", str(instance.sasldb_path), "-c", "-p",
         "-u", instance.domain, instance.user],
        input=instance.password, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise PostfixError(f"saslpasswd2 failed with exit status {result.returncode}: "
                           f"{result.stderr.strip()}")
    os.chown(instance.sasldb_path, 0, postfix_pw.pw_gid)
    os.chmod(instance.sasldb_path, 0o640)

    instance.save()


def start_instance(root: Union[str, Path], proxy_port: int, user: str, password: str,
                   plain_port: Optional[int] = None, domain: str = DEFAULT_DOMAIN,
                   hostname: str = DEFAULT_HOSTNAME,
                   timeout: float = 20.0, extensions_port: Optional[int] = None,
                   xclient_port: Optional[int] = None,
                   tls_certificate: Optional[Union[str, Path]] = None,
                   tls_key: Optional[Union[str, Path]] = None) -> PostfixInstance:
    """Write a private instance in root, start it, and wait until its ports accept.

    Runs `postfix -c ROOT/conf start` and so must run as root.  Returns the
    instance; the caller stops it with stop_instance() or instance_stop().
    extensions_port needs tls_certificate and tls_key, PEM files that
    smtpd reads as root.
    """
    instance = PostfixInstance(root=Path(root).resolve(), proxy_port=proxy_port,
                               user=user, password=password, plain_port=plain_port,
                               domain=domain, hostname=hostname,
                               extensions_port=extensions_port, xclient_port=xclient_port,
                               tls_certificate=str(tls_certificate) if tls_certificate else None,
                               tls_key=str(tls_key) if tls_key else None)
    if instance.is_running():
        raise PostfixError(f"the instance in {root} is already running "
                           f"(master pid {instance.master_pid()}): stop it first")
    write_instance(instance)

    # postfix check creates the queue's subdirectories with their owners and
    # modes and reports unsafe files before start would.
    instance.postfix("check")
    instance.postfix("start")

    wait_until_listening(instance, timeout)
    return instance


def wait_until_listening(instance: PostfixInstance, timeout: float) -> None:
    """Wait until every smtpd listener of the instance accepts a connection."""
    targets = [("tcp", ("127.0.0.1", instance.proxy_port)), ("unix", str(instance.unix_socket))]
    for port in (instance.plain_port, instance.extensions_port, instance.xclient_port):
        if port:
            targets.append(("tcp", ("127.0.0.1", port)))

    deadline = time.monotonic() + timeout
    for family, address in targets:
        while True:
            if _can_connect(family, address):
                break
            if time.monotonic() > deadline:
                raise PostfixError(
                    f"Postfix in {instance.root} is not accepting connections on {address} after "
                    f"{timeout:.0f} s; its log:\n{instance.maillog_text()[-3000:]}")
            time.sleep(0.1)


def _can_connect(family: str, address) -> bool:
    sock_family = socket.AF_UNIX if family == "unix" else socket.AF_INET
    with socket.socket(sock_family, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect(address)
        except OSError:
            return False
    return True


def instance_stop(instance: PostfixInstance, timeout: float = 15.0) -> None:
    """Stop the instance and wait until its master process has exited.

    Runs `postfix stop`; a master still running after timeout seconds gets
    SIGKILL by its pid.  Stopping an instance that does not run does nothing.
    """
    pid = instance.master_pid()
    if pid is None or not process_alive(pid):
        return

    instance.postfix("stop", check=False)
    if wait_for_exit(pid, timeout):
        return

    os.kill(pid, signal.SIGKILL)
    if not wait_for_exit(pid, 5.0):
        raise PostfixError(f"Postfix master pid {pid} of {instance.root} survived SIGKILL")


def stop_instance(root: Union[str, Path], timeout: float = 15.0) -> None:
    """Stop the instance that start_instance() left in root."""
    instance_stop(PostfixInstance.load(root), timeout)


# Maildir and maillog -----------------------------------------------------

def _message_files(maildir: Path):
    for sub in ("new", "cur"):
        directory = maildir / sub
        if directory.is_dir():
            for path in sorted(directory.iterdir()):
                if path.is_file():
                    yield path


def wait_for_message(maildir: Union[str, Path], timeout: float = 10.0,
                     match: Union[None, str, Callable] = None) -> email.message.EmailMessage:
    """Wait for a message in maildir and return it parsed.

    match selects the message: None takes any, a str must occur in the raw
    message (a unique token in the subject or body keeps tests apart), a
    callable gets the parsed message and returns a bool.  The path is set as
    the message's `maildir_path` attribute.  Raises TimeoutError after
    timeout seconds, listing how many messages the Maildir held.
    """
    maildir = Path(maildir)
    deadline = time.monotonic() + timeout
    checked = set()
    while True:
        for path in _message_files(maildir):
            if path.name in checked:
                continue
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue  # moved from new/ to cur/ meanwhile
            message = email.message_from_bytes(raw, policy=email.policy.default)
            if match is None:
                selected = True
            elif isinstance(match, str):
                selected = match.encode() in raw
            else:
                selected = bool(match(message))
            if selected:
                message.maildir_path = path
                return message
            checked.add(path.name)
        if time.monotonic() > deadline:
            count = len(list(_message_files(maildir)))
            raise TimeoutError(f"no message matching {match!r} in {maildir} after "
                               f"{timeout} s ({count} other messages there)")
        time.sleep(0.05)


def find_messages(maildir: Union[str, Path], token: str) -> list:
    """Return the paths of every message in maildir whose raw text contains token."""
    return [path for path in _message_files(Path(maildir)) if token.encode() in path.read_bytes()]


def read_maillog(path: Union[str, Path], offset: int = 0) -> str:
    """Return the log file's text from byte offset on, or "" while it does not exist."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def wait_for_maillog(path: Union[str, Path], text: str, offset: int = 0,
                     timeout: float = 10.0) -> str:
    """Wait until text appears in the log after offset, then return the log from offset."""
    deadline = time.monotonic() + timeout
    while True:
        log = read_maillog(path, offset)
        if text in log:
            return log
        if time.monotonic() > deadline:
            raise TimeoutError(f"{text!r} not in {path} after {timeout} s; "
                               f"log since offset {offset}:\n{log[-3000:]}")
        time.sleep(0.05)


# PROXY headers and a client that sends one ---------------------------------

PROXY_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_v2_header(source: tuple, destination: tuple) -> bytes:
    """Build a PROXY protocol v2 header for a TCP connection (PROXY command).

    source and destination are (address, port) of one IP family.
    """
    src = ipaddress.ip_address(source[0])
    dst = ipaddress.ip_address(destination[0])
    if src.version != dst.version:
        raise ValueError(f"source {src} and destination {dst} differ in IP version")
    family = 0x11 if src.version == 4 else 0x21  # TCP over IPv4 / IPv6
    body = src.packed + dst.packed + source[1].to_bytes(2, "big") + destination[1].to_bytes(2, "big")
    return PROXY_V2_SIGNATURE + bytes([0x21, family]) + len(body).to_bytes(2, "big") + body


def proxy_v1_header(source: tuple, destination: tuple) -> bytes:
    """Build a PROXY protocol v1 (text) header for a TCP connection."""
    src = ipaddress.ip_address(source[0])
    protocol = "TCP4" if src.version == 4 else "TCP6"
    return (f"PROXY {protocol} {source[0]} {destination[0]} "
            f"{source[1]} {destination[1]}\r\n").encode()


class ProxiedSMTP(smtplib.SMTP):
    """smtplib.SMTP that connects over TCP or a unix socket and sends a PROXY header first.

    address is (host, port) or a unix socket path; header may be b"" to send none.
    """

    def __init__(self, address, header: bytes, timeout: float = 10.0):
        self._address = address
        self._header = header
        super().__init__(timeout=timeout)
        self.connect("localhost")

    def _get_socket(self, host, port, timeout):
        if isinstance(self._address, (str, Path)):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(str(self._address))
        else:
            sock = socket.create_connection(self._address, timeout)
        if self._header:
            sock.sendall(self._header)
        return sock


def build_test_message(sender: str, recipient: str, token: str) -> bytes:
    """Return a small RFC 5322 message whose subject and body carry token."""
    return (f"From: <{sender}>\r\nTo: <{recipient}>\r\nSubject: test {token}\r\n"
            f"Message-ID: <{token}@client.test>\r\n\r\nbody {token}\r\n").encode()


def send_proxied_message(instance: PostfixInstance, address, header: bytes, token: str,
                         mechanism: str = "PLAIN") -> None:
    """Submit one message with AUTH to an smtpd that expects a PROXY header.

    Raises smtplib.SMTPException when Postfix rejects a step.
    """
    sender = f"sender@{instance.domain}"
    with ProxiedSMTP(address, header) as client:
        client.ehlo("client.test")
        if mechanism == "PLAIN":
            client.auth("PLAIN", lambda challenge=None:
                        f"\0{instance.user}\0{instance.password}", initial_response_ok=True)
        else:
            client.user, client.password = instance.user, instance.password
            client.auth("LOGIN", client.auth_login, initial_response_ok=False)
        client.sendmail(sender, [instance.recipient],
                        build_test_message(sender, instance.recipient, token))


# Self-test ----------------------------------------------------------------

def selftest(instance: PostfixInstance) -> list:
    """Prove the instance: PROXY v2/v1 over TCP and unix socket with AUTH, and no PROXY.

    Returns one line per check.  The first failure raises AssertionError,
    PostfixError or TimeoutError.
    """
    report = []
    client_ip = "127.0.0.2"
    cases = [
        ("tcp", ("127.0.0.1", instance.proxy_port), "v2", "PLAIN"),
        ("unix", str(instance.unix_socket), "v2", "LOGIN"),
        ("tcp", ("127.0.0.1", instance.proxy_port), "v1", "LOGIN"),
        ("unix", str(instance.unix_socket), "v1", "PLAIN"),
    ]
    for kind, address, version, mechanism in cases:
        token = f"selftest-{kind}-{version}-{mechanism}-{os.getpid()}-{time.time_ns()}"
        source = (client_ip, 40000 + len(report))
        destination = ("127.0.0.1", 587)
        build = proxy_v2_header if version == "v2" else proxy_v1_header
        send_proxied_message(instance, address, build(source, destination), token, mechanism)
        message = wait_for_message(instance.maildir, 10.0, token)
        received = message.get_all("Received")[0]
        assert f"[{client_ip}]" in received, f"Received header lacks [{client_ip}]: {received}"
        report.append(f"ok: PROXY {version} over {kind}, AUTH {mechanism}: {' '.join(received.split())}")

    offset = instance.maillog_size()
    with socket.create_connection(("127.0.0.1", instance.proxy_port), timeout=10) as sock:
        sock.sendall(b"EHLO client.test\r\n")
        reply = _read_until_closed(sock, 10.0)
    log = wait_for_maillog(instance.maillog_path, "disconnect from", offset, 10.0)
    report.append(f"ok: no PROXY header, client got {reply!r}; maillog:")
    report += ["    " + line for line in log.splitlines()]
    return report


def _read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


# Command line ---------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run a private Postfix instance for tests.")
    commands = parser.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", help="write the instance in DIR and start it")
    start.add_argument("dir", help="instance directory, created if missing (its parents must be "
                            "searchable by other users)")
    start.add_argument("--proxy-port", type=int, required=True,
                       help="127.0.0.1 port of the smtpd that expects a PROXY header")
    start.add_argument("--plain-port", type=int,
                       help="127.0.0.1 port of an extra smtpd without PROXY header")
    start.add_argument("--extensions-port", type=int,
                       help="127.0.0.1 port of an smtpd that expects a PROXY header and also "
                            "offers STARTTLS, XCLIENT and XFORWARD (needs --tls-certificate "
                            "and --tls-key)")
    start.add_argument("--xclient-port", type=int,
                       help="127.0.0.1 port of an smtpd without PROXY header that accepts "
                            f"XCLIENT from {XCLIENT_HOSTS}")
    start.add_argument("--tls-certificate", help="PEM certificate for STARTTLS")
    start.add_argument("--tls-key", help="PEM private key for STARTTLS")
    start.add_argument("--user", default="alice", help="SASL user name (default alice)")
    start.add_argument("--password", default="secret", help="SASL password (default secret)")
    start.add_argument("--domain", default=DEFAULT_DOMAIN,
                       help=f"virtual mailbox domain and SASL realm (default {DEFAULT_DOMAIN})")

    stop = commands.add_parser("stop", help="stop the instance in DIR")
    stop.add_argument("dir")
    test = commands.add_parser("selftest", help="send test mail through the running instance in DIR")
    test.add_argument("dir")
    remove = commands.add_parser("remove", help="stop the instance in DIR and delete DIR")
    remove.add_argument("dir")

    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            instance = start_instance(args.dir, args.proxy_port, args.user, args.password,
                                      args.plain_port, args.domain,
                                      extensions_port=args.extensions_port,
                                      xclient_port=args.xclient_port,
                                      tls_certificate=args.tls_certificate,
                                      tls_key=args.tls_key)
            print(json.dumps(instance.describe(), indent=2))
        elif args.command == "stop":
            stop_instance(args.dir)
        elif args.command == "selftest":
            print("\n".join(selftest(PostfixInstance.load(args.dir))))
        elif args.command == "remove":
            stop_instance(args.dir)
            shutil.rmtree(args.dir)
    except (PostfixError, AssertionError, TimeoutError, OSError, smtplib.SMTPException) as error:
        print(f"private_postfix.py {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
