"""Streaming chat completions from Groq, with bounded retries and errors the user understands.

`ChatClient.stream(messages, …)` returns a `ReplyStream`: iterate it for text deltas,
`close()` it from any thread to cancel. The SDK's own retries are off; this module
retries (before the first token only) honouring `retry-after`, and never waits more
than `retry_budget_s` in total. Every SDK/HTTP failure becomes a `UserFacingError`
with a `kind` of: no_key, auth, rate_limit, server, timeout, offline, cut, llm. A reply
the app cannot read (malformed JSON, the wrong shape, bytes that are not UTF-8) is the
server's fault: kind `server`. The key never leaves in an error: an endpoint may echo
the `Authorization` header in its error body, so every message is redacted here.
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import groq
import httpx

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.llm.request import ChatMessage as ChatMessage  # (re-exported: the callers' old path)
from desktop_assistant.llm.request import ChatOptions as ChatOptions
from desktop_assistant.log import redact

log = logging.getLogger(__name__)

NO_KEY_ACTION = "add your Groq API key in Settings or GROQ_API_KEY"
#: the most of a server's own words an error repeats (an error page can be kilobytes of HTML)
MAX_SAID = 240
#: what a chunk that cannot be read raises while it is taken apart (the SDK builds chunks without validating)
_UNREADABLE = (ValueError, TypeError, AttributeError, KeyError, IndexError)


def unreadable_reply(problem: str) -> UserFacingError:
    return UserFacingError(f"Groq sent a reply the app cannot read ({problem})", "try again", kind=ErrorKind.SERVER)


class ReplyStream:
    """An open streamed reply: iterate for text deltas; `close()` cancels (thread-safe)."""

    def __init__(self, sdk_stream: Any, scrub: Callable[[UserFacingError], UserFacingError] | None = None) -> None:
        self._sdk_stream = sdk_stream
        self._scrub = scrub or (lambda error: error)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._reading = False  # a thread is iterating: it closes the response itself when it ends
        self.finish_reason: str | None = None

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """Cancel from any thread. A reader waiting on the socket (for the next token) is woken by a
        shutdown and closes the response itself: closing the socket under it would leave it polling
        a closed descriptor until its read timeout (~CPython), which is what a Stop used to hit."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            reading = self._reading
        response = self._sdk_stream.response
        try:
            network = response.extensions.get("network_stream")
            sock = network.get_extra_info("socket") if network is not None else None
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except Exception:  # an already closed socket: nothing to wake
            log.debug("shutting the reply's socket down failed", exc_info=True)
        if not reading:
            self._close_response()

    def _close_response(self) -> None:
        try:
            self._sdk_stream.response.close()
        except Exception:  # closing a dying socket may fail; we are cancelling anyway
            log.debug("closing the reply stream failed", exc_info=True)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            if self._closed.is_set():
                return
            self._reading = True
        try:
            for chunk in self._sdk_stream:
                if self._closed.is_set():
                    return
                yield from self._texts(chunk)
        except (groq.APIError, httpx.HTTPError) as exc:
            if self._closed.is_set():
                return
            raise self._scrub(_stream_error(exc)) from None
        except _UNREADABLE as exc:  # JSON, UTF-8 or shape errors while reading the stream
            if self._closed.is_set():
                return
            log.info("unreadable reply from the LLM endpoint: %s: %s", type(exc).__name__, exc)
            raise self._scrub(unreadable_reply(_what(exc))) from None
        except Exception:
            if self._closed.is_set():  # reading a socket shut down under us
                return
            raise
        finally:
            with self._lock:
                self._closed.set()
                self._reading = False
            self._close_response()
        if self.finish_reason is None:
            raise UserFacingError("The reply from Groq was cut off", "try again", kind=ErrorKind.CUT)


    def _texts(self, chunk: Any) -> list[str]:
        """The text deltas of one chunk; raises one of `_UNREADABLE` for a chunk of the wrong shape."""
        texts = []
        for choice in chunk.choices or ():
            if choice.finish_reason:
                self.finish_reason = str(choice.finish_reason)
            text = choice.delta.content if choice.delta else None
            if text is not None and not isinstance(text, str):
                raise TypeError(f"content is {type(text).__name__}, not text")
            if text:
                texts.append(text)
        return texts


def _check_is_stream(sdk_stream: Any) -> None:
    """A 200 answer that is not an event stream (a network's sign-in page, a proxy, a wrong base URL)
    is refused at once, rather than read as a stream with nothing in it."""
    response = getattr(sdk_stream, "response", None)
    content_type = str(getattr(response, "headers", {}).get("content-type", "text/event-stream"))
    if content_type.split(";")[0].strip().lower() == "text/event-stream":
        return
    if response is not None:
        with contextlib.suppress(Exception):
            response.close()
    kind = content_type.split(";")[0].strip() or "an untyped body"
    raise UserFacingError(f"Groq sent a reply the app cannot read ({kind} instead of a stream)",
                          "check the network (a sign-in page?) and GROQ_BASE_URL, then try again",
                          kind=ErrorKind.SERVER)


def _what(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, ValueError):
        return "not valid JSON"
    return "not the expected shape"


def _stream_error(exc: Exception) -> UserFacingError:
    if isinstance(exc, httpx.TimeoutException):
        return UserFacingError("Groq stopped answering mid-reply", "try again", kind=ErrorKind.TIMEOUT)
    if isinstance(exc, groq.APIError) and not isinstance(exc, groq.APIConnectionError):
        return UserFacingError(f"Groq reported an error mid-reply: {exc.message}", "try again", kind=ErrorKind.SERVER)
    return UserFacingError("The reply from Groq was cut off", "try again", kind=ErrorKind.CUT)


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


def _said(exc: groq.APIStatusError) -> str:
    """What the server said: the `error.message` of a JSON body, else the SDK's text of the body."""
    body = exc.body
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if isinstance(message, str):
        return message
    return exc.message


def _one_line(text: str, limit: int = MAX_SAID) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def map_error(exc: Exception) -> UserFacingError:
    """Translate a groq/httpx exception into what the user is told."""
    if isinstance(exc, UserFacingError):
        return exc
    if isinstance(exc, groq.APITimeoutError):
        return UserFacingError("Groq did not answer in time", "check your connection and try again",
                               kind=ErrorKind.TIMEOUT)
    if isinstance(exc, groq.APIConnectionError):
        return UserFacingError("Cannot reach Groq", "check your internet connection", kind=ErrorKind.OFFLINE)
    if isinstance(exc, groq.AuthenticationError):
        return UserFacingError("The Groq API key was rejected (401)",
                               "check your Groq API key in Settings or GROQ_API_KEY", kind=ErrorKind.AUTH)
    if isinstance(exc, groq.RateLimitError):
        wait = _retry_after(exc.response.headers)
        action = f"retry in {max(1, math.ceil(wait))} s" if wait is not None else "wait a moment and retry"
        return UserFacingError("Groq rate limit reached", action, kind=ErrorKind.RATE_LIMIT)
    if isinstance(exc, groq.APIStatusError):
        if exc.status_code >= 500:
            return UserFacingError(f"Groq had a server problem ({exc.status_code})",
                                   "try again in a moment", kind=ErrorKind.SERVER)
        return UserFacingError(f"Groq refused the request ({exc.status_code}): {_said(exc)}",
                               "check the model name in Settings", kind=ErrorKind.LLM)
    if isinstance(exc, groq.APIError):
        return UserFacingError(f"Groq error: {exc.message}", "try again", kind=ErrorKind.SERVER)
    raise exc


class ChatClient:
    """Groq chat completions, streamed.

    `client_factory(api_key, base_url)` builds the SDK client (tests may swap it);
    `sleep(seconds, cancel)` waits between retries and returns early when cancelled.
    """

    def __init__(self, api_key: str | None, base_url: str | None = None, *,
                 connect_timeout: float = 5.0, read_timeout: float = 20.0,
                 retry_budget_s: float = 10.0, max_attempts: int = 4,
                 client_factory: Callable[..., Any] | None = None) -> None:
        self._api_key = api_key
        self._base_url = base_url or None
        self._timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=10.0, pool=5.0)
        self._retry_budget_s = retry_budget_s
        self._max_attempts = max_attempts
        self._factory = client_factory or self._default_factory
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> ChatClient:
        return cls(settings.groq_api_key, settings.groq_base_url, **kwargs)

    def _default_factory(self, api_key: str, base_url: str | None) -> groq.Groq:
        return groq.Groq(api_key=api_key, base_url=base_url, timeout=self._timeout, max_retries=0)

    def _sdk(self) -> Any:
        if not self._api_key:
            raise UserFacingError("No Groq API key", NO_KEY_ACTION, kind=ErrorKind.NO_KEY)
        with self._lock:
            if self._client is None:
                self._client = self._factory(self._api_key, self._base_url)
            return self._client

    def prepare(self) -> None:
        """Build the SDK client now (no network), so the first turn does not pay for it."""
        if self._api_key:
            self._sdk()

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None and hasattr(client, "close"):
            client.close()

    def stream(self, messages: Sequence[ChatMessage], options: ChatOptions,
               cancel: threading.Event | None = None) -> ReplyStream:
        """Open a streamed reply (retrying transient failures); raises UserFacingError."""
        sdk = self._sdk()
        cancel = cancel or threading.Event()
        deadline = time.monotonic() + self._retry_budget_s
        payload = [m.as_dict() for m in messages]
        if log.isEnabledFor(logging.DEBUG):  # sizes and roles only: conversations stay out of the log
            log.debug("chat request: model %s, %d messages (%s)", options.model, len(payload),
                      ", ".join(f"{m['role']} {len(str(m.get('content') or ''))} chars" for m in payload))
        attempt = 0
        while True:
            attempt += 1
            try:
                sdk_stream = sdk.chat.completions.create(
                    model=options.model, messages=payload, temperature=options.temperature,
                    max_tokens=options.max_tokens, stream=True,
                )
                _check_is_stream(sdk_stream)
                return ReplyStream(sdk_stream, self.scrub)
            except (groq.APIError, httpx.HTTPError) as exc:
                error = self.scrub(map_error(exc) if isinstance(exc, groq.APIError) else UserFacingError(
                    "Cannot reach Groq", "check your internet connection", kind=ErrorKind.OFFLINE))
                wait = self._retry_wait(exc, error, attempt)
                remaining = deadline - time.monotonic()
                if wait is None or attempt >= self._max_attempts or wait > remaining:
                    log.info("LLM request failed (attempt %d): %s", attempt, error)
                    raise error from None
                log.info("LLM request failed (%s); retrying in %.2f s", error.kind, wait)
                if cancel.wait(wait):
                    raise UserFacingError("Cancelled", kind=ErrorKind.CANCELLED) from None

    def scrub(self, error: UserFacingError) -> UserFacingError:
        """`error` on one line of bounded length, with the key (and anything shaped like a key) taken out."""
        message = _one_line(redact(error.message, [self._api_key]))
        action = redact(error.action, [self._api_key]) if error.action else error.action
        if message == error.message and action == error.action:
            return error
        return UserFacingError(message, action, kind=error.kind)

    @staticmethod
    def _retry_wait(exc: Exception, error: UserFacingError, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None when retrying is pointless."""
        if error.kind == ErrorKind.RATE_LIMIT:
            wait = _retry_after(getattr(getattr(exc, "response", None), "headers", None))
            return 1.0 if wait is None else wait
        if error.kind == ErrorKind.SERVER:
            wait = _retry_after(getattr(getattr(exc, "response", None), "headers", None))
            return wait if wait is not None else 0.5 * 2 ** (attempt - 1)
        if error.kind == ErrorKind.OFFLINE:
            return 0.3 if attempt == 1 else None
        return None
