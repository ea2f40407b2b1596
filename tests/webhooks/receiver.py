"""A real HTTP server on 127.0.0.1 that records what it receives and answers as told:
the partner's end of a webhook, for tests."""

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict  # lower-cased names
    body: bytes


class Receiver:
    """Use as a context manager. `replies` are used in order, then `default`; while
    `hold()` is in force every request waits until `release()`."""

    def __init__(self, *, default: Reply | None = None, port: int = 0) -> None:
        self.default = default or Reply()
        self.received: list[Received] = []
        self.arrived = 0  # requests read, answered or still held
        self._replies: deque[Reply] = deque()
        self._lock = threading.Condition()
        self._open = threading.Event()
        self._open.set()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/servicedesk"

    def reply_with(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Wait until `count` requests have been answered; return them all."""
        self._wait(lambda: len(self.received) >= count, timeout, f"{count} answered requests")
        return list(self.received)

    def wait_for_arrival(self, count: int = 1, timeout: float = 30) -> None:
        """Wait until `count` requests have arrived, held ones included."""
        self._wait(lambda: self.arrived >= count, timeout, f"{count} arrived requests")

    def _wait(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {what}; answered {len(self.received)}, arrived {self.arrived}")
                self._lock.wait(left)

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.arrived += 1
                    receiver._lock.notify_all()
                # Held requests wait before they count as received: the sender is stuck
                # waiting for an answer, as with a slow partner.
                receiver._open.wait(timeout=120)
                with receiver._lock:
                    reply = receiver._replies.popleft() if receiver._replies else receiver.default
                    receiver.received.append(
                        Received(
                            method="POST",
                            path=self.path,
                            headers={name.lower(): value for name, value in self.headers.items()},
                            body=body,
                        )
                    )
                    receiver._lock.notify_all()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args) -> None:
                pass

        return Handler


@contextlib.contextmanager
def receiving(**kwargs):
    with Receiver(**kwargs) as receiver:
        yield receiver
