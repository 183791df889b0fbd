"""SIGHUP reloads subtls without ending it or its open sessions.

SIGHUP's default action would end the process; administrators send it after
renewing a certificate, so it must never cost a session.
"""

import signal
import time

from smtp_clients import implicit_tls_client


def test_sighup_keeps_sessions_open(start_subtls, certificate):
    subtls = start_subtls("unix")

    with implicit_tls_client(subtls.implicit_port, certificate.certificate) as client:
        assert client.read_reply()[0].startswith("220 ")
        subtls.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert subtls.process.poll() is None, subtls.log_text()
        assert client.command("NOOP")[0].startswith("250 ")

    assert "SIGHUP: reloading" in subtls.log_text()
