"""STARTTLS inside TLS gets subtls's own 554, and the session goes on.

The extensions service of the private Postfix offers STARTTLS, so a
forwarded command would get Postfix's "220 2.0.0 Ready to start TLS" and
the session would break.  The unix service does not offer it.
"""

import pytest

from smtp_clients import tls_session


@pytest.mark.parametrize("listener", ["implicit", "starttls"])
@pytest.mark.parametrize("backend", ["unix", "extensions"])
def test_second_starttls_rejected(start_subtls, certificate, backend, listener):
    subtls = start_subtls(backend)

    client, _ = tls_session(subtls, listener, certificate.certificate)
    with client:
        reply = client.command("STARTTLS")
        # Checked here, because after a forwarded STARTTLS Postfix waits
        # for a handshake and closes on the next command.
        assert reply == ["554 5.5.1 Error: TLS already active"]
        noop = client.command("NOOP")
        quit_reply = client.command("QUIT")

    assert noop[0].startswith("250"), f"the session should go on after the 554: {noop}"
    assert quit_reply[0].startswith("221"), quit_reply
