"""Checks on the session lines that subtls writes to stderr.

Every expectation about the log format is in this file, so a change of
format means one edit here.  What the tests rely on:
  * each line of a session contains `client=IP:PORT`, the client's address,
    and `s=ID`, the session id.
  * a session writes one line when it opens and one when it closes, at
    log_level = info.
  * the close line has key=value fields: listener, reason, tls (the protocol
    version, such as TLSv1.3), cipher and byte counters whose keys start with
    `bytes`.
"""

import re
import time

FIELD = re.compile(r'(\w+)=("[^"]*"|\S+)')


def parse_fields(line: str) -> dict:
    """Return the key=value fields of a log line; quotes around a value are removed."""
    return {key: value.strip('"') for key, value in FIELD.findall(line)}


def session_lines(log_text: str, client: str) -> list:
    """Return the log lines of the session whose client address is client ("IP:PORT")."""
    return [line for line in log_text.splitlines()
            if parse_fields(line).get("client") == client]


def is_close_line(line: str) -> bool:
    return "reason" in parse_fields(line)


def wait_for_session_close(process, client: str, timeout: float = 5.0) -> list:
    """Wait until the session of client has written its close line, then return its lines."""
    deadline = time.monotonic() + timeout
    while True:
        lines = session_lines(process.log_text(), client)
        if any(is_close_line(line) for line in lines):
            return lines
        if time.monotonic() > deadline:
            raise AssertionError(f"no close line for client={client} after {timeout} s; "
                                 f"log:\n{process.log_text()}")
        time.sleep(0.05)


def assert_session_logged(process, client: str, listener: str, tls_version: str,
                          reason_pattern: str = r".+") -> dict:
    """Assert the open and close lines of one session and return the close line's fields.

    reason_pattern is a regular expression that the whole close reason must match.
    """
    lines = wait_for_session_close(process, client)
    close_lines = [line for line in lines if is_close_line(line)]
    open_lines = [line for line in lines if not is_close_line(line)]

    assert len(close_lines) == 1, f"expected one close line for {client}:\n" + "\n".join(lines)
    assert len(open_lines) == 1, f"expected one open line for {client}:\n" + "\n".join(lines)
    assert lines.index(open_lines[0]) < lines.index(close_lines[0]), "\n".join(lines)
    # The open line names the listener as a field or in the ident (subtls/smtps).
    assert listener in open_lines[0], open_lines[0]

    fields = parse_fields(close_lines[0])
    assert fields.get("listener") == listener, close_lines[0]
    assert fields.get("tls") == tls_version, close_lines[0]
    assert fields.get("cipher") not in (None, "", "none"), close_lines[0]
    assert re.fullmatch(reason_pattern, fields.get("reason", "")), close_lines[0]

    byte_counters = {key: value for key, value in fields.items() if key.startswith("bytes")}
    assert byte_counters, f"no bytes* field in: {close_lines[0]}"
    assert all(value.isdigit() for value in byte_counters.values()), close_lines[0]
    assert sum(int(value) for value in byte_counters.values()) > 0, close_lines[0]
    return fields


def close_fields(process, client: str, timeout: float = 5.0) -> dict:
    """Wait for the close line of client's session and return its fields."""
    lines = wait_for_session_close(process, client, timeout)
    return parse_fields([line for line in lines if is_close_line(line)][-1])


def session_id(lines: list) -> str:
    """Return the session id (the s= field) that every line of one session carries."""
    ids = {parse_fields(line).get("s") for line in lines}
    assert None not in ids, "expected s=ID on every line of the session:\n" + "\n".join(lines)
    assert len(ids) == 1, "expected one session id in the session's lines:\n" + "\n".join(lines)
    return ids.pop()


def lines_containing(lines: list, text: str) -> list:
    """Return the lines that contain text."""
    return [line for line in lines if text in line]


def wait_for_log_text(process, text: str, timeout: float = 5.0) -> str:
    """Wait until text appears in subtls's log and return the first line containing it."""
    deadline = time.monotonic() + timeout
    while True:
        found = lines_containing(process.log_text().splitlines(), text)
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in the subtls log after {timeout} s; "
                                 f"log:\n{process.log_text()}")
        time.sleep(0.05)
