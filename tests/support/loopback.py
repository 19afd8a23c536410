"""A threaded HTTP server on 127.0.0.1 (free port) for the loopback test peers.

It knows its open connections: `wait_all_closed()` tells a test that the client under test hung
up every connection it opened (closed deterministically, not left to the garbage collector, whose
timing decides which later test an unclosed-socket ResourceWarning lands in), and `stop()` shuts
the ones still open and joins their handler threads, so no socket outlives the test.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class OwnedServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.connections: dict[socket.socket, threading.Thread] = {}
        self.connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                  name=f"{self.owner.name}-conn", daemon=True)
        with self.connections_lock:
            self.connections[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)  # shuts down and closes the socket
        with self.connections_lock:
            self.connections.pop(request, None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-answer (barge-in, timeouts, cut streams) are part of the tests


class LoopbackServer:
    """Owns the server thread; subclasses give the handler and use `self.address`."""

    name = "loopback"

    def _serve(self, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self.name = name
        self._server = OwnedServer(("127.0.0.1", 0), handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def open_connections(self) -> int:
        with self._server.connections_lock:
            return len(self._server.connections)

    def wait_all_closed(self, timeout: float = 5.0) -> bool:
        """True once every connection a client opened has been closed by the client (or never
        stayed open): a keep-alive connection stays open until the client closes it."""
        deadline = time.monotonic() + timeout
        while self.open_connections() and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.open_connections() == 0

    def start(self) -> Any:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        with self._server.connections_lock:
            left = dict(self._server.connections)
        for conn, thread in left.items():  # a client still holding a keep-alive connection
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)  # its handler reads EOF, closes the socket, ends
            thread.join(timeout=5)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
