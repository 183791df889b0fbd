"""A client that pipelines commands before TLS and never reads stops being read.

Each NOOP costs the client 6 bytes and subtls a 14-byte reply.  subtls keeps
one batch of replies in flight, so once the client's receive buffer and the
kernel's send buffer are full, subtls stops reading and the client's send()
blocks.  Without that rule subtls read the whole flood and queued every reply:
12 MB of NOOPs grew its RSS from 4 MB to 48 MB in one run.
"""

import socket
import threading
import time

from test_relay_memory_bounded import no_asan_quarantine, rss_kib  # noqa: F401

# 30 MB of commands: more than the kernel's socket buffers on loopback take
# (a few MB each way), so the flood must stall once subtls stops reading.
FLOOD = b"NOOP\r\n" * 5_000_000
SEND_DEADLINE = 6.0
MAX_GROWTH_KIB = 4 * 1024


def test_noop_flood_is_not_buffered(start_subtls):
    subtls = start_subtls("unix", command_timeout="30s")
    pid = subtls.process.pid
    baseline = rss_kib(pid)

    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.bind(("127.0.0.2", 0))
    client.connect(("127.0.0.1", subtls.starttls_port))
    client.settimeout(SEND_DEADLINE)
    sent = [0]

    def flood() -> None:
        try:
            view = memoryview(FLOOD)
            while sent[0] < len(FLOOD):
                sent[0] += client.send(view[sent[0]:sent[0] + 65536])
        except OSError:
            pass  # the timeout or the close below ends the flood

    sender = threading.Thread(target=flood, daemon=True)
    sender.start()
    sender.join(SEND_DEADLINE / 2)
    time.sleep(0.5)
    growth = rss_kib(pid) - baseline
    stuck = sender.is_alive()
    client.close()
    sender.join(SEND_DEADLINE)

    assert stuck, f"the flood ended after {sent[0]} of {len(FLOOD)} bytes, RSS +{growth} KiB"
    assert sent[0] < len(FLOOD)
    assert growth < MAX_GROWTH_KIB, f"RSS grew by {growth} KiB while the client did not read"
