"""SMTP clients for the tests: a line-level socket client, swaks, curl and openssl s_client.

Clients bind to CLIENT_ADDRESS (127.0.0.2) where the tool allows it, so a
Received header that shows it proves that the PROXY header carried the
client's address: a Postfix that saw subtls's own connection would show
127.0.0.1.
"""

import base64
import email
import email.policy
import re
import socket
import ssl
import subprocess
import time
import uuid
from pathlib import Path
from typing import Optional

CLIENT_ADDRESS = "127.0.0.2"
SENDER = "sender@example.test"
TIMEOUT = 10.0


def unique_token(label: str) -> str:
    """Return a token that marks one test's message in the shared Maildir."""
    return f"{label}-{uuid.uuid4().hex[:12]}"


def build_message(token: str, recipient: str) -> bytes:
    return (f"From: <{SENDER}>\r\nTo: <{recipient}>\r\nSubject: test {token}\r\n"
            f"Message-ID: <{token}@client.test>\r\n\r\nbody {token}\r\n").encode()


def plain_credentials(user: str, password: str) -> str:
    """Return the base64 argument of AUTH PLAIN, without an authorization identity."""
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


def base64_text(text: str) -> str:
    """Return text in base64, as AUTH LOGIN sends the user name and the password."""
    return base64.b64encode(text.encode()).decode()


def dot_stuffed(content: bytes) -> bytes:
    """Return content as DATA sends it: a "." doubled at each line start, then ".\r\n".

    content must end with CRLF.
    """
    assert content.endswith(b"\r\n"), "DATA content must end with CRLF"
    stuffed = re.sub(rb"(?m)^\.", b"..", content)
    return stuffed + b".\r\n"


def maildir_form(content: bytes) -> bytes:
    """Return content as virtual(8) stores it in the Maildir: with LF line ends."""
    return content.replace(b"\r\n", b"\n")


def added_headers(message, content: bytes) -> bytes:
    """Return the header lines placed above the content that the client sent.

    message comes from wait_for_message(); the Maildir file must end with
    content byte for byte (in Maildir form), or AssertionError names both.
    """
    raw = message.maildir_path.read_bytes()
    stored = maildir_form(content)
    assert raw.endswith(stored), (
        f"{message.maildir_path} does not end with the content as sent:\n"
        f"expected end {stored[-300:]!r}\nstored end {raw[-300:]!r}")
    return raw[:len(raw) - len(stored)]


def received_headers(headers: bytes) -> list:
    """Return the Received values of header lines from added_headers(), unfolded, newest first."""
    parsed = email.message_from_bytes(headers + b"\n", policy=email.policy.default)
    return [" ".join(value.split()) for value in parsed.get_all("Received", [])]


def first_received(message) -> str:
    """Return the newest Received header (the one Postfix added), unfolded."""
    return " ".join(message.get_all("Received")[0].split())


def client_context(certificate: Path) -> ssl.SSLContext:
    """Return a TLS client context that trusts only the test certificate."""
    return ssl.create_default_context(cafile=str(certificate))


class LineClient:
    """An SMTP client at the level of lines, for dialogues that smtplib cannot produce."""

    def __init__(self, port: int, source: Optional[str] = CLIENT_ADDRESS,
                 timeout: float = TIMEOUT):
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout,
            source_address=(source, 0) if source else None)
        self.buffer = b""

    @classmethod
    def from_socket(cls, sock: socket.socket) -> "LineClient":
        """Wrap a connected socket, such as one created in another network namespace."""
        client = cls.__new__(cls)
        client.sock = sock
        client.buffer = b""
        return client

    @property
    def local_address(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"{host}:{port}"

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_line(self) -> bytes:
        """Return the next line with its CRLF.  Raise ConnectionError if the peer closes first."""
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"connection closed; unterminated data: {self.buffer!r}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line + b"\r\n"

    def read_reply(self) -> list:
        """Return the lines of one reply (multi-line replies use "250-"), without CRLF."""
        lines = []
        while True:
            line = self.read_line().decode("ascii", errors="replace").rstrip("\r\n")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines

    def command(self, line: str) -> list:
        self.send(line.encode() + b"\r\n")
        return self.read_reply()

    def starttls(self, context: ssl.SSLContext, server_hostname: str = "localhost") -> None:
        """Start the TLS handshake on the connection (after a 220 to STARTTLS)."""
        assert not self.buffer, f"bytes before the handshake: {self.buffer!r}"
        self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)

    def read_until_closed(self, timeout: float = TIMEOUT) -> bytes:
        """Read until the peer closes and return all unread bytes.  Raise TimeoutError after timeout."""
        data, self.buffer = self.buffer, b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                break
            except (ConnectionResetError, ssl.SSLError):
                return data
            if not chunk:
                return data
            data += chunk
        raise TimeoutError(f"connection still open after {timeout} s; received {data!r}")

    def read_available(self, wait: float) -> bytes:
        """Return the bytes that arrive within wait seconds, or b"" if none arrive."""
        data, self.buffer = self.buffer, b""
        self.sock.settimeout(wait)
        try:
            data += self.sock.recv(4096)
        except socket.timeout:
            pass
        finally:
            self.sock.settimeout(TIMEOUT)
        return data

    def is_closed(self, timeout: float = TIMEOUT) -> bool:
        try:
            self.read_until_closed(timeout)
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def implicit_tls_client(port: int, certificate: Path) -> LineClient:
    """Connect from CLIENT_ADDRESS and complete the TLS handshake at once (port 465 style)."""
    client = LineClient(port)
    client.starttls(client_context(certificate))
    return client


def tls_session(subtls, listener: str, certificate: Path, source: str = CLIENT_ADDRESS,
                helo: str = "client.test") -> tuple:
    """Connect to subtls's "implicit" or "starttls" listener, start TLS and send EHLO.

    Returns (client, EHLO reply after TLS).  The client sends the SNI
    localhost.  A step that fails raises AssertionError and closes the socket.
    """
    context = client_context(certificate)
    port = subtls.implicit_port if listener == "implicit" else subtls.starttls_port
    client = LineClient(port, source)
    try:
        if listener == "implicit":
            client.starttls(context)
            greeting = client.read_reply()
        else:
            greeting = client.read_reply()
            client.command(f"EHLO {helo}")
            reply = client.command("STARTTLS")
            assert reply[0].startswith("220"), f"expected 220 to STARTTLS, received {reply}"
            client.starttls(context)
        assert greeting[0].startswith("220"), f"expected a 220 greeting, received {greeting}"
        ehlo = client.command(f"EHLO {helo}")
        assert ehlo[-1].startswith("250 "), f"expected 250 to EHLO after TLS, received {ehlo}"
    except BaseException:
        client.close()
        raise
    return client, ehlo


def send_with_data(client: LineClient, recipients: list, content: bytes,
                   sender: str = SENDER) -> list:
    """Send MAIL, RCPT and DATA one at a time, then content; return every reply in order.

    The content follows only a 354 to DATA, so a rejected step ends early.
    """
    replies = [client.command(f"MAIL FROM:<{sender}>")]
    for recipient in recipients:
        replies.append(client.command(f"RCPT TO:<{recipient}>"))
    replies.append(client.command("DATA"))
    if replies[-1][0].startswith("354"):
        client.send(dot_stuffed(content))
        replies.append(client.read_reply())
    return replies


def send_with_bdat(client: LineClient, recipients: list, content: bytes, split: int,
                   sender: str = SENDER, mail_parameters: str = "") -> list:
    """Send MAIL, RCPT, "BDAT n" and "BDAT m LAST" with content in one write (RFC 3030).

    The first chunk contains the first split bytes of content.  Returns every
    reply in order: MAIL, each RCPT, then one per chunk.
    """
    first, last = content[:split], content[split:]
    commands = f"MAIL FROM:<{sender}>{mail_parameters}\r\n".encode()
    for recipient in recipients:
        commands += f"RCPT TO:<{recipient}>\r\n".encode()
    commands += f"BDAT {len(first)}\r\n".encode() + first
    commands += f"BDAT {len(last)} LAST\r\n".encode() + last
    client.send(commands)
    return [client.read_reply() for _ in range(len(recipients) + 3)]


def swaks(port: int, implicit_tls: bool, mechanism: str, user: str, password: str,
          recipient: str, token: str) -> subprocess.CompletedProcess:
    """Submit one message with swaks from CLIENT_ADDRESS and return the finished process."""
    command = [
        "swaks", "--server", f"127.0.0.1:{port}", "--local-interface", CLIENT_ADDRESS,
        "--tls-on-connect" if implicit_tls else "--tls",
        "--auth", mechanism, "--auth-user", user, "--auth-password", password,
        "--from", SENDER, "--to", recipient,
        "--header", f"Subject: test {token}", "--body", f"body {token}",
        "--timeout", "10",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def curl_send(url: str, mechanism: str, user: str, password: str, recipient: str,
              token: str, certificate: Path, extra: tuple = ()) -> subprocess.CompletedProcess:
    """Submit one message with curl from CLIENT_ADDRESS, verifying the test certificate."""
    command = [
        "curl", "--silent", "--show-error", "--url", url,
        "--interface", CLIENT_ADDRESS, "--cacert", str(certificate),
        "--user", f"{user}:{password}", "--login-options", f"AUTH={mechanism}",
        "--mail-from", SENDER, "--mail-rcpt", recipient,
        "--upload-file", "-", "--max-time", "20", *extra,
    ]
    return subprocess.run(command, input=build_message(token, recipient),
                          capture_output=True, timeout=30)


def s_client(port: int, arguments: tuple = (), stdin: bytes = b"",
             timeout: float = 20.0) -> subprocess.CompletedProcess:
    """Run openssl s_client against 127.0.0.1:port, feeding it stdin.  Output is decoded text."""
    command = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *arguments]
    result = subprocess.run(command, input=stdin, capture_output=True, timeout=timeout)
    result.stdout = result.stdout.decode(errors="replace")
    result.stderr = result.stderr.decode(errors="replace")
    return result


def handshake_completed(result: subprocess.CompletedProcess) -> bool:
    """Return whether s_client completed a TLS handshake.

    s_client prints the protocol it attempted even when the handshake fails, so
    only a negotiated cipher counts: a failure prints "Cipher is (NONE)".
    """
    negotiated = re.search(r"^New, (TLSv1(?:\.\d)?|SSLv3), Cipher is (?!\(NONE\))\S+",
                           result.stdout, re.MULTILINE)
    return negotiated is not None


def client_hello(certificate: Path, server_hostname: str = "localhost") -> bytes:
    """Return the first bytes a TLS client sends: its ClientHello record, made without a socket."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(certificate).wrap_bio(incoming, outgoing,
                                               server_hostname=server_hostname)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()
