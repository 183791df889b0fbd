"""connection_rate_per_client refuses a client that connects too often.

With connection_rate_per_client = 5 (connections a minute), five quick
sessions from 127.0.0.2 are served and the sixth gets "421 4.7.0 ... Too
many connections" with reason=connection_rate.  127.0.0.3 has its own
budget and still delivers.  A flood of refusals writes at most one warning
line a second, and the next line counts the lines left out.
"""

import time

from limit_checks import TOO_MANY_CONNECTIONS, deliver_from, idle_starttls_session, limit_lines
from session_log import close_fields
from smtp_clients import CLIENT_ADDRESS, LineClient

OTHER_ADDRESS = "127.0.0.3"
FLOOD = 20


def refused_session(subtls) -> str:
    """Connect from CLIENT_ADDRESS, expect the 421 and the close; return the client address."""
    with LineClient(subtls.starttls_port) as client:
        address = client.local_address
        assert client.read_reply() == [TOO_MANY_CONNECTIONS]
        assert client.is_closed(5.0), "subtls should close after the 421"
    return address


def test_connection_rate_limited(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", connection_rate_per_client="5", max_sessions_per_client="0")
    for _ in range(5):
        with idle_starttls_session(subtls, CLIENT_ADDRESS) as client:
            assert client.command("QUIT")[0].startswith("221")

    first = refused_session(subtls)
    assert close_fields(subtls, first).get("reason") == "connection_rate"
    deliver_from(subtls, postfix, certificate, "starttls", OTHER_ADDRESS)

    started = time.monotonic()
    flood = [refused_session(subtls) for _ in range(FLOOD)]
    flood_seconds = time.monotonic() - started
    for address in flood:
        assert close_fields(subtls, address).get("reason") == "connection_rate"
    warnings = limit_lines(subtls.log_text(), "connection_rate_per_client")
    # One line a second at most: the first refusal's, and one per second
    # that the flood lasted.
    assert 1 <= len(warnings) <= 2 + int(flood_seconds), (
        f"{len(warnings)} warning lines for {FLOOD + 1} refusals in {flood_seconds:.1f} s")
    assert warnings[0].get("value") == "5", warnings[0]
    assert warnings[0].get("key") == CLIENT_ADDRESS, warnings[0]

    time.sleep(1.1)
    last = refused_session(subtls)
    close_fields(subtls, last)
    warnings = limit_lines(subtls.log_text(), "connection_rate_per_client")
    assert warnings[-1].get("client") == last, warnings[-1]
    suppressed = sum(int(w.get("suppressed", "0")) for w in warnings)
    assert suppressed + len(warnings) == FLOOD + 2, (
        f"written plus suppressed lines should count every refusal: {warnings}")
