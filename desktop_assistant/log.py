"""Logging: console + rotating `app.log`, with secrets redacted everywhere.

Redaction happens in the formatter, on the final text (message, arguments and
traceback together), so no handler can write a key even when a library logs
request headers. Registered secrets (the configured Groq key) are replaced
verbatim; `Authorization:` header values and anything shaped like a Groq key
are replaced by pattern.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

REDACTED = "[REDACTED]"
_PATTERNS = (
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer\s+)?[^\s'\",}]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"()gsk_[A-Za-z0-9]{8,}"),
)
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with each of `secrets` (longest first) and anything shaped like a key or an
    `Authorization` value replaced by "[REDACTED]"."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) or "") + REDACTED, text)
    return text


class Redactor:
    """Replaces known secrets and secret-shaped text in strings."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add_secret(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = list(self._secrets)
        return redact(text, secrets)


class RedactingFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor, fmt: str = _FORMAT) -> None:
        super().__init__(fmt)
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class RotatingLogFile(logging.FileHandler):
    """A log file that is moved to `<name>.1` (`.1` to `.2`, …, up to `backups`) once it has
    grown to `max_bytes`. Like `logging.handlers.RotatingFileHandler`, whose module costs
    ~5 ms of start-up (it imports socket, pickle and queue, which the app does not use);
    the size is checked before a line is written, so a file ends at most one line past it."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self._failing = False
        # text that came as undecodable bytes (a file name) is written as \xNN, not a logging error
        super().__init__(path, encoding="utf-8", errors="backslashreplace")
        self.max_bytes = max_bytes
        self.backups = backups

    def _open(self) -> io.TextIOWrapper:  # FileHandler's hook; the file is private to the user
        from desktop_assistant.paths import open_private

        fd = open_private(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        """A log file that cannot be written (disk full, removed, read-only) costs one warning
        line on the terminal (once), not a traceback per log line."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)
            return
        if not self._failing:
            self._failing = True
            stream = sys.stderr or sys.__stderr__
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    print(f"desktop-assistant: warning: cannot write the log file {self.baseFilename} "
                          f"({exc.strerror or exc}); log lines are dropped until it can be written",
                          file=stream, flush=True)

    def emit(self, record: logging.LogRecord) -> None:  # called with the handler's lock held
        try:
            if self.stream is not None and self.stream.tell() >= self.max_bytes:
                self._rotate()
        except OSError:
            self.handleError(record)
            return
        super().emit(record)

    def _rotate(self) -> None:
        if self.stream is not None:  # (emit checked)
            self.stream.close()
        self.stream = None  # reopened by FileHandler.emit
        base = self.baseFilename
        for i in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{i}"):
                os.replace(f"{base}.{i}", f"{base}.{i + 1}")
        if self.backups > 0:
            os.replace(base, f"{base}.1")
        else:
            os.remove(base)


class ConsoleHandler(logging.StreamHandler[TextIO]):
    """The console's log lines (stderr). A command that draws on the terminal (a streamed reply,
    a live status line) takes them with `route_to(write)` and prints each where it breaks nothing."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._route: Callable[[str], None] | None = None

    def route_to(self, write: Callable[[str], None] | None) -> None:
        self._route = write

    def emit(self, record: logging.LogRecord) -> None:
        route = self._route
        if route is None:
            super().emit(record)
            return
        try:
            route(self.format(record))
        except Exception:  # noqa: BLE001 - as StreamHandler.emit: a broken console must not raise
            self.handleError(record)


def console_handler() -> ConsoleHandler | None:
    """The console handler that `setup_logging` installed, if any."""
    return next((h for h in logging.getLogger().handlers if isinstance(h, ConsoleHandler)), None)


_OURS = "_desktop_assistant_handler"


def setup_logging(log_file: Path | None, *, debug: bool = False, console: bool = True,
                  redactor: Redactor | None = None) -> Redactor:
    """Configure the root logger; safe to call again (replaces our handlers)."""
    redactor = redactor or Redactor()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    formatter = RedactingFormatter(redactor)
    handlers: list[logging.Handler] = []
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(RotatingLogFile(log_file, max_bytes=2_000_000, backups=3))
    # In a windowed frozen app sys.stderr is None: no console handler then.
    if console and sys.stderr is not None:
        stream = ConsoleHandler(sys.stderr)
        stream.setLevel(logging.DEBUG if debug else logging.WARNING)
        handlers.append(stream)
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    # Chatty libraries stay at INFO unless debugging.
    for noisy in ("httpcore", "httpx", "urllib3", "faster_whisper", "hpack"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
    # The groq SDK logs every request's options (the system prompt and the whole conversation) at
    # DEBUG: conversations stay out of the log even when debugging (llm/client.py logs their size).
    logging.getLogger("groq").setLevel(logging.INFO)
    logging.captureWarnings(True)
    return redactor
