"""SIGTERM while clients submit: every acknowledged message is delivered.

Eight client threads submit through both listeners to the private Postfix,
up to three messages per session and twenty per thread, for at most twenty
seconds.  Each message carries a unique token.  Once a few messages are
queued, subtls gets SIGTERM and stops accepting.  A session between
transactions gets "421 4.3.2 <hostname> Service shutting down" at once.  A
session inside a transaction finishes it and gets the 421 after the final
reply.
The clients pause inside each transaction, and the SIGTERM is sent while
one of them has read the 354 to DATA and not yet the final reply.

Afterwards every message for which a client read "250 ... queued as ID" must
be in the Maildir, with ID in its Received header, and every other message
must have ended with a 4xx reply or a closed connection: never a 5xx, and
never a 250 for a message that is not there.
"""

import re
import signal
import ssl
import threading
import time

from smtp_clients import build_message, dot_stuffed, plain_credentials, tls_session, unique_token
from subtls_process import HOSTNAME

THREADS = 8
MESSAGES_PER_THREAD = 20
MESSAGES_PER_SESSION = 3
RUN_LIMIT = 20.0
QUEUED_BEFORE_SIGTERM = 8
DRAIN_TIMEOUT = 10
SHUTTING_DOWN = f"421 4.3.2 {HOSTNAME} Service shutting down, closing transmission channel"
QUEUED = re.compile(r"^250 .*queued as (\w+)")
# Pauses that keep sessions inside a transaction (after the 354) most of
# the time, and between transactions now and then.
PAUSE_IN_TRANSACTION = 0.1
PAUSE_BETWEEN = 0.02


class Outcomes:
    """What the clients saw, per message token, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.queued = {}        # token -> queue id
        self.not_queued = {}    # token -> last reply, or "closed"
        self.shutdown_replies = 0
        self.sigterm_sent = None    # time.monotonic() of the SIGTERM
        self.queued_after_sigterm = 0
        self.in_data = 0            # sessions that read the 354 and have
                                    # not read the final reply yet

    def record(self, token: str, last_reply: str) -> None:
        with self.lock:
            match = QUEUED.match(last_reply)
            if match:
                self.queued[token] = match.group(1)
                if self.sigterm_sent is not None:
                    self.queued_after_sigterm += 1
            else:
                self.not_queued[token] = last_reply
            if last_reply == SHUTTING_DOWN:
                self.shutdown_replies += 1

    def queued_count(self) -> int:
        with self.lock:
            return len(self.queued)

    def change_in_data(self, change: int) -> None:
        with self.lock:
            self.in_data += change

    def ready_for_sigterm(self) -> bool:
        """Return whether enough messages are queued and a session is inside DATA."""
        with self.lock:
            return len(self.queued) >= QUEUED_BEFORE_SIGTERM and self.in_data > 0


def send_message(client, postfix, token: str, outcomes: Outcomes) -> str:
    """Send one message step by step; return the last reply line the client read."""
    content = build_message(token, postfix.recipient)
    for command in ("MAIL FROM:<sender@example.test>", f"RCPT TO:<{postfix.recipient}>", "DATA"):
        reply = client.command(command)[-1]
        if not reply.startswith(("250", "354")):
            return reply
    outcomes.change_in_data(1)
    try:
        time.sleep(PAUSE_IN_TRANSACTION)
        client.send(dot_stuffed(content))
        return client.read_reply()[-1]
    finally:
        outcomes.change_in_data(-1)


def submit_session(subtls, postfix, certificate, listener: str, outcomes: Outcomes,
                   label: str, budget: int) -> int:
    """Send up to budget messages in one session; return how many were tried."""
    client, _ = tls_session(subtls, listener, certificate.certificate)
    tried = 0
    with client:
        auth = client.command(f"AUTH PLAIN {plain_credentials(postfix.user, postfix.password)}")
        if not auth[0].startswith("235"):
            outcomes.record(unique_token(label), auth[0])
            return 1
        while tried < budget:
            token = unique_token(label)
            tried += 1
            try:
                reply = send_message(client, postfix, token, outcomes)
            except (ConnectionError, ssl.SSLError, OSError):
                outcomes.record(token, "closed")
                return tried
            outcomes.record(token, reply)
            if not reply.startswith("250"):
                return tried
            time.sleep(PAUSE_BETWEEN)
        client.command("QUIT")
    return tried


def client_thread(subtls, postfix, certificate, index: int, outcomes: Outcomes,
                  deadline: float) -> None:
    listener = "implicit" if index % 2 == 0 else "starttls"
    sent = 0
    while sent < MESSAGES_PER_THREAD and time.monotonic() < deadline:
        try:
            sent += submit_session(subtls, postfix, certificate, listener, outcomes,
                                   f"drain-{index}", min(MESSAGES_PER_SESSION,
                                                         MESSAGES_PER_THREAD - sent))
        except (ConnectionError, ssl.SSLError, OSError, AssertionError):
            # Refused or closed before a transaction began: subtls stopped.
            return


def test_sigterm_under_load_loses_nothing(start_subtls, postfix, certificate):
    subtls = start_subtls("unix", drain_timeout=f"{DRAIN_TIMEOUT}s")
    outcomes = Outcomes()
    deadline = time.monotonic() + RUN_LIMIT
    threads = [threading.Thread(target=client_thread,
                                args=(subtls, postfix, certificate, i, outcomes, deadline))
               for i in range(THREADS)]
    for thread in threads:
        thread.start()

    # The SIGTERM comes while a session is inside DATA, so that one
    # transaction is certain to be in progress.
    while not outcomes.ready_for_sigterm() and time.monotonic() < deadline:
        time.sleep(0.005)
    with outcomes.lock:
        outcomes.sigterm_sent = time.monotonic()
    subtls.process.send_signal(signal.SIGTERM)
    status = subtls.process.wait(DRAIN_TIMEOUT + 10)
    for thread in threads:
        thread.join(RUN_LIMIT + 10)

    assert status == 0, subtls.log_text()
    assert all(not thread.is_alive() for thread in threads)
    assert len(outcomes.queued) >= QUEUED_BEFORE_SIGTERM
    assert outcomes.shutdown_replies >= 1, outcomes.not_queued
    # Sessions inside a transaction at the SIGTERM finished it.
    assert outcomes.queued_after_sigterm >= 1
    for token, reply in outcomes.not_queued.items():
        assert reply == "closed" or reply.startswith("4"), (token, reply)
    for token, queue_id in outcomes.queued.items():
        message = postfix.wait_for_message(token, timeout=30.0)
        assert f" id {queue_id}" in str(message["Received"]), (token, queue_id)
