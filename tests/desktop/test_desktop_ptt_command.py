"""`desktop-assistant ptt` on a real X server (issue 16, item 3): the real app hidden as in the tray
(its X window unmapped), another application's window focused, and a real CLI subprocess per word
while the null sink plays a question → exactly one turn with the question's words; the listening
indicator shows while the microphone is on and never takes the focus. Prints the `ptt press` →
microphone open latency (from the CLI's start, so with a Python start-up in it)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import pytest

from tests.desktop.test_desktop_ptt import FIRST_AUDIO, RECORDING, SHORT_REPLY, speak_once_listening
from tests.desktop.test_desktop_windows import OTHER_WINDOW, find_window, wait_active
from tests.support.audio import SENTENCES, SINK_MAX_WER
from tests.support.wer import word_error_rate

QUESTION = SENTENCES["weather.wav"]
SPEAK_S = 3.6  # weather.wav is ~2.9 s


def ptt(app: Any, word: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `desktop-assistant ptt WORD` as a key binding does; return it and the wall-clock time it started."""
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "desktop_assistant", "ptt", word], env=app.env, cwd=app.env[
        "PYTHONPATH"], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, (word, done.stderr, app.tail())
    return done, started


def logged_at(app: Any, pattern: str, after: float) -> float:
    """The wall-clock time of the first log line matching `pattern` written at or after `after`."""
    for line in app.log_text().splitlines():
        if re.search(pattern, line):
            stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            if stamp >= after - 0.002:  # (the log's clock has ms; `after` has more)
                return stamp
    raise AssertionError(f"{pattern!r} not logged after {after}\n{app.tail()}")


def hidden_behind_another_window(desktop: Any, app: Any) -> tuple[subprocess.Popen[bytes], str]:
    other = subprocess.Popen([sys.executable, "-c", OTHER_WINDOW], env=app.env)
    other_id = find_window(desktop, other.pid, "^Another application$")
    desktop.xdotool("windowunmap", "--sync", app.window_id)  # what hiding to the tray does to it
    desktop.xdotool("windowactivate", "--sync", other_id)
    assert wait_active(desktop, other_id, 10) >= 0
    return other, other_id


def active_window(desktop: Any) -> str:
    return subprocess.run(["xdotool", "getactivewindow"], env=desktop.env, capture_output=True, text=True,
                          check=False).stdout.strip()


def user_texts(app: Any) -> list[str]:
    return [text for role, text, _ in app.messages() if role == "user"]


@pytest.mark.audio
def test_ptt_press_and_release_from_another_process_is_one_turn_with_the_words(
    desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None
) -> None:
    groq_server.default = SHORT_REPLY
    app = launch_app()
    other, other_id = hidden_behind_another_window(desktop, app)
    latencies: list[tuple[float, float, float]] = []
    try:
        for turn in range(1, 4):
            heard_before = app.count_log(FIRST_AUDIO)
            _, pressed = ptt(app, "press")
            player = speak_once_listening(app, "weather.wav", heard_before)
            arrived = logged_at(app, r"ptt press from another process", pressed)
            opened = logged_at(app, RECORDING, pressed)
            first_audio = logged_at(app, FIRST_AUDIO, pressed)
            latencies.append(((arrived - pressed) * 1000, (opened - pressed) * 1000, (first_audio - pressed) * 1000))
            app.wait_log(r"listening indicator shown", count=turn)
            time.sleep(SPEAK_S)
            # While the microphone is on: the indicator is on screen, the user's window keeps the focus.
            assert find_window(desktop, app.proc.pid, "^Listening$", timeout=2), app.tail()
            assert active_window(desktop) == other_id
            ptt(app, "release")
            player.wait(10)
            app.wait_messages(2 * turn, timeout=60)
            app.wait_state("ready")
            app.wait_log(r"listening indicator hidden", count=turn)
        # The indicator did not take the focus from the user's window, nor did the turns show the main window.
        assert wait_active(desktop, other_id, 2) >= 0
    finally:
        other.kill()
        other.wait(10)
    for n, (arrived, opened, first) in enumerate(latencies, start=1):
        print(f"ptt press {n}: the window had it {arrived:.0f} ms after the CLI started, the microphone open at "
              f"{opened:.0f} ms, its first audio at {first:.0f} ms")
    assert app.count_log(RECORDING) == 3, app.tail()
    texts = user_texts(app)
    assert len(texts) == 3, texts
    for text in texts:
        assert word_error_rate(QUESTION, text) <= SINK_MAX_WER, (text, QUESTION)
    assert app.count_log("state: error") == 0 and app.count_log(r"recording cancelled") == 0, app.tail()


@pytest.mark.audio
def test_ptt_toggle_twice_is_one_turn(desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None) -> None:
    groq_server.default = SHORT_REPLY
    app = launch_app()
    other, _ = hidden_behind_another_window(desktop, app)
    try:
        heard_before = app.count_log(FIRST_AUDIO)
        ptt(app, "toggle")
        player = speak_once_listening(app, "weather.wav", heard_before)
        time.sleep(SPEAK_S)
        ptt(app, "toggle")
        player.wait(10)
        rows = app.wait_messages(2, timeout=60)
        app.wait_state("ready")
    finally:
        other.kill()
        other.wait(10)
    assert [r[0] for r in rows] == ["user", "assistant"], rows
    assert word_error_rate(QUESTION, rows[0][1]) <= SINK_MAX_WER, rows
    assert app.count_log(RECORDING) == 1 and app.count_log(r"ptt toggle from another process") == 2, app.tail()


def test_ptt_show_brings_the_hidden_window_forward(desktop: Any, launch_app: Any) -> None:
    app = launch_app()
    other, _ = hidden_behind_another_window(desktop, app)
    try:
        ptt(app, "show")
        assert wait_active(desktop, app.window_id, 5) >= 0
    finally:
        other.kill()
        other.wait(10)
    assert app.count_log(RECORDING) == 0
