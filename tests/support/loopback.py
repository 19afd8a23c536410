"""A threaded HTTP server on 127.0.0.1 (free port) for the loopback test peers."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class OwnedServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: Any

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-answer (barge-in, timeouts, cut streams) are part of the tests


class LoopbackServer:
    """Owns the server thread; subclasses give the handler and use `self.address`."""

    def _serve(self, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self._server = OwnedServer(("127.0.0.1", 0), handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Any:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
