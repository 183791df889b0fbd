"""dist/fail2ban/filter.d/subtls.conf matches each AUTH failure once, and nothing else.

Real sessions through the private Postfix write the log: AUTH failures from
127.0.0.2 and 127.0.0.3, one successful AUTH and a delivery.  fail2ban-regex
(Debian's fail2ban package) then reads the log with the filter, in both log
formats, once as subtls wrote it and once in each form that syslog or
fail2ban's systemd backend would give the same lines.  auth_failures = 0
keeps subtls from banning, so every attempt reaches Postfix's 535.

fail2ban 1.0.2's systemd backend (filtersystemd.py, formatJournalEntry)
passes each entry as "HOSTNAME IDENT[PID]: MESSAGE" with the journal's time
apart, so that form is read with date detection off ("-d {NONE}").
"""

import json
import re
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


# "<UTC time> <ident>[<pid>]: <level>: <message>", subtls's text line on stderr.
TEXT_LINE = re.compile(r"^(?P<stamp>\S+) (?P<ident>subtls\S*)\[(?P<pid>\d+)\]: "
                       r"(?P<level>\w+): (?P<message>.*)$")
SYSLOG_TIME = "Dec  5 02:30:00"
JOURNAL_HOST = "mx"

# Sets JOURNAL_STREAM to the device and inode of stderr, as systemd does
# when stderr is the journal, then execs subtls, which keeps the pid.
JOURNAL_STREAM_PREFIX = ("sh", "-c",
                         'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec "$@"', "sh")


def fail2ban_regex(log: Path, output: str, date_pattern: str = "") -> subprocess.CompletedProcess:
    options = ["-d", date_pattern] if date_pattern else []
    return subprocess.run(["fail2ban-regex", "--raw", *options, "-o", output, str(log),
                           str(FILTER)],
                          capture_output=True, text=True, timeout=60)


def message_and_ident(line: str, log_format: str) -> tuple:
    """Return the syslog message and ident of a stderr line, or None for other lines."""
    if log_format == "json":
        if not line.startswith("{"):
            return None
        return line, json.loads(line)["ident"]
    match = TEXT_LINE.match(line)
    if match is None:
        return None
    return match["message"], match["ident"]


def log_forms(lines: list, log_format: str, pid: int) -> dict:
    """Return {form: (lines, fail2ban-regex date pattern)} for stderr lines.

    syslog sends the message alone, and its header names the listener's
    ident.  The journal keeps a stderr line whole behind the ident "subtls"
    (the executable's name).
    """
    syslog = [message_and_ident(line, log_format) for line in lines]
    syslog = [entry for entry in syslog if entry is not None]
    return {
        "file": (lines, ""),
        "syslog file": ([f"{SYSLOG_TIME} {JOURNAL_HOST} {ident}[{pid}]: {message}"
                         for message, ident in syslog], ""),
        "journal, log = syslog": ([f"{JOURNAL_HOST} {ident}[{pid}]: {message}"
                                   for message, ident in syslog], "{NONE}"),
        "journal, log = stderr": ([f"{JOURNAL_HOST} subtls[{pid}]: {line}" for line in lines],
                                  "{NONE}"),
    }


def matched_hosts(tmp_path: Path, name: str, lines: list, date_pattern: str) -> list:
    log = tmp_path / (re.sub(r"\W+", "-", name) + ".log")
    log.write_text("".join(line + "\n" for line in lines))
    result = fail2ban_regex(log, "ip", date_pattern)
    assert result.returncode == 0, f"{name}: " + result.stdout + result.stderr
    return result.stdout.split()


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_filter_matches_each_failure(start_subtls, postfix, certificate, log_format, tmp_path):
    subtls = start_subtls("unix", auth_failures="0", log_format=log_format)
    for source, listener in FAILURES:
        reply, _ = authenticate(subtls, certificate, listener, source, postfix.user,
                                WRONG_PASSWORD)
        assert reply[0].startswith("535"), reply
    reply, _ = authenticate(subtls, certificate, "implicit", "127.0.0.4", postfix.user,
                            postfix.password)
    assert reply[0].startswith("235"), reply
    pid = subtls.process.pid
    subtls.stop()
    lines = subtls.log_text().splitlines()
    expected = [source for source, _ in FAILURES]

    for name, (form_lines, date_pattern) in log_forms(lines, log_format, pid).items():
        hosts = matched_hosts(tmp_path, name, form_lines, date_pattern)
        assert hosts == expected, f"{name}:\n" + "\n".join(form_lines)


def test_filter_matches_journal_without_time(start_subtls, postfix, certificate, tmp_path):
    """With stderr in the journal, subtls leaves out its time stamp."""
    subtls = start_subtls("unix", command_prefix=JOURNAL_STREAM_PREFIX, auth_failures="0")
    for source, listener in FAILURES:
        reply, _ = authenticate(subtls, certificate, listener, source, postfix.user,
                                WRONG_PASSWORD)
        assert reply[0].startswith("535"), reply
    pid = subtls.process.pid
    subtls.stop()
    lines = [line for line in subtls.log_text().splitlines() if "auth failed" in line]
    assert len(lines) == len(FAILURES), subtls.log_text()
    for line in lines:
        assert line.startswith("subtls/"), line
        assert f"[{pid}]: warning: s=" in line, line

    journal = [f"{JOURNAL_HOST} subtls[{pid}]: {line}" for line in lines]
    hosts = matched_hosts(tmp_path, "journal", journal, "{NONE}")

    assert hosts == [source for source, _ in FAILURES], "\n".join(journal)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_filter_ignores_other_lines(start_subtls, postfix, certificate, log_format, tmp_path):
    subtls = start_subtls("unix", auth_failures="0", log_format=log_format)
    reply, _ = authenticate(subtls, certificate, "starttls", "127.0.0.4", postfix.user,
                            postfix.password)
    assert reply[0].startswith("235"), reply
    subtls.stop()
    assert "auth ok" in subtls.log_text()

    pid = subtls.process.pid
    lines = subtls.log_text().splitlines()

    for name, (form_lines, date_pattern) in log_forms(lines, log_format, pid).items():
        hosts = matched_hosts(tmp_path, name, form_lines, date_pattern)
        assert hosts == [], f"{name}:\n" + "\n".join(form_lines)


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


IPV6_LINES = {
    "text": [
        "2026-12-05T02:30:00.123Z subtls/submission[812]: warning: s=5f3a-3 "
        "client=[2001:db8::7]:51234 auth failed mechanism=LOGIN failures=2",
        "2026-12-05T02:30:01.123Z subtls/smtps[812]: warning: s=5f3a-4 "
        "client=[::1]:40000 auth failed mechanism=PLAIN failures=1",
        "2026-12-05T02:30:02.123Z subtls/smtps[812]: info: s=5f3a-5 "
        "client=[2001:db8::9]:40001 auth ok user=a mechanism=PLAIN",
    ],
    "json": [
        '{"time":"2026-12-05T02:30:00.123Z","level":"warning","ident":"subtls/submission",'
        '"listener":"submission","msg":"auth failed","session":"5f3a-3",'
        '"client":"[2001:db8::7]:51234","mechanism":"LOGIN","failures":"2"}',
        '{"time":"2026-12-05T02:30:01.123Z","level":"warning","ident":"subtls/smtps",'
        '"listener":"smtps","msg":"auth failed","session":"5f3a-4",'
        '"client":"[::1]:40000","mechanism":"PLAIN","failures":"1"}',
        '{"time":"2026-12-05T02:30:02.123Z","level":"info","ident":"subtls/smtps",'
        '"listener":"smtps","msg":"auth ok","session":"5f3a-5",'
        '"client":"[2001:db8::9]:40001","user":"a","mechanism":"PLAIN"}',
    ],
}


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_filter_reads_ipv6_in_every_form(tmp_path, log_format):
    """IPv6 clients, which the loopback IPv4 sessions above cannot produce."""
    forms = log_forms(IPV6_LINES[log_format], log_format, 812)

    for name, (form_lines, date_pattern) in forms.items():
        hosts = matched_hosts(tmp_path, name, form_lines, date_pattern)
        assert hosts == ["2001:db8::7", "::1"], f"{name}:\n" + "\n".join(form_lines)
