"""Whole turns through the real widgets and the real engine: push-to-talk (Space with a
fake stream feeding a fixture; the mouse with the PulseAudio null sink) → recorder →
real tiny.en → loopback Groq → the reply streams into the view and the history holds
both messages; typed turns; barge-in with Esc; banners (no key, 401, no microphone)
with the app working afterwards; the responsiveness probe."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer

from tests.gui.gui_helpers import history_of, saved
from tests.support.audio import (
    SINK_MAX_WER,
    FakeInputStream,
    fixture_samples,
    play_into_sink,
    pulse_available,
)
from tests.support.groq_server import DEFAULT_REPLY, GroqBehaviour
from tests.support.wer import word_error_rate

pytestmark = [pytest.mark.gui, pytest.mark.slow, pytest.mark.timeout(120)]

WEATHER = "What is the weather like in London today?"
# weather.wav, not lights.wav: tiny.en hears "turn off my life" on some CPUs' numerics
# (tests/fixtures/README.md; bench/stt_numerics.py)


def fixture_stream(name: str = "weather.wav", speed: float = 8.0) -> Any:
    """A sounddevice-like stream factory feeding `name`, then half a second of silence (as when a
    user lets go after speaking), faster than real time."""
    samples = np.concatenate([fixture_samples(name), np.zeros(8000, np.float32)])
    made: list[FakeInputStream] = []

    def factory(**kw: Any) -> FakeInputStream:
        stream = FakeInputStream(source=samples, speed=speed, **kw)
        made.append(stream)
        return stream

    factory.made = made  # type: ignore[attr-defined]
    return factory


def wait_fed(qtbot: Any, factory: Any, seconds: float) -> None:
    """Wait until the fake stream has delivered `seconds` of audio."""

    def fed() -> bool:
        s = factory.made[-1] if factory.made else None
        return s is not None and s.blocks_sent * s.blocksize >= seconds * s.samplerate

    qtbot.waitUntil(fed, timeout=10000)


def wait_turn_done(qtbot: Any, window: Any, timeout: int = 60000) -> None:
    def done() -> bool:
        turn = window.engine.assistant.current_turn
        return (
            window.state in ("ready", "error")
            and window.chat.reply is None
            and turn is not None
            and turn.done
        )

    try:
        qtbot.waitUntil(done, timeout=timeout)
    except qtbot.TimeoutError:
        turn = window.engine.assistant.current_turn
        pytest.fail(
            f"turn not done: state={window.state} banner={window.banner.text!r} "
            f"chat={window.chat.messages()} turn={turn and turn.result}"
        )


def test_hold_space_speak_and_the_reply_streams_in(qtbot: Any, engine_window: Any, groq_server: Any) -> None:
    factory = fixture_stream()
    w = engine_window(stream_factory=factory)
    qtbot.waitUntil(lambda: w.status.model.text().startswith("Speech: tiny.en"), timeout=10000)
    deltas: list[str] = []
    w.bridge.reply_delta.connect(lambda e: deltas.append(e.text))
    levels: list[float] = []
    w.bridge.level.connect(levels.append)
    w.chat.setFocus()
    qtbot.keyPress(w.chat, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.state == "listening", timeout=5000)
    wait_fed(qtbot, factory, 3.1)
    qtbot.keyRelease(w.chat, Qt.Key.Key_Space)
    wait_turn_done(qtbot, w)
    assert w.state == "ready", w.banner.text
    (role_u, said, _), (role_a, reply, status) = w.chat.messages()
    assert role_u == "user" and word_error_rate(WEATHER, said) == 0.0, said
    assert role_a == "assistant" and reply == DEFAULT_REPLY and status == "complete"
    assert len(deltas) > 5  # streamed, not delivered at once
    assert levels and max(levels) > -40  # the meter saw speech
    assert w.chat.bubbles[-1].meta.text().startswith("speech ")  # labelled: speech · first word · voice
    assert "speech" in w.chat.bubbles[-1].meta.toolTip() and "into text" in w.chat.bubbles[-1].meta.toolTip()
    assert history_of(w) == [("user", said, "complete"), ("assistant", DEFAULT_REPLY, "complete")]
    sent = groq_server.received[-1].body["messages"]
    assert sent[-1]["role"] == "user" and sent[-1]["content"] == said


@pytest.mark.audio
def test_press_the_button_while_the_null_sink_plays(qtbot: Any, engine_window: Any) -> None:
    assert pulse_available(), "run inside scripts/test-env.sh (make test)"
    from tests.support.audio import FIXTURES

    w = engine_window()
    levels: list[float] = []
    w.bridge.level.connect(levels.append)
    qtbot.mousePress(w.ptt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.state == "listening", timeout=5000)
    # the capture stream flows once the meter has had a few blocks (not a fixed 300 ms: a new stream
    # can take longer to start on a loaded machine, and the sentence's first words were lost)
    qtbot.waitUntil(lambda: len(levels) >= 5, timeout=10000)
    player = play_into_sink(FIXTURES / "weather.wav")
    deadline = time.monotonic() + 20
    while player.poll() is None and time.monotonic() < deadline:
        qtbot.wait(50)
    assert player.returncode == 0, player.stderr.read() if player.stderr else ""
    # paplay has drained into the sink; let go once the capture has delivered 0.3 s past that (six
    # more meter levels at 20 a second), not after a fixed 300 ms that a loaded machine can outrun
    heard = len(levels)
    qtbot.waitUntil(lambda: len(levels) >= heard + 6, timeout=10000)
    qtbot.mouseRelease(w.ptt, Qt.MouseButton.LeftButton)
    wait_turn_done(qtbot, w)
    said = w.chat.messages()[0][1]
    assert word_error_rate(WEATHER, said) <= SINK_MAX_WER, said
    assert history_of(w)[-1] == ("assistant", DEFAULT_REPLY, "complete")


def test_typed_message_is_the_same_turn_and_history(qtbot: Any, engine_window: Any, groq_server: Any) -> None:
    groq_server.default = GroqBehaviour(reply="Two plus two is four.")
    w = engine_window()
    qtbot.keyClicks(w.text_box, "what is two plus two")
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    wait_turn_done(qtbot, w)
    assert w.chat.messages() == [
        ("user", "what is two plus two", "complete"),
        ("assistant", "Two plus two is four.", "complete"),
    ]
    assert history_of(w) == w.chat.messages()


def test_escape_barges_in_and_the_reply_is_marked_interrupted(
    qtbot: Any, engine_window: Any, groq_server: Any
) -> None:
    groq_server.default = GroqBehaviour(
        reply="One two three four five six seven eight nine ten " * 6, tokens_per_s=8
    )
    w = engine_window()
    qtbot.keyClicks(w.text_box, "count slowly")
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.chat.reply is not None and len(w.chat.reply.text) > 5, timeout=20000)
    w.chat.setFocus()
    qtbot.keyClick(w.chat, Qt.Key.Key_Escape)
    wait_turn_done(qtbot, w, timeout=10000)
    _, text, status = w.chat.messages()[-1]
    assert status == "interrupted" and "interrupted" in w.chat.bubbles[-1].meta.text()
    assert len(text) < len(groq_server.default.reply)
    assert history_of(w)[-1][2] == "interrupted"


def test_no_key_banner_then_adding_the_key_works(qtbot: Any, engine_window: Any) -> None:
    w = engine_window(key=None, SPEECH_MUTED="1")
    assert w.banner.isVisible() and w.banner.kind == "no_key" and w.banner.action_text == "Open Settings"
    qtbot.keyClicks(w.text_box, "hello")
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    wait_turn_done(qtbot, w)
    assert w.banner.kind == "no_key" and "key" in w.banner.text.lower()
    assert history_of(w)[0] == ("user", "hello", "complete")  # what the user said is kept
    dialog = w.open_settings()
    dialog.api_key.setFocus()
    qtbot.keyClicks(dialog.api_key, "gsk_addedlater0123456789")
    assert saved(dialog, ok=True) and not dialog.isVisible()
    qtbot.keyClicks(w.text_box, "hello again")
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    wait_turn_done(qtbot, w)
    assert w.chat.messages()[-1] == ("assistant", DEFAULT_REPLY, "complete")


def test_rejected_key_banner_then_next_turn_works(qtbot: Any, engine_window: Any, groq_server: Any) -> None:
    groq_server.queue.append(GroqBehaviour(status=401, error_message="Invalid API Key"))
    w = engine_window(SPEECH_MUTED="1")
    qtbot.keyClicks(w.text_box, "first")
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    wait_turn_done(qtbot, w)
    assert w.state == "error" and w.banner.isVisible() and w.banner.kind == "auth"
    assert w.banner.action_text == "Open Settings"
    qtbot.keyClicks(w.text_box, "second")
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    wait_turn_done(qtbot, w)
    assert w.state == "ready" and w.chat.messages()[-1] == ("assistant", DEFAULT_REPLY, "complete")


def test_no_microphone_banner_then_typing_still_works(qtbot: Any, engine_window: Any) -> None:
    w = engine_window(INPUT_DEVICE="no such microphone", SPEECH_MUTED="1")
    qtbot.mouseClick(w.ptt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.banner.isVisible() and w.banner.kind == "audio", timeout=10000)
    assert "microphone" in w.banner.text.lower() and w.banner.action_text == "Open Settings"
    assert not w.ptt.active
    qtbot.keyClicks(w.text_box, "typed instead")
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    wait_turn_done(qtbot, w)
    assert w.chat.messages()[-1] == ("assistant", DEFAULT_REPLY, "complete")


def runqueue_ms() -> float:
    """How long this thread has waited on a run queue, ready but not running (/proc schedstat)."""
    with open("/proc/thread-self/schedstat") as f:
        return int(f.read().split()[1]) / 1e6


def voice_turn_stalls(qtbot: Any, w: Any, factory: Any) -> list[int]:
    """One spoken turn (press, 3.1 s of weather.wav, release, reply) while a 5 ms timer on the GUI
    thread measures the gaps between its ticks: a gap well over 5 ms is the GUI thread not running."""
    streams, messages = len(factory.made), len(w.chat.messages())
    gaps: list[float] = []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setInterval(5)
    waited = [runqueue_ms()]

    def tick() -> None:
        # the gap less the time the GUI thread was ready but waiting for a CPU (the machine's load,
        # not the app's doing); what is left is the app: work on the GUI thread, the GIL held elsewhere
        now = runqueue_ms()
        gaps.append(clock.restart() - (now - waited[0]))
        waited[0] = now

    probe.timeout.connect(tick)
    clock.start()
    probe.start()
    qtbot.mousePress(w.ptt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(factory.made) > streams, timeout=10000)  # this turn's stream
    wait_fed(qtbot, factory, 3.1)
    qtbot.mouseRelease(w.ptt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(w.chat.messages()) == messages + 2, timeout=60000)
    wait_turn_done(qtbot, w)
    probe.stop()
    assert w.chat.messages()[-1][2] == "complete"
    return gaps


# The GUI thread's longest gap in a voice turn, less its run-queue wait, measured with this test on
# 2 cores (2026-11-28): 11-23 ms in 10 turns with the machine's load average at 3.8-4.7 (other test
# suites running), 11-38 ms beside one busy loop, so 100 ms. The raw wall-clock gap under that load
# reached 90-456 ms while faulthandler showed the GUI thread idle in the event loop: the kernel had
# not run it, which no bound on the app can fix. Two findings on the way: the VAD's onnxruntime
# import held the GIL ~100-150 ms at the first transcription (speech.stt.load_whisper now loads it
# with the model); a turn started during the engine's warm-up waits on its gTTS/requests import.
STALL_BOUND_MS = 100


def test_gui_thread_never_stalls_during_a_voice_turn(qtbot: Any, engine_window: Any) -> None:
    factory = fixture_stream(speed=4.0)
    w = engine_window(stream_factory=factory)
    # as a user who speaks a moment after the window opens: the engine's warm-up (imports, the output
    # stream) has finished
    qtbot.waitUntil(lambda: not any(t.name == "assistant-warm-up" for t in threading.enumerate()),
                    timeout=20000)
    first = voice_turn_stalls(qtbot, w, factory)
    again = voice_turn_stalls(qtbot, w, factory)
    assert len(first) > 20 and len(again) > 20
    assert max(first) < STALL_BOUND_MS, f"the GUI thread stalled {max(first):.0f} ms in the first turn"
    assert max(again) < STALL_BOUND_MS, f"the GUI thread stalled {max(again):.0f} ms"


@pytest.mark.audio
def test_changing_the_microphone_applies_without_restart(qtbot: Any, engine_window: Any) -> None:
    from desktop_assistant.ui.preferences import save_settings

    w = engine_window(SPEECH_MUTED="1")
    first = w.engine.assistant.recorder
    save_settings(w.app, {"input_device": "no such microphone"})
    qtbot.waitUntil(lambda: w.engine.assistant.recorder is not first, timeout=5000)
    qtbot.mouseClick(w.ptt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.banner.isVisible() and w.banner.kind == "audio", timeout=10000)
    assert "no such microphone" in w.banner.text
    broken = w.engine.assistant.recorder
    save_settings(w.app, {"input_device": None})  # back to the system default (the null sink monitor)
    qtbot.waitUntil(lambda: w.engine.assistant.recorder is not broken, timeout=5000)
    assert not w.banner.isVisible()  # the microphone banner goes when the device changes
    qtbot.mousePress(w.ptt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.state == "listening", timeout=10000)
    qtbot.mouseRelease(w.ptt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.state != "listening", timeout=10000)


def test_a_restart_within_the_session_shows_the_conversation_it_continues(
    qtbot: Any, engine_window: Any, groq_server: Any
) -> None:
    groq_server.default = GroqBehaviour(reply="Noted.")
    w = engine_window(SPEECH_MUTED="1")
    qtbot.keyClicks(w.text_box, "remember the number seven")
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    wait_turn_done(qtbot, w)
    w.close()
    again = engine_window(SPEECH_MUTED="1")  # same home: a restart of the app
    qtbot.waitUntil(lambda: len(again.chat.messages()) == 2, timeout=5000)
    assert again.chat.messages() == [
        ("user", "remember the number seven", "complete"),
        ("assistant", "Noted.", "complete"),
    ]
