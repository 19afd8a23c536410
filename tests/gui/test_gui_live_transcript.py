"""The live transcript in the window: the user's words appear in a bubble while they speak (its
accessible name follows them), that bubble becomes their message at the release, and it goes when
the recording ends without a message (Stop, nothing heard). Engine events posted to the real bridge;
tests/desktop/test_desktop_live_transcript.py drives the real app on an X server."""

from __future__ import annotations

from typing import Any

import pytest

from desktop_assistant.assistant.events import (
    RecordingCancelled,
    RecordingStarted,
    RecordingStopped,
    TranscriptPartial,
    TranscriptReady,
    TurnFailed,
)
from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.ui.chat_view import ChatView

pytestmark = pytest.mark.gui


def names(view: ChatView) -> list[str]:
    return [b.body.accessibleName() for b in view.bubbles]


def test_the_words_appear_while_the_user_speaks_and_become_the_message(qtbot: Any, fake_window: Any) -> None:
    w, bridge = fake_window, fake_window.bridge
    bridge.post(RecordingStarted(1))
    bridge.post(TranscriptPartial(1, "what is", 1))
    qtbot.waitUntil(lambda: w.chat.live is not None, timeout=2000)
    live = w.chat.live
    assert live.body.text() == "what is …" and live.property("live") is True
    assert live.body.accessibleName() == "You are saying: what is"
    assert live.body.accessibleDescription() == "live transcript, sent when you let go"
    bridge.post(TranscriptPartial(1, "what is the capital of", 2))
    qtbot.waitUntil(lambda: live.body.accessibleName() == "You are saying: what is the capital of", timeout=2000)
    assert len(w.chat.bubbles) == 1  # each update replaces the last
    bridge.post(RecordingStopped(1, 2.4))
    bridge.post(TranscriptReady(1, "What is the capital of France?", 20.0))
    qtbot.waitUntil(lambda: w.chat.live is None and w.chat.reply is not None, timeout=2000)
    assert w.chat.bubbles[0] is live  # the same bubble: the message, no second one
    assert live.text == "What is the capital of France?" and live.body.text() == "What is the capital of France?"
    assert live.body.accessibleName() == "You said: What is the capital of France?"
    assert live.body.accessibleDescription() == "" and live.property("live") is False
    assert w.chat.messages()[0] == ("user", "What is the capital of France?", "complete")


@pytest.mark.parametrize("ending", ["stopped", "nothing heard"])
def test_a_recording_that_ends_without_a_message_takes_its_words_away(
        qtbot: Any, fake_window: Any, ending: str) -> None:
    w, bridge = fake_window, fake_window.bridge
    bridge.post(RecordingStarted(1))
    bridge.post(TranscriptPartial(1, "uh", 1))
    qtbot.waitUntil(lambda: w.chat.live is not None, timeout=2000)
    if ending == "stopped":
        bridge.post(RecordingCancelled(1, "stopped"))
    else:
        bridge.post(RecordingStopped(1, 0.9))
        bridge.post(TurnFailed(1, UserFacingError("I didn't hear anything", kind=ErrorKind.NO_SPEECH)))
    qtbot.waitUntil(lambda: w.chat.live is None, timeout=2000)
    assert w.chat.bubbles == [] and w.chat._placeholder.isVisibleTo(w.chat)


def test_words_of_an_older_recording_never_show_in_the_new_one(qtbot: Any, fake_window: Any) -> None:
    w, bridge = fake_window, fake_window.bridge
    bridge.post(RecordingStarted(1))
    bridge.post(TranscriptPartial(1, "first question", 1))
    bridge.post(RecordingStopped(1, 1.5))
    bridge.post(RecordingStarted(2))  # barge-in before turn 1's transcript
    bridge.post(TranscriptPartial(1, "late words of turn one", 2))  # (the engine sends none; ignored anyway)
    bridge.post(TranscriptPartial(2, "second", 1))
    qtbot.waitUntil(lambda: w.chat.live is not None and w.chat.live.text == "second", timeout=2000)
    assert [b.text for b in w.chat.bubbles] == ["second"]  # turn 1's unsent words went with its turn
    assert all("late words" not in n for n in names(w.chat))


# The GUI thread's longest gap while the words appear (a recording fed in real time, partials and the
# decodes at pauses running), less its run-queue wait (see test_gui_turns.runqueue_ms), beside a busy
# loop: the bound.
LIVE_STALL_BOUND_MS = 50


@pytest.mark.slow
def test_the_gui_thread_never_stalls_while_the_words_appear(qtbot: Any, engine_window: Any) -> None:
    import subprocess
    import sys
    import threading
    import time

    import numpy as np
    from faster_whisper import decode_audio
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    from tests.gui.test_gui_turns import runqueue_ms, wait_turn_done
    from tests.support.audio import FIXTURES, FakeInputStream
    from tests.support.cpu_share import cpu_exclusive

    speech = decode_audio(str(FIXTURES / "real_speech" / "address-jfk-1961.flac"), 16000)
    samples = np.concatenate([speech, np.zeros(8000, np.float32)])
    made: list[FakeInputStream] = []

    def factory(**kw: Any) -> FakeInputStream:
        made.append(FakeInputStream(source=samples, speed=1.0, **kw))
        return made[-1]

    w = engine_window(stream_factory=factory, SPEECH_MUTED="1")
    qtbot.waitUntil(lambda: not any(t.name == "assistant-warm-up" for t in threading.enumerate()), timeout=20000)
    shown: list[str] = []
    w.bridge.transcript_partial.connect(lambda e: shown.append(e.text))
    gaps: list[float] = []
    clock, probe, waited = QElapsedTimer(), QTimer(), [runqueue_ms()]
    probe.setInterval(5)

    def tick() -> None:
        now = runqueue_ms()
        gaps.append(clock.restart() - (now - waited[0]))
        waited[0] = now

    probe.timeout.connect(tick)
    with cpu_exclusive():  # (one load at a time across the suite's workers)
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            qtbot.mousePress(w.ptt, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: bool(made), timeout=10000)
            clock.start()
            probe.start()
            deadline = time.monotonic() + 30
            while made[-1].blocks_sent * made[-1].blocksize < len(samples) and time.monotonic() < deadline:
                qtbot.wait(50)
            probe.stop()
            live_names = w.chat.live.body.accessibleName() if w.chat.live is not None else ""
            qtbot.mouseRelease(w.ptt, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: len(w.chat.messages()) == 2, timeout=60000)
            wait_turn_done(qtbot, w)
        finally:
            hog.kill()
            hog.wait()
    assert len(set(shown)) >= 3, shown  # the words followed the speech
    assert live_names.startswith("You are saying: "), live_names
    assert len(gaps) > 200, len(gaps)
    assert max(gaps) < LIVE_STALL_BOUND_MS, f"the GUI thread stalled {max(gaps):.0f} ms while the words appeared"
    user = w.chat.messages()[0]
    assert user[0] == "user" and "country" in user[1].lower() and w.chat.live is None
