"""What the push-to-talk storm (test_ptt_storm.py) found, each pinned down alone: a typed message
lost when stopped at once, a typed turn left running beside a voice turn, a Stop that waited for
a decode, and a Stop that ran before what was asked before it."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from desktop_assistant.assistant.events import ReplyDelta, TurnFailed, TurnFinished
from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.errors import UserFacingError
from desktop_assistant.ui.controller import EngineController
from tests.assistant.test_turn_unit import LONG_REPLY, FakeTranscriber, Harness, heard
from tests.support.audio import fixture_samples
from tests.support.groq_server import GroqBehaviour, GroqServer
from tests.support.stand_in_engine import StandInAssistant, StandInEngine


@pytest.fixture
def make_harness(groq_server: GroqServer):  # type: ignore[no-untyped-def]
    made: list[Harness] = []

    def make(**kwargs: Any) -> Harness:
        made.append(Harness(groq_server, **kwargs))
        return made[-1]

    yield make
    for h in made:
        h.close()


class FakeRecorder:
    def __init__(self) -> None:
        self.is_recording = False
        self.chunks = None  # (nothing reads the audio while it records here)
        self.on_event = None

    def start(self) -> None:
        self.is_recording = True

    def stop(self) -> AudioClip:
        self.is_recording = False
        return AudioClip(np.zeros(16000, dtype=np.float32))

    def cancel(self) -> None:
        self.is_recording = False

    def close(self) -> None:
        pass


def test_a_typed_message_stopped_at_once_is_still_stored(make_harness) -> None:
    class SlowTranscriber(FakeTranscriber):  # a decode that cannot be interrupted
        def transcribe(self, clip: Any, **kwargs: Any) -> Any:
            time.sleep(0.5)
            return super().transcribe(clip, **kwargs)

    h = make_harness(speak=False, transcriber=SlowTranscriber(heard("hello")))
    h.assistant.send_clip(AudioClip(np.zeros(16000, dtype=np.float32)))
    typed = h.assistant.send_text("keep this message")  # waits for the voice turn it barged in on
    h.assistant.stop()  # before the typed turn got to store anything
    result = typed.wait(5)
    assert isinstance(result, TurnFailed) and result.error.kind == "cancelled"
    assert [m.text for m in h.store.of_role("user")] == ["keep this message"]
    assert h.store.of_role("assistant") == []  # stopped: no reply was asked for


def test_a_release_ends_the_message_typed_while_the_key_was_held(make_harness, groq_server: GroqServer) -> None:
    groq_server.default = GroqBehaviour(reply=LONG_REPLY, tokens_per_s=50)
    h = make_harness(speak=False, transcriber=FakeTranscriber(heard("and now this")))
    h.assistant.listening.recorder = FakeRecorder()
    h.assistant.push_to_talk_pressed()
    typed = h.assistant.send_text("tell me a long story")
    deadline = time.monotonic() + 10
    while not h.of(ReplyDelta) and time.monotonic() < deadline:
        time.sleep(0.01)
    groq_server.default = GroqBehaviour()
    voice = h.assistant.push_to_talk_released()
    assert voice is not None
    assert isinstance(typed.wait(5), TurnFinished) and typed.result.status == "interrupted"  # one turn at a time
    assert isinstance(voice.wait(10), TurnFinished) and voice.result.status == "complete"


@pytest.mark.slow
def test_stop_does_not_wait_for_the_decode(make_harness, transcriber: Any) -> None:
    long_clip = AudioClip(np.tile(fixture_samples("weather.wav"), 4))  # ~20 s: a decode of seconds
    h = make_harness(speak=False, transcriber=transcriber)
    turn = h.assistant.send_clip(long_clip)
    time.sleep(0.2)
    stopped = time.monotonic()
    h.assistant.stop()
    result = turn.wait(5)
    took = time.monotonic() - stopped
    assert isinstance(result, TurnFailed) and result.error.kind == "cancelled", result
    assert took < 0.3, f"the turn ended {took:.2f} s after Stop"
    assert transcriber.transcribe(AudioClip(fixture_samples("weather.wav")), timeout=60).text  # still serving


def test_transcribe_with_cancel_stops_waiting_and_says_cancelled(transcriber: Any) -> None:
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    start = time.monotonic()
    with pytest.raises(UserFacingError) as caught:
        transcriber.transcribe(AudioClip(np.tile(fixture_samples("weather.wav"), 4)), cancel=cancel)
    assert caught.value.kind == "cancelled"
    assert time.monotonic() - start < 0.5


class CallLog(StandInAssistant):
    """An engine that records the commands it gets (a press takes a while, like opening a stream)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def _log(self, name: str) -> None:
        with self.lock:
            self.calls.append(name)

    def push_to_talk_pressed(self) -> None:
        time.sleep(0.3)
        self._log("press")

    def send_text(self, text: str) -> None:
        self._log(f"text {text}")

    def stop(self) -> None:
        self._log("stop")


class QuietBridge:
    def __getattr__(self, name: str) -> Any:  # post_agents_loaded, post_engine_ready, …
        return lambda *args: None


class BareApp:
    def load_stored_key(self) -> None:
        pass

    def on_settings_changed(self, listener: Any) -> None:
        pass

    agents = None


def test_stop_also_ends_what_was_asked_before_it() -> None:
    engine = CallLog()
    controller = EngineController(BareApp(), QuietBridge(), build=lambda app, bridge: StandInEngine(engine))
    controller.start()
    assert controller.wait_ready(5)
    controller.press()  # the command thread is busy with this for 0.3 s
    controller.send_text("queued")
    controller.stop()
    deadline = time.monotonic() + 2
    while len(engine.calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    calls = list(engine.calls)  # (before shutdown, which stops the engine too)
    controller.shutdown()
    assert calls == ["stop", "press", "text queued", "stop"]  # at once (silence now), and after what came before it


def test_stop_while_the_reply_has_not_begun_ends_the_turn_at_once(make_harness, groq_server: GroqServer) -> None:
    groq_server.default = GroqBehaviour(ttft_s=3.0)  # the reader waits on the socket for the first token
    h = make_harness(speak=False)
    turn = h.assistant.send_text("hello?")
    deadline = time.monotonic() + 5
    while not groq_server.received and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    stopped = time.monotonic()
    h.assistant.stop()
    result = turn.wait(5)
    took = time.monotonic() - stopped
    assert isinstance(result, TurnFinished) and result.status == "interrupted", result
    assert took < 0.5, f"the turn ended {took:.2f} s after Stop"
