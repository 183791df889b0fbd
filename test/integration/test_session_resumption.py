"""Clients resume TLS 1.2 and 1.3 sessions by ticket, on both listeners.

openssl s_client saves the session after a full handshake (-sess_out) and
offers it on the next connection (-sess_in).  It prints "Reused" when the
server accepted the ticket.  Tickets sealed with the keys of a
ticket_key_file resume on another subtls process that reads the same file,
as replicas behind one load balancer do, and not on one with other keys.
"""

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from smtp_clients import s_client

VERSIONS = {"TLS1.2": "-tls1_2", "TLS1.3": "-tls1_3"}


def write_ticket_keys(path: Path) -> Path:
    """Write a key file of one random key, as `openssl rand -base64 48` prints it."""
    key = subprocess.run(["openssl", "rand", "-base64", "48"], check=True,
                         capture_output=True, text=True, timeout=10).stdout
    path.write_text("# subtls ticket keys, newest first\n" + key)
    os.chmod(path, 0o600)
    return path


def connect(port: int, starttls: bool, version: str, session: Path, save: bool):
    """Run s_client once, saving (save) or offering the session in session."""
    arguments = [VERSIONS[version], "-sess_out" if save else "-sess_in", str(session)]
    if starttls:
        arguments += ["-starttls", "smtp"]
    # QUIT ends the SMTP session, and -ign_eof keeps s_client reading until
    # the server closes, so the NewSessionTicket that TLS 1.3 sends after the
    # handshake has arrived when it writes the session out.
    return s_client(port, (*arguments, "-ign_eof"), stdin=b"QUIT\r\n")


def reuse_line(result) -> str:
    """Return the "New, ..." or "Reused, ..." line of s_client's summary."""
    match = re.search(r"^(New|Reused), TLSv1\.\d, .*$", result.stdout, re.MULTILINE)
    assert match is not None, result.stdout + result.stderr
    return match.group(0)


@pytest.mark.parametrize("version", ["TLS1.2", "TLS1.3"])
@pytest.mark.parametrize("listener", ["implicit", "starttls"])
def test_ticket_resumes_session(start_subtls, tmp_path, version, listener):
    subtls = start_subtls("tcp")
    port = subtls.implicit_port if listener == "implicit" else subtls.starttls_port
    session = tmp_path / "session.pem"
    starttls = listener == "starttls"

    first = connect(port, starttls, version, session, save=True)
    second = connect(port, starttls, version, session, save=False)

    assert reuse_line(first).startswith(f"New, {version.replace('TLS', 'TLSv')}")
    assert reuse_line(second).startswith(f"Reused, {version.replace('TLS', 'TLSv')}")
    if version == "TLS1.3":
        assert "Resumption PSK:" in second.stdout


@pytest.mark.parametrize("version", ["TLS1.2", "TLS1.3"])
def test_replica_with_same_key_file_resumes(start_subtls, tmp_path, version):
    keys = write_ticket_keys(tmp_path / "ticket-keys")
    settings = f"ticket_key_file = {keys}\n"
    first_replica = start_subtls("tcp", tls_settings=settings)
    second_replica = start_subtls("tcp", tls_settings=settings)
    session = tmp_path / "session.pem"

    connect(first_replica.implicit_port, False, version, session, save=True)
    result = connect(second_replica.starttls_port, True, version, session, save=False)

    assert reuse_line(result).startswith("Reused,")


@pytest.mark.parametrize("version", ["TLS1.2", "TLS1.3"])
def test_replica_with_other_keys_does_not_resume(start_subtls, tmp_path, version):
    first_replica = start_subtls(
        "tcp", tls_settings=f"ticket_key_file = {write_ticket_keys(tmp_path / 'keys-a')}\n")
    second_replica = start_subtls(
        "tcp", tls_settings=f"ticket_key_file = {write_ticket_keys(tmp_path / 'keys-b')}\n")
    session = tmp_path / "session.pem"

    connect(first_replica.implicit_port, False, version, session, save=True)
    result = connect(second_replica.implicit_port, False, version, session, save=False)

    assert reuse_line(result).startswith("New,")


def test_older_key_in_file_still_decrypts(start_subtls, tmp_path):
    """A key moved down the file after rotation still opens its tickets."""
    old_keys = write_ticket_keys(tmp_path / "keys-old")
    rotated = tmp_path / "keys-rotated"
    write_ticket_keys(rotated)
    rotated.write_text(rotated.read_text() + old_keys.read_text())
    before = start_subtls("tcp", tls_settings=f"ticket_key_file = {old_keys}\n")
    after = start_subtls("tcp", tls_settings=f"ticket_key_file = {rotated}\n")
    session = tmp_path / "session.pem"

    connect(before.implicit_port, False, "TLS1.3", session, save=True)
    result = connect(after.implicit_port, False, "TLS1.3", session, save=False)

    assert reuse_line(result).startswith("Reused,")


def test_key_file_readable_by_everyone_rejected(start_subtls, tmp_path):
    keys = write_ticket_keys(tmp_path / "ticket-keys")
    os.chmod(keys, 0o644)

    with pytest.raises(RuntimeError, match="readable by every user"):
        start_subtls("tcp", tls_settings=f"ticket_key_file = {keys}\n")


def test_tls12_without_ticket_resumes_by_session_id(start_subtls, tmp_path):
    """The session-ID cache keeps more sessions than wolfSSL's own few."""
    subtls = start_subtls("tcp")
    sessions = [tmp_path / f"session-{number}.pem" for number in range(40)]
    for session in sessions:
        result = s_client(subtls.implicit_port,
                          ("-tls1_2", "-no_ticket", "-sess_out", str(session)), stdin=b"Q\n")
        assert reuse_line(result).startswith("New,")

    result = s_client(subtls.implicit_port,
                      ("-tls1_2", "-no_ticket", "-sess_in", str(sessions[0])), stdin=b"Q\n")

    assert reuse_line(result).startswith("Reused, TLSv1.2")


def test_ticket_outlives_rotation_of_its_key(start_subtls, tmp_path):
    """A random key that stopped encrypting still opens tickets within their lifetime.

    With ticket_lifetime = 4s the first key encrypts until second 4.  A ticket
    from second 3 is used at second 4.8, after the rotation: it must resume.
    The ticket from second 0 is older than the lifetime by then and must not.
    """
    subtls = start_subtls("tcp", tls_settings="ticket_lifetime = 4s\n")
    oldest, recent = tmp_path / "oldest.pem", tmp_path / "recent.pem"
    start = time.monotonic()

    connect(subtls.implicit_port, False, "TLS1.3", oldest, save=True)
    time.sleep(max(0.0, start + 3.0 - time.monotonic()))
    connect(subtls.implicit_port, False, "TLS1.3", recent, save=True)
    time.sleep(max(0.0, start + 4.8 - time.monotonic()))

    assert reuse_line(connect(subtls.implicit_port, False, "TLS1.3", recent,
                              save=False)).startswith("Reused,")
    assert reuse_line(connect(subtls.implicit_port, False, "TLS1.3", oldest,
                              save=False)).startswith("New,")
