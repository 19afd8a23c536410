"""What `ask` and `talk` print (commands/console.py), fed events directly: the reply is never
split by a warning or a log line, the live status line is redrawn in place and wiped before
anything else, and piped output stays plain."""

from __future__ import annotations

import io
import logging
import os
import re
import threading
import time
from typing import Any

import pytest

from desktop_assistant.assistant.events import (
    Notice,
    RecordingStarted,
    RecordingStopped,
    ReplyDelta,
    ReplyStarted,
    TranscriptPartial,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
    TurnTimings,
)
from desktop_assistant.commands.console import TICK_S, ConsolePrinter
from desktop_assistant.errors import UserFacingError
from desktop_assistant.log import setup_logging

REPLY = ["Paris is ", "the capital ", "of France."]


class Tty(io.StringIO):
    """stdout and stderr of one terminal: one buffer; `isatty()` as asked."""

    def __init__(self, tty: bool = True) -> None:
        super().__init__()
        self.tty = tty
        self.draws = 0

    def isatty(self) -> bool:
        return self.tty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def write(self, s: str) -> int:
        self.draws += s.count("\r●") + len(re.findall(r"\r[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]", s))
        return super().write(s)


def rendered(text: str) -> list[str]:
    """The lines a terminal shows for `text`: `\\r` goes to the line's start, ESC[K erases to its end."""
    lines: list[str] = []
    for raw in text.split("\n"):
        line: list[str] = []
        col = 0
        for part in re.split(r"(\r|\x1b\[K)", raw):
            if part == "\r":
                col = 0
            elif part == "\x1b[K":
                del line[col:]
            else:
                line[col:col + len(part)] = list(part)
                col += len(part)
        lines.append("".join(line))
    return lines


def reply_with(printer: ConsolePrinter, middle: Any) -> None:
    """A turn whose reply streams with `middle()` happening after its first piece."""
    printer(ReplyStarted(1, 1, 2, "assistant"))
    for n, piece in enumerate(REPLY):
        printer(ReplyDelta(1, piece, "".join(REPLY[: n + 1])))
        if n == 0:
            middle()
    printer(TurnFinished(1, 1, 2, "".join(REPLY), "complete", "", TurnTimings()))


@pytest.mark.parametrize("tty", [True, False])
def test_a_notice_during_the_reply_comes_after_it(tty: bool) -> None:
    term = Tty(tty)
    printer = ConsolePrinter(term, term, live=tty)
    reply_with(printer, lambda: printer(Notice(1, "offline_voice", "Google's voice cannot be reached")))
    printer.close()
    assert rendered(term.getvalue()) == ["Paris is the capital of France.",
                                         "desktop-assistant: warning: Google's voice cannot be reached", ""]


def test_a_log_warning_during_the_reply_comes_after_it_and_hides_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    term = Tty(False)
    monkeypatch.setattr("sys.stderr", term)
    redactor = setup_logging(None, console=True)
    redactor.add_secret("gsk_secret_key_123456")
    printer = ConsolePrinter(term, term, show_failures=True)
    with printer.taking_log_lines():
        reply_with(printer, lambda: logging.getLogger("desktop_assistant.test").warning(
            "request failed with key %s", "gsk_secret_key_123456"))
    logging.getLogger("desktop_assistant.test").warning("after the turn")
    lines = rendered(term.getvalue())
    assert lines[0] == "Paris is the capital of France."
    assert lines[1].endswith("desktop_assistant.test: request failed with key [REDACTED]")
    assert lines[2].endswith("desktop_assistant.test: after the turn")  # printed as before, once released
    assert "gsk_secret" not in term.getvalue()


def test_the_status_line_is_redrawn_in_place_and_wiped_before_the_reply() -> None:
    term = Tty()
    printer = ConsolePrinter(term, term, show_transcript=True, live=True)
    printer(RecordingStarted(1))
    printer.set_level(-6.0)
    deadline = time.monotonic() + 10
    while term.draws < 3 and time.monotonic() < deadline:  # the ticker redraws on its own
        time.sleep(0.02)
    shown = rendered(term.getvalue())
    assert len(shown) == 1 and re.fullmatch(r"● Recording 0:0\d  ▮{9}▯  press Enter when you are done", shown[0])
    printer(RecordingStopped(1, 2.5))
    printer(TranscriptReady(1, "what is the capital of France", 100.0))
    assert re.fullmatch(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Thinking…", rendered(term.getvalue())[-1])
    reply_with(printer, lambda: None)
    printer.close()
    assert rendered(term.getvalue()) == ["● Recorded 2.5 s", "you: what is the capital of France",
                                         "Paris is the capital of France.", ""]


def test_the_words_heard_so_far_follow_the_recording_on_the_status_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback=(80, 24): os.terminal_size((60, 24)))
    term = Tty()
    printer = ConsolePrinter(term, term, show_transcript=True, live=True)
    printer(RecordingStarted(1))
    printer(TranscriptPartial(1, "what is", 1))
    assert re.fullmatch(r"● Recording 0:00  ▯{10}  what is", rendered(term.getvalue())[-1])
    printer(TranscriptPartial(1, "what is the capital of France and what is it famous for", 2))
    line = rendered(term.getvalue())[-1]
    assert len(line) <= 59 and line.endswith("what is it famous for") and "…" in line  # the newest words
    printer(RecordingStopped(1, 3.0))
    printer(TranscriptReady(1, "What is the capital of France, and what is it famous for?", 100.0))
    printer.close()
    shown = rendered(term.getvalue())
    assert shown[:2] == ["● Recorded 3.0 s", "you: What is the capital of France, and what is it famous for?"]


def test_piped_output_gets_no_partial_transcripts() -> None:
    out = Tty(False)
    printer = ConsolePrinter(out, Tty(False), show_transcript=True)
    printer(RecordingStarted(1))
    printer(TranscriptPartial(1, "what is", 1))
    printer(RecordingStopped(1, 2.0))
    printer(TranscriptReady(1, "What is it?", 100.0))
    printer.close()
    assert out.getvalue() == "● Recording… press Enter when you are done\nyou: What is it?\n"


def test_the_status_line_is_redrawn_at_most_ten_times_a_second() -> None:
    term = Tty()
    printer = ConsolePrinter(term, term, live=True)
    start = time.monotonic()
    printer(RecordingStarted(1))
    threading.Event().wait(1.0)
    printer.close()
    elapsed = time.monotonic() - start
    assert 1 <= term.draws <= elapsed / TICK_S + 2, (term.draws, elapsed)


def test_piped_output_is_plain_lines() -> None:
    out, err = Tty(False), Tty(False)
    printer = ConsolePrinter(out, err, show_transcript=True, show_failures=True)
    printer(RecordingStarted(1))
    printer(RecordingStopped(1, 2.0))
    printer(TranscriptReady(1, "hello", 100.0))
    reply_with(printer, lambda: None)
    printer.close()
    assert out.getvalue() == ("● Recording… press Enter when you are done\nyou: hello\n"
                              "Paris is the capital of France.\n")
    assert err.getvalue() == "" and out.draws == 0


def test_failures_use_terminal_words() -> None:
    term = Tty(False)
    printer = ConsolePrinter(term, term, show_failures=True)
    printer(TurnFailed(1, UserFacingError("I didn't hear anything", "hold the button while you speak",
                                          kind="no_speech")))
    printer(TurnFailed(2, UserFacingError("That was too short — hold the button while you speak", kind="input")))
    printer(TurnFailed(3, UserFacingError("Stopped", kind="cancelled")))
    assert term.getvalue().splitlines() == [
        "desktop-assistant: I didn't hear anything — press Enter, speak, then press Enter again",
        "desktop-assistant: That was too short — press Enter, speak, then press Enter again"]
