"""What `ask` and `talk` print in a terminal, from a turn's events.

The reply streams on stdout and is never split: a warning (a `Notice`, or a log line of
the console log handler once `taking_log_lines()` routes them here) that arrives while it
streams is printed after it ends. On a terminal (`live`), one status line is redrawn in
place (`\\r`, at most `TICK_S` apart): while recording the elapsed time and the input
level, then a spinner until the first word of the reply; it is wiped before anything
else is printed. Piped output gets plain lines and no escape codes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

from desktop_assistant.assistant.events import (
    Notice,
    RecordingCancelled,
    RecordingStarted,
    RecordingStopped,
    ReplyDelta,
    ReplyStarted,
    TranscriptPartial,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
    UserMessageStored,
)
from desktop_assistant.errors import ErrorKind
from desktop_assistant.terminal import inert

TICK_S = 0.1  # the status line is redrawn at most 10 times a second
RECORDING_HINT = "press Enter when you are done"
# What the engine tells a window user, said for a terminal user.
TERMINAL_WORDING = {"hold the button while you speak": "press Enter, speak, then press Enter again"}
METER_FLOOR_DB = -60.0
METER_CELLS = 10
CLEAR_LINE = "\r\x1b[K"


class Glyphs:
    def __init__(self, fancy: bool) -> None:
        self.dot = "●" if fancy else "*"
        self.full, self.empty = ("▮", "▯") if fancy else ("#", "-")
        self.spinner = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏" if fancy else "|/-\\"
        self.ellipsis = "…" if fancy else "..."


def is_live_terminal(stream: TextIO) -> bool:
    """A terminal that understands `\\r` and erase-line (not a pipe, a file or TERM=dumb)."""
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):
        return False


def encodes(stream: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def level_meter(dbfs: float, glyphs: Glyphs, cells: int = METER_CELLS) -> str:
    filled = round(cells * min(1.0, max(0.0, 1.0 - dbfs / METER_FLOOR_DB)))
    return glyphs.full * filled + glyphs.empty * (cells - filled)


def clock_text(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def terminal_wording(text: str) -> str:
    for window_words, terminal_words in TERMINAL_WORDING.items():
        text = text.replace(window_words, terminal_words)
    return text


class ConsolePrinter:
    """Prints a turn's events for a terminal: the reply as it streams, warnings once and
    never inside the reply, and (on a terminal) a live status line. Called on the engine's
    threads; `set_level` on the audio thread."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None, *, stream_reply: bool = True,
                 show_transcript: bool = False, show_failures: bool = False, live: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.stream_reply = stream_reply
        self.show_transcript = show_transcript
        self.show_failures = show_failures
        self.live = stream_reply and (is_live_terminal(self.out) if live is None else live)
        self.glyphs = Glyphs(encodes(self.out, "●▮▯⠋…") and encodes(self.err, "—…"))
        self._lock = threading.RLock()
        self._tick = threading.Condition(self._lock)
        self._noticed: set[str] = set()
        self._open_line = False  # the reply's last line has no newline yet
        self._replying = False  # a reply is streaming: warnings wait
        self._held: list[str] = []
        self._status: str | None = None  # "recording" | "transcribing" | "thinking"
        self._status_since = 0.0
        self._drawn = False  # the status line is on the screen
        self._level = METER_FLOOR_DB
        self._heard = ""  # the live transcript of the recording under way
        self._ticker: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------ events

    @property
    def noticed(self) -> frozenset[str]:
        """The kinds of notices printed so far."""
        return frozenset(self._noticed)

    def __call__(self, event: Any) -> None:
        with self._lock:
            self._handle(event)

    def _handle(self, event: Any) -> None:
        if isinstance(event, RecordingStarted):
            self._set_status("recording")
            if not self.live:
                self._print(f"{self.glyphs.dot} Recording{self.glyphs.ellipsis} {RECORDING_HINT}")
        elif isinstance(event, RecordingStopped):
            self._set_status(None)
            if self.live:
                self._print(f"{self.glyphs.dot} Recorded {event.duration_s:.1f} s")
            self._set_status("transcribing")
        elif isinstance(event, RecordingCancelled):
            self._set_status(None)
        elif isinstance(event, TranscriptPartial):
            if self._status == "recording":
                self._heard = inert(event.text)
                self._draw()
        elif isinstance(event, TranscriptReady):
            if self.show_transcript:
                self._print(f"you: {inert(event.text)}")
            self._set_status("thinking")
        elif isinstance(event, UserMessageStored | ReplyStarted):
            if not self._replying:
                self._set_status("thinking")
        elif isinstance(event, ReplyDelta) and self.stream_reply:
            self._set_status(None)
            self._replying = True
            if event.text:
                self.out.write(inert(event.text))  # a reply's terminal escapes are shown, never obeyed
                self.out.flush()
                self._open_line = not event.text.endswith("\n")
        elif isinstance(event, Notice) and event.kind not in self._noticed:
            self._noticed.add(event.kind)
            self._warn(f"desktop-assistant: warning: {inert(event.message)}")
        elif isinstance(event, TurnFinished):
            self.end_reply()
        elif isinstance(event, TurnFailed):
            self.end_reply()
            if self.show_failures and event.error.kind != ErrorKind.CANCELLED:
                self._warn(f"desktop-assistant: {inert(terminal_wording(str(event.error)))}")

    def set_level(self, dbfs: float) -> None:
        """The microphone's level (give this to the recorder as `on_level`)."""
        self._level = dbfs

    def warn(self, text: str) -> None:
        """A line for stderr (a warning, a log line: see `taking_log_lines`), after the reply if one streams."""
        with self._lock:
            self._warn(text)

    def end_reply(self) -> None:
        """The reply is over (finished, failed or stopped): end its line, then print what waited."""
        with self._lock:
            self._set_status(None)
            if self._open_line:
                self.out.write("\n")
                self.out.flush()
                self._open_line = False
            self._replying = False
            held, self._held = self._held, []
            for line in held:
                self._warn(line)

    def say(self, text: str) -> None:
        """A line of the command's own (help, "(stopped)"), printed where it does not break anything."""
        with self._lock:
            self._print(text)

    @contextlib.contextmanager
    def taking_log_lines(self) -> Iterator[None]:
        """Route the console log handler's lines through `warn` meanwhile."""
        from desktop_assistant.log import console_handler

        handler = console_handler()
        if handler is None:
            yield
            return
        handler.route_to(self.warn)
        try:
            yield
        finally:
            handler.route_to(None)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._set_status(None)
            self._tick.notify_all()
            ticker = self._ticker
        if ticker is not None:
            ticker.join(timeout=1.0)

    # ------------------------------------------------------------ output (with the lock held)

    def _print(self, text: str) -> None:
        self._wipe()
        if self._open_line:
            self.out.write("\n")
            self._open_line = False
        print(text, file=self.out, flush=True)
        self._draw()

    def _warn(self, text: str) -> None:
        if self._replying:
            self._held.append(text)
            return
        self._wipe()
        print(text, file=self.err, flush=True)
        self._draw()

    def _set_status(self, status: str | None) -> None:
        if status == self._status:
            return
        self._wipe()
        self._status = status
        self._status_since = time.monotonic()
        self._heard = ""
        if status is not None and self.live:
            self._draw()
            if self._ticker is None and not self._closed:
                self._ticker = threading.Thread(target=self._run_ticker, name="console-status", daemon=True)
                self._ticker.start()
            self._tick.notify_all()

    def _status_text(self, width: int = 80) -> str:
        g = self.glyphs
        elapsed = time.monotonic() - self._status_since
        if self._status == "recording":
            head = f"{g.dot} Recording {clock_text(elapsed)}  {level_meter(self._level, g)}  "
            if not self._heard:
                return head + RECORDING_HINT
            room = max(8, width - 1 - len(head))  # the newest words: the start gives way
            heard = self._heard if len(self._heard) <= room else g.ellipsis + self._heard[-(room - len(g.ellipsis)):]
            return head + heard
        spin = g.spinner[int(elapsed / TICK_S) % len(g.spinner)]
        return f"{spin} {'Transcribing' if self._status == 'transcribing' else 'Thinking'}{g.ellipsis}"

    def _draw(self) -> None:
        if self._status is None or not self.live:
            return
        width = shutil.get_terminal_size((80, 24)).columns
        self.out.write("\r" + self._status_text(width)[: max(1, width - 1)] + "\x1b[K")
        self.out.flush()
        self._drawn = True

    def _wipe(self) -> None:
        if self._drawn:
            self.out.write(CLEAR_LINE)
            self.out.flush()
            self._drawn = False

    def _run_ticker(self) -> None:
        with self._lock:
            while not self._closed:
                if self._status is None:
                    self._tick.wait()
                    continue
                self._tick.wait(TICK_S)
                if self._status is not None and not self._closed:
                    self._draw()
