"""A 20 MiB message passes each listener intact while subtls's memory stays flat.

subtls follows DATA content by counting and scanning it, never by keeping
it, so its resident set size (VmRSS) must stay near the value before the
message.  A sampler thread reads VmRSS every SAMPLE_INTERVAL seconds while
the client sends.  Postfix accepts up to private_postfix.MESSAGE_SIZE_LIMIT.
"""

import hashlib
import os
import smtplib
import threading

import pytest

from smtp_clients import CLIENT_ADDRESS, SENDER, client_context, unique_token
from subtls_process import vm_rss_kib

MESSAGE_BYTES = 20 * 1024 * 1024
LINE = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-=_+.,;:!?"
MAX_GROWTH_KIB = 16 * 1024
SAMPLE_INTERVAL = 0.05


@pytest.fixture(autouse=True)
def no_asan_quarantine(monkeypatch):
    """Let a subtls built with AddressSanitizer reuse freed memory at once.

    ASan's quarantine keeps freed buffers, so RSS would grow with every byte
    relayed.  A build without ASan ignores the variable.
    """
    options = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", f"{options}:quarantine_size_mb=0".lstrip(":"))


def large_message(token: str, recipient: str) -> bytes:
    header = (f"From: <{SENDER}>\r\nTo: <{recipient}>\r\nSubject: test {token}\r\n"
              f"Message-ID: <{token}@client.test>\r\n\r\n").encode()
    line = LINE + b"\r\n"
    return header + line * ((MESSAGE_BYTES - len(header)) // len(line))


def delivered_body(message) -> bytes:
    """Return the body as stored, with the Maildir's LF line ends turned back into CRLF."""
    raw = message.maildir_path.read_bytes()
    return raw.split(b"\n\n", 1)[1].replace(b"\n", b"\r\n")


class RssSampler(threading.Thread):
    """Reads the VmRSS of pid until stop is set and keeps the maximum."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.maximum = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.maximum = max(self.maximum, vm_rss_kib(self.pid))
            self.stop.wait(SAMPLE_INTERVAL)


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_20mb_message_memory_flat(start_subtls, postfix, certificate, listener):
    subtls = start_subtls("unix")
    token = unique_token(f"20mb-{listener}")
    message = large_message(token, postfix.recipient)
    context = client_context(certificate.certificate)

    if listener == "implicit":
        client = smtplib.SMTP_SSL("127.0.0.1", subtls.implicit_port, timeout=60,
                                  source_address=(CLIENT_ADDRESS, 0), context=context)
    else:
        client = smtplib.SMTP("127.0.0.1", subtls.starttls_port, timeout=60,
                              source_address=(CLIENT_ADDRESS, 0))
        client.starttls(context=context)
    with client:
        client.login(postfix.user, postfix.password)
        baseline = vm_rss_kib(subtls.process.pid)
        sampler = RssSampler(subtls.process.pid)
        sampler.start()
        try:
            refused = client.sendmail(SENDER, [postfix.recipient], message)
        finally:
            sampler.stop.set()
            sampler.join(5)

    print(f"\n{listener}: VmRSS {baseline} KiB before, at most {sampler.maximum} KiB while "
          f"{len(message) / 2**20:.1f} MiB passed")
    assert refused == {}
    assert sampler.maximum < baseline + MAX_GROWTH_KIB, (
        f"VmRSS grew from {baseline} KiB to {sampler.maximum} KiB")

    delivered = delivered_body(postfix.wait_for_message(token, timeout=60.0))
    sent_body = message.split(b"\r\n\r\n", 1)[1]
    assert len(delivered) == len(sent_body)
    assert hashlib.sha256(delivered).hexdigest() == hashlib.sha256(sent_body).hexdigest()
