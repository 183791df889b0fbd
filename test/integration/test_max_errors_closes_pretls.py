"""max_errors closes a STARTTLS session after that many errors before TLS.

With max_errors = 3, three commands that need TLS get 530, and the next
command gets "421 4.7.0 ... Error: too many errors" and a close.  The limit
writes its warning line and the close line has reason=too_many_errors.
"""

from limit_checks import limit_lines
from session_log import close_fields
from smtp_clients import LineClient


def test_max_errors_closes_pretls(start_subtls):
    subtls = start_subtls("unix", max_errors="3")
    with LineClient(subtls.starttls_port) as client:
        address = client.local_address
        assert client.read_reply()[0].startswith("220 ")
        for _ in range(3):
            reply = client.command("MAIL FROM:<a@example.test>")
            assert reply[0].startswith("530 "), reply
        reply = client.command("NOOP")
        assert reply == ["421 4.7.0 mail.example.com Error: too many errors"]
        assert client.is_closed(5.0), "subtls should close after the 421"

    assert close_fields(subtls, address).get("reason") == "too_many_errors"
    warnings = limit_lines(subtls.log_text(), "max_errors")
    assert len(warnings) == 1, subtls.log_text()
    assert warnings[0].get("value") == "3", warnings[0]
    assert warnings[0].get("client") == address, warnings[0]
    assert warnings[0].get("listener") == "submission", warnings[0]
