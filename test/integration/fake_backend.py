"""A scripted backend on a unix socket, for behaviour that Postfix cannot produce.

Examples are a backend that stops reading, greets with 554 or closes at
once.  Each accepted connection runs handler(connection) in its own thread.
The connection has a timeout of TIMEOUT seconds, so a handler that waits
for bytes that never come ends with socket.timeout, which close() re-raises
in the test.
"""

import socket
import threading
from pathlib import Path
from typing import Callable

from private_postfix import PROXY_V2_SIGNATURE

TIMEOUT = 10.0
# Poll interval of the accept loop, so close() can stop it.
ACCEPT_POLL = 0.1


def receive_exactly(connection: socket.socket, count: int) -> bytes:
    """Return exactly count bytes.  Raise ConnectionError if the peer closes first."""
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise ConnectionError(f"peer closed after {len(data)} of {count} bytes: {data!r}")
        data += chunk
    return data


def read_proxy_v2_header(connection: socket.socket) -> bytes:
    """Return the whole PROXY v2 header that subtls sends first (16 bytes plus the addresses)."""
    fixed = receive_exactly(connection, 16)
    if not fixed.startswith(PROXY_V2_SIGNATURE):
        raise AssertionError(f"expected a PROXY v2 signature, received {fixed!r}")
    length = int.from_bytes(fixed[14:16], "big")
    return fixed + receive_exactly(connection, length)


class FakeBackend:
    """A unix socket server at path that runs handler(connection) per connection.

    backlog is the listen queue: a connect beyond it fails at once, so a
    test that opens many sessions together raises it.

    Use as a context manager.  close() stops accepting, waits for the
    handler threads and re-raises the first exception that a handler raised.
    """

    def __init__(self, path: Path, handler: Callable[[socket.socket], None],
                 backlog: int = 16):
        self.path = Path(path)
        self.handler = handler
        self.errors = []
        self._stopping = threading.Event()
        self._threads = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.path))
        self._server.listen(backlog)
        self._server.settimeout(ACCEPT_POLL)
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept_thread.start()

    @property
    def address(self) -> str:
        """The backend address for subtls's config."""
        return f"unix:{self.path}"

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            connection.settimeout(TIMEOUT)
            thread = threading.Thread(target=self._run, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, connection: socket.socket) -> None:
        try:
            self.handler(connection)
        except Exception as error:
            self.errors.append(error)  # close() re-raises it in the test
        finally:
            connection.close()

    def close(self, timeout: float = TIMEOUT + 5.0, raise_errors: bool = True) -> None:
        self._stopping.set()
        self._accept_thread.join(timeout)
        self._server.close()
        for thread in self._threads:
            thread.join(timeout)
        self.path.unlink(missing_ok=True)
        if raise_errors and self.errors:
            raise self.errors[0]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        # An exception of the test itself wins over the handlers' errors.
        self.close(raise_errors=exc_type is None)
