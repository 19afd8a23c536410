"""A loopback HTTP server speaking Groq's OpenAI-compatible streaming chat API.

`GroqServer` serves `POST /openai/v1/chat/completions` with SSE chunks and `[DONE]`,
like api.groq.com. What it does is set by a `GroqBehaviour`: reply text, time to
first token, token rate, an error status (with `retry-after`), a stream cut midway,
an empty reply. `queue` holds one-shot behaviours used before `default`.
Point the real `groq` client at `server.base_url`.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from .loopback import LoopbackServer, OwnedServer

CHAT_PATH = "/openai/v1/chat/completions"
DEFAULT_REPLY = ("Paris is the capital of France. It sits on the river Seine. "
                 "About two million people live in the city itself.")


@dataclass(frozen=True)
class GroqBehaviour:
    reply: str = DEFAULT_REPLY
    ttft_s: float = 0.0
    tokens_per_s: float | None = None  # None: as fast as possible
    status: int = 200
    retry_after: float | None = None
    error_message: str = "error"
    cut_after_tokens: int | None = None  # close the connection abruptly after N tokens
    finish_reason: str = "stop"
    #: raw bytes sent as one SSE event after `bad_event_after_tokens` tokens (a reply the client
    #: cannot read: malformed JSON, the wrong shape, bytes that are not UTF-8); the stream then goes on
    bad_event: bytes | None = None
    bad_event_after_tokens: int = 2
    #: put the request's `Authorization` header into the error body (an endpoint that echoes it)
    echo_authorization: bool = False
    #: answer with this body (and `status`, `content_type`) instead: a proxy's page, a non-streamed reply
    raw_body: bytes | None = None
    content_type: str = "text/html"
    #: answer "You asked: <the last user message>." instead of `reply` (which words a reply answers)
    echo_question: bool = False


def tokens_of(text: str) -> list[str]:
    """Split text into token-sized pieces (about 4 characters, with leading space)."""
    return re.findall(r"\s?\S{1,4}|\s+", text)


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OwnedServer

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        pass

    def do_POST(self) -> None:  # stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        owner = self.server.owner
        owner.received.append(ReceivedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        behaviour = owner.next_behaviour()
        if self.path != CHAT_PATH:
            self._json(404, {"error": {"message": f"Unknown path {self.path}", "type": "invalid_request_error"}})
            return
        if behaviour.raw_body is not None:
            self.send_response(behaviour.status)
            self.send_header("Content-Type", behaviour.content_type)
            self.send_header("Content-Length", str(len(behaviour.raw_body)))
            self.end_headers()
            self.wfile.write(behaviour.raw_body)
            return
        if behaviour.status != 200:
            headers = {}
            if behaviour.retry_after is not None:
                headers["retry-after"] = f"{behaviour.retry_after:g}"
            kind = "rate_limit_exceeded" if behaviour.status == 429 else "api_error"
            message = behaviour.error_message
            if behaviour.echo_authorization:
                message += f" (request had Authorization: {self.headers.get('Authorization')})"
            self._json(behaviour.status, {"error": {"message": message, "type": kind}}, headers)
            return
        self._stream(body, behaviour)

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _event(self, payload: dict[str, Any] | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        self._chunk(f"data: {text}\n\n".encode())

    def _stream(self, body: dict[str, Any], behaviour: GroqBehaviour) -> None:
        model = body.get("model", "test-model")
        base = {"id": "chatcmpl-loopback", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model, "system_fingerprint": "fp_loopback"}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            time.sleep(behaviour.ttft_s)
            self._event(chunk({"role": "assistant", "content": ""}))
            start = time.monotonic()
            step = 1.0 / behaviour.tokens_per_s if behaviour.tokens_per_s else 0.0
            reply = behaviour.reply
            if behaviour.echo_question:
                reply = f"You asked: {body['messages'][-1]['content'].rstrip('.?!')}. That is all."
            for n, token in enumerate(tokens_of(reply)):
                if behaviour.cut_after_tokens is not None and n >= behaviour.cut_after_tokens:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if step:
                    delay = start + n * step - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                if behaviour.bad_event is not None and n == behaviour.bad_event_after_tokens:
                    self._chunk(b"data: " + behaviour.bad_event + b"\n\n")
                self._event(chunk({"content": token}))
            self._event(chunk({}, behaviour.finish_reason))
            self._event("[DONE]")
            self._chunk(b"")
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True



class GroqServer(LoopbackServer):
    """Start with `with GroqServer() as server:`; `server.base_url` for the client."""

    def __init__(self, default: GroqBehaviour | None = None) -> None:
        self.default = default or GroqBehaviour()
        self.queue: deque[GroqBehaviour] = deque()
        self.received: list[ReceivedRequest] = []
        self._serve(_Handler, "groq-loopback")

    @property
    def base_url(self) -> str:
        return self.address

    def next_behaviour(self) -> GroqBehaviour:
        try:
            return self.queue.popleft()
        except IndexError:
            return self.default



def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
