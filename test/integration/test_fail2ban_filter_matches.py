"""dist/fail2ban/filter.d/subtls.conf matches each AUTH failure once, and nothing else.

Real sessions through the private Postfix write the log: AUTH failures from
127.0.0.2 and 127.0.0.3, one successful AUTH and a delivery.  fail2ban-regex
(Debian's fail2ban package) then reads the log file with the filter, in both
log formats.  auth_failures = 0 keeps subtls from banning, so every attempt
reaches Postfix's 535.
"""

import subprocess
from pathlib import Path

import pytest

from smtp_clients import plain_credentials, tls_session

REPOSITORY = Path(__file__).resolve().parents[2]
FILTER = REPOSITORY / "dist" / "fail2ban" / "filter.d" / "subtls.conf"
WRONG_PASSWORD = "wrong-battery-9"
FAILURES = [("127.0.0.2", "starttls"), ("127.0.0.2", "implicit"), ("127.0.0.3", "starttls")]


def authenticate(subtls, certificate, listener: str, source: str, user: str,
                 password: str) -> tuple:
    """Send AUTH PLAIN and QUIT; return the AUTH reply and the client address.

    The tests stop subtls before reading its log, and stopping drains the
    sessions, so every session's lines are in the file by then.
    """
    client, _ = tls_session(subtls, listener, certificate.certificate, source=source)
    address = client.local_address
    with client:
        reply = client.command(f"AUTH PLAIN {plain_credentials(user, password)}")
        client.command("QUIT")
    return reply, address


def fail2ban_regex(log: Path, output: str) -> subprocess.CompletedProcess:
    return subprocess.run(["fail2ban-regex", "--raw", "-o", output, str(log), str(FILTER)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_filter_matches_each_failure(start_subtls, postfix, certificate, log_format):
    subtls = start_subtls("unix", auth_failures="0", log_format=log_format)
    for source, listener in FAILURES:
        reply, _ = authenticate(subtls, certificate, listener, source, postfix.user,
                                WRONG_PASSWORD)
        assert reply[0].startswith("535"), reply
    reply, _ = authenticate(subtls, certificate, "implicit", "127.0.0.4", postfix.user,
                            postfix.password)
    assert reply[0].startswith("235"), reply
    subtls.stop()

    result = fail2ban_regex(subtls.log_path, "ip")

    assert result.returncode == 0, result.stdout + result.stderr
    hosts = result.stdout.split()
    assert hosts == [source for source, _ in FAILURES], result.stdout + subtls.log_text()


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_filter_ignores_other_lines(start_subtls, postfix, certificate, log_format):
    subtls = start_subtls("unix", auth_failures="0", log_format=log_format)
    reply, _ = authenticate(subtls, certificate, "starttls", "127.0.0.4", postfix.user,
                            postfix.password)
    assert reply[0].startswith("235"), reply
    subtls.stop()
    assert "auth ok" in subtls.log_text()

    result = fail2ban_regex(subtls.log_path, "ip")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [], result.stdout + subtls.log_text()


def test_filter_reads_ipv6_and_syslog_forms(tmp_path):
    """Address and prefix forms that loopback IPv4 tests cannot produce."""
    log = tmp_path / "mail.log"
    log.write_text(
        "Dec  5 02:30:00 mx subtls/submission[812]: s=5f3a-3 client=[2001:db8::7]:51234 "
        "auth failed mechanism=LOGIN failures=2\n"
        "2026-12-05T02:30:01.123Z subtls/smtps[812]: warning: s=5f3a-4 "
        "client=[::ffff:192.0.2.9]:40000 auth failed mechanism=PLAIN failures=1\n"
        '{"time":"2026-12-05T02:30:02.000Z","level":"warning","ident":"subtls/smtps",'
        '"listener":"smtps","msg":"auth failed","session":"5f3a-5",'
        '"client":"[2001:db8::8]:40001","mechanism":"PLAIN","failures":"1"}\n'
        "Dec  5 02:30:03 mx subtls/submission[812]: s=5f3a-6 client=192.0.2.10:1 "
        "auth ban key=192.0.2.10 failures=5 window=600s ban=3600s\n"
        "Dec  5 02:30:04 mx subtls/submission[812]: s=5f3a-7 client=192.0.2.11:1 "
        "auth ok user=auth\\x20failed mechanism=PLAIN\n")

    result = fail2ban_regex(log, "ip")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["2001:db8::7", "192.0.2.9", "2001:db8::8"], result.stdout
