"""A resumed session never gets around the policy of the listener it resumes on.

Tickets and cached TLS 1.2 sessions are bound to a digest of the listener's
policy.  A session from the legacy listener, with an AES-CBC suite, does not
resume on a strict listener of the same process, and a session from before a
reload that turned on verify_client = require does not resume afterwards:
both clients get a full handshake under the current policy.
"""

import re
import subprocess
from pathlib import Path

from smtp_clients import s_client
from test_reload_under_load import wait_for_log
from test_session_resumption import reuse_line

CBC_OR_GCM = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256"


def session_arguments(session: Path, save: bool, starttls: bool, extra=()) -> tuple:
    arguments = ["-tls1_2", "-sess_out" if save else "-sess_in", str(session), *extra]
    if starttls:
        arguments += ["-starttls", "smtp"]
    return (*arguments, "-ign_eof")


def negotiated_cipher(result) -> str:
    # s_client names the version of the suite (TLSv1.0 for the CBC ones),
    # not the protocol; the protocol is -tls1_2 throughout.
    match = re.search(r"^(?:New|Reused), TLSv1(?:\.\d)?, Cipher is (\S+)", result.stdout,
                      re.MULTILINE)
    assert match is not None, result.stdout + result.stderr
    return match.group(1)


def test_legacy_session_does_not_resume_on_strict_listener(start_subtls, tmp_path):
    subtls = start_subtls("tcp", implicit_tls_profile="legacy")
    for no_ticket in ((), ("-no_ticket",)):
        session = tmp_path / f"legacy{len(no_ticket)}.pem"
        extra = ("-cipher", CBC_OR_GCM, *no_ticket)

        # The legacy listener prefers nothing weaker than the client offers,
        # so offering CBC only makes the first session a CBC one.
        first = s_client(subtls.implicit_port, session_arguments(
            session, True, False, ("-cipher", "ECDHE-ECDSA-AES128-SHA", *no_ticket)),
            stdin=b"QUIT\r\n")
        second = s_client(subtls.starttls_port, session_arguments(
            session, False, True, extra), stdin=b"QUIT\r\n")

        assert negotiated_cipher(first) == "ECDHE-ECDSA-AES128-SHA"
        assert reuse_line(second).startswith("New,"), second.stdout
        assert negotiated_cipher(second) == "ECDHE-ECDSA-AES128-GCM-SHA256"


def make_client_ca(directory: Path) -> Path:
    key, certificate = directory / "client-ca.key", directory / "client-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out",
                    str(certificate), "-days", "2", "-subj", "/CN=subtls test client CA"],
                   check=True, capture_output=True, timeout=30)
    return certificate


def test_session_from_before_verify_client_does_not_resume(start_subtls, tmp_path):
    subtls = start_subtls("tcp")
    client_ca = make_client_ca(tmp_path)
    session = tmp_path / "before.pem"
    first = s_client(subtls.implicit_port, session_arguments(session, True, False),
                     stdin=b"QUIT\r\n")
    assert reuse_line(first).startswith("New,")

    subtls.config.tls_settings = f"client_ca = {client_ca}\nverify_client = require\n"
    subtls.config_path.write_text(subtls.config.render())
    subtls.reload()
    wait_for_log(subtls, r"reloaded ")
    second = s_client(subtls.implicit_port, session_arguments(session, False, False),
                      stdin=b"QUIT\r\n")

    assert "Reused," not in second.stdout, second.stdout
    assert not re.search(r"^220 ", second.stdout, re.MULTILINE), second.stdout
