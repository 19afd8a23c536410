"""Logging: console + rotating `app.log`, with secrets redacted everywhere.

Redaction happens in the formatter, on the final text (message, arguments and
traceback together), so no handler can write a key even when a library logs
request headers. Registered secrets (the configured Groq key) are replaced
verbatim; `Authorization:` header values and anything shaped like a Groq key
are replaced by pattern.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

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
        super().__init__(path, encoding="utf-8")
        self.max_bytes = max_bytes
        self.backups = backups

    def emit(self, record: logging.LogRecord) -> None:  # called with the handler's lock held
        try:
            if self.stream is not None and self.stream.tell() >= self.max_bytes:
                self._rotate()
        except OSError:
            self.handleError(record)
            return
        super().emit(record)

    def _rotate(self) -> None:
        self.stream.close()
        self.stream = None  # type: ignore[assignment] - reopened by FileHandler.emit
        base = self.baseFilename
        for i in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{i}"):
                os.replace(f"{base}.{i}", f"{base}.{i + 1}")
        if self.backups > 0:
            os.replace(base, f"{base}.1")
        else:
            os.remove(base)


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
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.DEBUG if debug else logging.WARNING)
        handlers.append(stream)
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    # Chatty libraries stay at INFO unless debugging.
    for noisy in ("httpcore", "httpx", "urllib3", "faster_whisper", "hpack"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
    logging.captureWarnings(True)
    return redactor
