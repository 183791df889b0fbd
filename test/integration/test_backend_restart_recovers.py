"""subtls rides out a Postfix restart and recovers by itself.

The test starts a Postfix of its own, so it can stop and start it.  While
Postfix is down:
  * a client that was between transactions reads a 421 before the close,
    never a silent close and never a 250;
  * a new session reads 421 4.3.2, and the address is logged as marked down.
When Postfix is back, subtls's background probe marks the address up again:
it sends a PROXY v2 LOCAL header, which Postfix's smtpd accepts as a
connection of subtls's own, reads the 220 greeting and sends QUIT.  The
next message is then delivered, without a restart or reload of subtls.
"""

import time

import pytest

import private_postfix
from conftest import SASL_PASSWORD, SASL_USER
from smtp_clients import (build_message, implicit_tls_client, plain_credentials,
                          send_with_data, tls_session, unique_token)
from session_log import close_fields
from subtls_process import HOSTNAME

RETRY_INTERVAL = 1.0
UNAVAILABLE = f"421 4.3.2 {HOSTNAME} Service not available, closing transmission channel"


@pytest.fixture
def own_postfix(work_dir, tmp_path):
    instance = private_postfix.start_instance(
        work_dir / f"postfix-restart-{tmp_path.name}",
        proxy_port=private_postfix.free_loopback_port(),
        user=SASL_USER, password=SASL_PASSWORD)
    yield instance
    private_postfix.instance_stop(instance)


def wait_for_log(subtls, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in subtls.log_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not logged after {timeout} s; log:\n{subtls.log_text()}")
        time.sleep(0.05)


def deliver(subtls, postfix, certificate, label: str) -> list:
    """Send one message through the implicit listener; return the reply to its content."""
    token = unique_token(label)
    client, _ = tls_session(subtls, "implicit", certificate.certificate)
    with client:
        assert client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")[0] \
            .startswith("235")
        replies = send_with_data(client, [postfix.recipient], build_message(token, postfix.recipient))
    assert replies[-1][0].startswith("250 "), replies
    postfix.wait_for_message(token)
    return replies


def test_postfix_restart_recovers(start_subtls, own_postfix, certificate):
    backend = f"unix:{own_postfix.unix_socket}"
    subtls = start_subtls(backend, retry_interval=f"{RETRY_INTERVAL:.0f}s")
    deliver(subtls, own_postfix, certificate, "before-restart")

    idle, _ = tls_session(subtls, "starttls", certificate.certificate)
    with idle:
        private_postfix.instance_stop(own_postfix)
        idle_reply = idle.read_reply()
        idle_closed = idle.is_closed(5.0)

    with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
        down_reply = client.read_reply()
    wait_for_log(subtls, f"backend={backend} marked down", 5.0)
    # Probes fail while Postfix is down; later sessions skip the address.
    time.sleep(3 * RETRY_INTERVAL)
    with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
        skipped_address = client.local_address
        skipped_reply = client.read_reply()
    up_while_down = f"backend={backend} up again" in subtls.log_text()

    own_postfix.postfix("start")
    private_postfix.wait_until_listening(own_postfix, 20.0)
    wait_for_log(subtls, f"backend={backend} up again", RETRY_INTERVAL + 10.0)
    deliver(subtls, own_postfix, certificate, "after-restart")

    assert idle_reply[-1].startswith("421 "), idle_reply
    assert idle_closed
    assert down_reply == [UNAVAILABLE]
    assert skipped_reply == [UNAVAILABLE]
    # Each worker learns on its own that an address is down, so with several
    # workers the session may land on one that still tries the address.
    skipped_reasons = ({"backend_down"} if subtls.config.workers in (None, "1")
                       else {"backend_down", "backend_unavailable"})
    assert close_fields(subtls, skipped_address)["reason"] in skipped_reasons
    assert not up_while_down
