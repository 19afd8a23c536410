"""The engine's one composition root (`engine.Engine`), driven the way the window drives it
(`ui/controller.EngineController`: commands and settings on its command thread) with the real parts:
the null-sink microphone and output, the real tiny.en, the loopback Groq server, a real history.db.
What a settings change rebuilds, and that it never breaks what the user is doing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from typing import Any

import numpy as np
import pytest

from desktop_assistant.app import App
from desktop_assistant.assistant.events import RecordingStarted, TranscriptReady, TurnFailed, TurnFinished
from desktop_assistant.config import Settings
from desktop_assistant.engine import READ_WHEN_USED, REBUILDS
from desktop_assistant.ui.controller import EngineController
from tests.assistant.test_cues import loud_stretches
from tests.support.audio import FIXTURES, MonitorCapture, play_into_sink
from tests.support.groq_server import GroqBehaviour, GroqServer


class PlainBridge:
    """The controller's bridge without Qt: engine events are kept, the rest is ignored."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.failures: list[BaseException] = []
        self.levels = 0
        self._changed = threading.Condition()

    def post(self, event: Any) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def post_command_failed(self, error: BaseException) -> None:
        self.failures.append(error)

    def post_level(self, dbfs: float) -> None:
        self.levels += 1  # the microphone delivers audio

    def __getattr__(self, name: str) -> Callable[..., None]:  # post_level, post_engine_ready, …
        return lambda *args: None

    def wait_for(self, kind: type, after: int = 0, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [e for e in self.events[after:] if isinstance(e, kind)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                assert left > 0, f"no {kind.__name__} within {timeout} s: {self.events[after:]}"
                self._changed.wait(left)


@pytest.fixture
def window_engine(groq_server: GroqServer, transcriber: Any, monkeypatch: pytest.MonkeyPatch
                  ) -> Iterator[Callable[..., tuple[App, EngineController, PlainBridge]]]:
    """`window_engine(**env)` → (app, controller, bridge): the real engine as the window builds it."""
    made: list[tuple[App, EngineController]] = []

    def make(**env: str) -> tuple[App, EngineController, PlainBridge]:
        monkeypatch.setenv("GROQ_API_KEY", "gsk_loopbacktestkey0123456789")
        monkeypatch.setenv("GROQ_BASE_URL", groq_server.base_url)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app = App.create(console_log=False)
        bridge = PlainBridge()

        def build(app: App, bridge: Any) -> Any:
            from desktop_assistant.ui.controller import build_engine

            return build_engine(app, bridge, given={"transcriber": transcriber})  # the session's tiny.en

        controller = EngineController(app, bridge, build)
        made.append((app, controller))
        controller.start()
        assert controller.wait_ready(60), controller.error
        return app, controller, bridge

    yield make
    for app, controller in made:
        controller.shutdown()
        app.close()


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_every_setting_has_one_answer_to_what_its_change_does() -> None:
    assert set(REBUILDS) | READ_WHEN_USED == {f.name for f in fields(Settings)}
    assert not set(REBUILDS) & READ_WHEN_USED


def test_a_new_key_reaches_groq_from_the_next_turn(window_engine: Any, groq_server: GroqServer) -> None:
    app, controller, bridge = window_engine(SPEECH_MUTED="1")
    first_chat = controller.assistant.chat
    controller.send_text("one")
    bridge.wait_for(TurnFinished)
    app.apply_settings(replace(app.settings, groq_api_key="gsk_other_key_999"))
    assert wait_until(lambda: controller.assistant.chat is not first_chat)
    controller.send_text("two")
    bridge.wait_for(TurnFinished, after=len(bridge.events))
    request = groq_server.received[-1]
    assert request.headers["authorization"] == "Bearer gsk_other_key_999"
    assert bridge.failures == []


@pytest.mark.audio
def test_the_talk_cues_still_sound_after_the_microphone_changes(window_engine: Any) -> None:
    """Settings → Audio → another microphone: the new recorder keeps the push-to-talk tones (it
    was built without them, so they stopped until a restart)."""
    app, controller, bridge = window_engine(TTS_ENGINE="espeak", AUDIO_CUES="1")
    assistant = controller.assistant
    assert wait_until(lambda: assistant.voice.output_open, 20), "the warm-up did not open the output"
    assistant.player.enqueue(np.zeros(assistant.player.sample_rate // 5, np.float32))
    assert assistant.player.wait_drained(20), "the audio output never started"
    first = assistant.recorder
    app.apply_settings(replace(app.settings, input_device="pulse:vsink.monitor"))
    assert wait_until(lambda: controller.assistant.recorder is not first), "the recorder was not rebuilt"
    with MonitorCapture() as capture:
        assert capture.wait_flowing(10), "no audio from the sink monitor"
        before = len(bridge.events)
        controller.press()
        bridge.wait_for(RecordingStarted, after=before, timeout=20)
        time.sleep(0.6)  # the hold: the two tones must come out apart
        controller.release()
        assert wait_until(lambda: not assistant.is_recording)
        assert assistant.player.wait_drained(10)
        time.sleep(assistant.player.latency + 0.3)  # what the device still buffers reaches the monitor
    stretches = loud_stretches(capture.samples())
    assert len(stretches) == 2, f"tones heard at the sink: {stretches} (one at the press, one at the release)"


@pytest.mark.audio
def test_a_microphone_changed_while_recording_keeps_the_words_and_applies_after(
        window_engine: Any, groq_server: GroqServer) -> None:
    """The user changes the microphone in Settings while holding push-to-talk: the recording goes
    on to the release and is answered; the new microphone is used from the next press."""
    groq_server.default = GroqBehaviour(reply="It is sunny.")
    app, controller, bridge = window_engine(SPEECH_MUTED="1")
    first = controller.assistant.recorder
    controller.press()
    bridge.wait_for(RecordingStarted, timeout=20)
    levels = bridge.levels
    assert wait_until(lambda: bridge.levels > levels, 10), "the microphone delivered no audio"
    speech = play_into_sink(FIXTURES / "weather.wav")
    time.sleep(1.0)  # mid-sentence
    app.apply_settings(replace(app.settings, input_device="pulse:vsink.monitor"))
    speech.wait(10)
    time.sleep(0.3)
    assert controller.assistant.recorder is first, "the microphone was swapped under the recording"
    controller.release()
    heard = bridge.wait_for(TranscriptReady)
    finished = bridge.wait_for(TurnFinished)
    assert "weather" in heard.text.lower(), heard
    assert finished.status == "complete"
    assert [e for e in bridge.events if isinstance(e, TurnFailed)] == []
    assert wait_until(lambda: controller.assistant.recorder is not first), "the new microphone was never used"
    assert controller.assistant.recorder.device == "pulse:vsink.monitor"
    before = len(bridge.events)
    controller.press()  # the new one records
    bridge.wait_for(RecordingStarted, after=before, timeout=20)
    controller.release()
    assert wait_until(lambda: not controller.assistant.is_recording)
