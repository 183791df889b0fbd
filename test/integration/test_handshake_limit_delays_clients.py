"""max_handshakes_in_progress delays new handshakes; it does not refuse them.

With max_handshakes_in_progress = 2, two clients that connect to the
implicit TLS listener and send nothing take both handshake slots.  Then:
  * a new implicit TLS client waits in the kernel's backlog: subtls has not
    accepted it (no session line) until a slot frees, and then it completes
    the handshake and delivers through Postfix;
  * a STARTTLS client gets no reply to STARTTLS while the slots are taken,
    then the 220 once one frees, and completes TLS.
The limit writes its warning line for both kinds of listener.
"""

import socket
import threading
import time

from limit_checks import deliver_from, idle_starttls_session, limit_lines
from session_log import close_fields, session_lines, wait_for_log_text
from smtp_clients import CLIENT_ADDRESS, LineClient, client_context

OTHER_ADDRESS = "127.0.0.3"
WAIT = 1.0
HOLD_AFTER_STALL_SECONDS = 0.5


def stalled_handshakes(subtls, count: int) -> list:
    """Open count implicit TLS connections that send nothing, once subtls has accepted each."""
    stalled = []
    for _ in range(count):
        client = LineClient(subtls.implicit_port)
        stalled.append(client)
        wait_for_log_text(subtls, f"client={client.local_address} open")
    return stalled


def test_implicit_client_waits_in_backlog(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", max_handshakes_in_progress="2", handshake_timeout="30s",
                          max_sessions_per_client="0", connection_rate_per_client="0")
    stalled = stalled_handshakes(subtls, 2)
    waiting = LineClient(subtls.implicit_port, OTHER_ADDRESS)
    waiting_address = waiting.local_address
    result = {}

    def handshake() -> None:
        try:
            waiting.starttls(client_context(certificate.certificate))
            result["greeting"] = waiting.read_reply()
        except Exception as error:  # reported by the asserts below
            result["error"] = error

    thread = threading.Thread(target=handshake)
    try:
        thread.start()
        thread.join(WAIT)
        assert thread.is_alive(), f"the handshake did not wait for a slot: {result}"
        assert session_lines(subtls.log_text(), waiting_address) == [], (
            "subtls accepted a connection while every handshake slot was taken")
        warning = limit_lines(subtls.log_text(), "max_handshakes_in_progress")
        assert warning and warning[0].get("action") == "accept_paused", subtls.log_text()
        assert warning[0].get("value") == "2", warning[0]
        assert warning[0].get("listener") == "smtps", warning[0]

        freed = stalled.pop()
        freed_address = freed.local_address
        freed.close()
        close_fields(subtls, freed_address)
        thread.join(10)
        assert not thread.is_alive(), "the waiting handshake did not complete once a slot freed"
        assert "error" not in result, f"the waiting client failed: {result['error']!r}"
        assert result["greeting"][0].startswith("220 "), result
        waiting.command("QUIT")
    finally:
        waiting.close()
        for client in stalled:
            client.close()
    deliver_from(subtls, postfix, certificate, "implicit", OTHER_ADDRESS)


def test_starttls_reply_held_until_slot(start_subtls, certificate):
    subtls = start_subtls("unix", max_handshakes_in_progress="2", handshake_timeout="30s",
                          max_sessions_per_client="0", connection_rate_per_client="0")
    stalled = stalled_handshakes(subtls, 2)
    client = idle_starttls_session(subtls, OTHER_ADDRESS)
    try:
        assert client.command("EHLO client.test")[-1].startswith("250 ")
        client.send(b"STARTTLS\r\n")
        assert client.read_available(WAIT) == b"", "subtls answered STARTTLS without a slot"
        warning = [w for w in limit_lines(subtls.log_text(), "max_handshakes_in_progress")
                   if w.get("client") == client.local_address]
        assert warning and warning[0].get("action") == "starttls_held", subtls.log_text()

        stalled.pop().close()
        client.sock.settimeout(10)
        assert client.read_reply() == ["220 2.0.0 Ready to start TLS"]
        client.starttls(client_context(certificate.certificate))
        assert client.command("EHLO client.test")[-1].startswith("250 ")
    finally:
        client.close()
        for other in stalled:
            other.close()


def test_held_starttls_times_out(start_subtls):
    """A STARTTLS that waits longer than handshake_timeout gets 421 and a close."""
    subtls = start_subtls("unix", max_handshakes_in_progress="1", handshake_timeout="3s",
                          max_sessions_per_client="0", connection_rate_per_client="0")
    stalled = stalled_handshakes(subtls, 1)
    first = idle_starttls_session(subtls, CLIENT_ADDRESS)
    second = idle_starttls_session(subtls, OTHER_ADDRESS)
    try:
        # The first STARTTLS gets the slot when the stalled handshake times
        # out, and then stalls itself; the second waits behind it.  The
        # pause puts the stalled handshake's timeout well before the first
        # STARTTLS's: with several workers the freed slot reaches another
        # worker's loop a moment later, through its async handle.
        time.sleep(HOLD_AFTER_STALL_SECONDS)
        first.send(b"STARTTLS\r\n")
        wait_for_log_text(subtls, f"client={first.local_address} limit reached")
        second.send(b"STARTTLS\r\n")
        second.sock.settimeout(10)
        first.sock.settimeout(10)
        assert first.read_reply() == ["220 2.0.0 Ready to start TLS"]
        assert second.read_reply() == [
            "421 4.7.0 mail.example.com Too many TLS handshakes in progress, try again later"]
        assert second.is_closed(5.0), "subtls should close after the 421"
        assert close_fields(subtls, second.local_address).get("reason") == \
            "handshake_wait_timeout"
    except socket.timeout as error:
        raise AssertionError(f"no reply in time; log:\n{subtls.log_text()}") from error
    finally:
        first.close()
        second.close()
        for other in stalled:
            other.close()
