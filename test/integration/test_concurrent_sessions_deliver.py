"""Many sessions at once on both listeners all deliver their message."""

import smtplib
from concurrent.futures import ThreadPoolExecutor

from smtp_clients import (CLIENT_ADDRESS, SENDER, build_message, client_context,
                          first_received, unique_token)

SESSIONS_PER_LISTENER = 15


def submit(port: int, implicit_tls: bool, context, postfix, token: str) -> dict:
    if implicit_tls:
        client = smtplib.SMTP_SSL("127.0.0.1", port, timeout=20,
                                  source_address=(CLIENT_ADDRESS, 0), context=context)
    else:
        client = smtplib.SMTP("127.0.0.1", port, timeout=20, source_address=(CLIENT_ADDRESS, 0))
        client.starttls(context=context)
    with client:
        client.login(postfix.user, postfix.password)
        return client.sendmail(SENDER, [postfix.recipient], build_message(token, postfix.recipient))


def test_concurrent_sessions_deliver(start_subtls, postfix, certificate):
    subtls = start_subtls("tcp")
    context = client_context(certificate.certificate)
    jobs = []
    for number in range(SESSIONS_PER_LISTENER):
        jobs.append((subtls.implicit_port, True, unique_token(f"concurrent-465-{number}")))
        jobs.append((subtls.starttls_port, False, unique_token(f"concurrent-587-{number}")))

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(
            lambda job: submit(job[0], job[1], context, postfix, job[2]), jobs))

    assert results == [{}] * len(jobs)
    for _, _, token in jobs:
        assert f"[{CLIENT_ADDRESS}]" in first_received(postfix.wait_for_message(token))
