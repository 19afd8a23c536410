"""`talk` in a real terminal (a tmux pane): what the user sees while recording, waiting and
reading the reply, with the loopback Groq, the null-sink microphone and a Google voice that
cannot be reached (its notice fires while the reply streams)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_assistant.speech.tts import OFFLINE_NOTICE
from tests.support.audio import FIXTURES, SENTENCES, SINK_MAX_WER, play_into_sink
from tests.support.groq_server import DEFAULT_REPLY, GroqBehaviour, GroqServer, closed_port_url
from tests.support.terminal import TmuxTerminal
from tests.support.wer import word_error_rate

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]
KEY = "gsk_terminal_test_key_0123456789"
WARNING = f"desktop-assistant: warning: {OFFLINE_NOTICE}"
# the hint until the first words are heard, then the words heard so far (the live transcript)
RECORDING_LINE = re.compile(r"● Recording (\d+):(\d\d)  ([▮▯]{10})  (press Enter when you are done|.+)")
SPINNER = re.compile(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] (Thinking|Transcribing)…")


@pytest.fixture
def terminal(tmp_path: Path, groq_server: GroqServer) -> Iterator[TmuxTerminal]:
    """`talk` (speaking, TTS_ENGINE=gtts) in a 100×40 tmux pane; gTTS's requests go to a closed
    proxy port, as offline, so the offline voice speaks and its notice fires at the first sentence.
    The reply arrives after 1 s and streams for ~4 s."""
    groq_server.default = GroqBehaviour(ttft_s=1.0, tokens_per_s=8)
    env = {**os.environ, "PYTHONPATH": str(REPO), "LC_ALL": "C.UTF-8", "GROQ_API_KEY": KEY,
           "GROQ_BASE_URL": groq_server.base_url, "TTS_ENGINE": "gtts", "HTTPS_PROXY": closed_port_url(),
           "https_proxy": closed_port_url(), "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    term = TmuxTerminal(tmp_path, [sys.executable, "-m", "desktop_assistant", "talk", "--speak"], env)
    try:
        yield term
    finally:
        term.close()


def at_prompt(screen: str) -> bool:
    return screen.rstrip().endswith("\n>")


def assert_reply_unbroken(lines: list[str]) -> None:
    """The reply is one line of its own, the notice a line of its own after it."""
    assert DEFAULT_REPLY in lines, "the reply was split:\n" + "\n".join(lines)
    assert lines.count(WARNING) == 1, "\n".join(lines)
    assert lines.index(WARNING) > lines.index(DEFAULT_REPLY)


def assert_no_status_left(lines: list[str]) -> None:
    shown = "\n".join(lines)
    assert not RECORDING_LINE.search(shown) and not SPINNER.search(shown), shown
    assert KEY not in shown and "gsk_" not in shown


def test_talk_typed_line_shows_a_spinner_then_an_unbroken_reply(terminal: TmuxTerminal, app_home: Path) -> None:
    terminal.wait_for("Press Enter to start talking, Enter again when you are done")
    help_text = terminal.screen()
    assert "button" not in help_text and "hold" not in help_text.lower()
    terminal.type("hello there")
    terminal.keys("Enter")
    terminal.wait_for(SPINNER.pattern, timeout=30)  # the reply starts 1 s after the request
    terminal.wait_for(lambda s: WARNING in s and at_prompt(s), timeout=60)
    lines = terminal.lines()
    assert_reply_unbroken(lines)
    assert lines[lines.index(DEFAULT_REPLY) - 1] == "> hello there"  # the spinner's line became the reply's
    assert_no_status_left(lines)
    # An empty line at the end of input (Ctrl-D) quits cleanly.
    terminal.keys("C-d")
    assert terminal.wait_exit() == 0
    with sqlite3.connect(app_home / "data" / "history.db") as db:
        rows = db.execute("SELECT role, text, status FROM messages ORDER BY id").fetchall()
    assert rows == [("user", "hello there", "complete"), ("assistant", DEFAULT_REPLY, "complete")]


@pytest.mark.audio
@pytest.mark.slow
def test_talk_records_with_a_live_timer_and_answers_unbroken(terminal: TmuxTerminal, app_home: Path,
                                                             embedded_model_dir: Path) -> None:
    terminal.wait_for("Press Enter to start talking")
    terminal.keys("Enter")
    terminal.wait_for(RECORDING_LINE.pattern, timeout=30)
    # a fresh capture stream can take a moment to start flowing: speak after a pause (see test_commands)
    player = play_into_sink(FIXTURES / "weather.wav", delay_s=1.0)
    seen: list[re.Match[str]] = []
    while player.poll() is None:  # read the screen ~10 times a second while the voice plays
        seen += [m for line in terminal.lines() if (m := RECORDING_LINE.search(line))]
        time.sleep(0.1)
    player.wait(timeout=20)
    seen += [m for line in terminal.lines() if (m := RECORDING_LINE.search(line))]
    during = terminal.screens[-1]
    terminal.keys("Enter")
    terminal.wait_for(lambda s: WARNING in s and at_prompt(s), timeout=90)
    lines = terminal.lines()

    # While recording: one line, redrawn in place, its clock running and its meter moving with the voice.
    assert sum(1 for line in during.splitlines() if RECORDING_LINE.search(line)) == 1, during
    clocks = {int(m.group(1)) * 60 + int(m.group(2)) for m in seen}
    assert max(clocks) >= 2 and len(clocks) >= 2, clocks
    assert max(m.group(3).count("▮") for m in seen) >= 3, [m.group(3) for m in seen]
    # the words appeared on the line while the user spoke, and grew
    words = [m.group(4) for m in seen if m.group(4) != "press Enter when you are done"]
    assert words and "weather" in words[-1].lower(), [m.group(4) for m in seen]
    # After: the status line became "Recorded …", then the transcript and the reply, unbroken.
    assert [line for line in lines if line.startswith("● Recorded ")], lines
    heard = next(line for line in lines if line.startswith("you: "))
    # (the question reached the turn; tests/audio measures accuracy: weather.wav is heard word for word
    # under every numerics measured, so 2 wrong of 8 is a wide margin)
    assert word_error_rate(SENTENCES["weather.wav"], heard.removeprefix("you: ")) <= SINK_MAX_WER, heard
    assert lines.index(heard) < lines.index(DEFAULT_REPLY)
    assert_reply_unbroken(lines)
    assert_no_status_left(lines)
    terminal.type("q")
    terminal.keys("Enter")
    assert terminal.wait_exit() == 0


@pytest.mark.audio
def test_talk_keeps_working_after_bad_input(app_home: Path, groq_server: GroqServer) -> None:
    """Piped: bytes that are not text, then Enter twice at once (a recording too short to be
    speech): each is answered in terminal words, and the next line is still answered."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "LC_ALL": "C.UTF-8", "GROQ_API_KEY": KEY,
           "GROQ_BASE_URL": groq_server.base_url}
    result = subprocess.run([sys.executable, "-m", "desktop_assistant", "talk", "--no-speak"],
                            input=b"\xff\xfe\n\n\nhello\nq\n", capture_output=True, env=env, timeout=90, check=False)
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, err
    assert "desktop-assistant: this line is not valid UTF-8 text and was not sent: \\xff\\xfe" in err
    assert "desktop-assistant: That was too short — press Enter, speak, then press Enter again" in err
    assert DEFAULT_REPLY in out
    assert "Something went wrong" not in err and "Traceback" not in err and KEY not in out + err
    with sqlite3.connect(app_home / "data" / "history.db") as db:
        rows = db.execute("SELECT role, text FROM messages ORDER BY id").fetchall()
    assert rows == [("user", "hello"), ("assistant", DEFAULT_REPLY)]
