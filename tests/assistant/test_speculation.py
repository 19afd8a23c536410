"""The reply asked for before the release (assistant/speculation.py), through the `Assistant` and the
real loopback Groq: used when the final transcript has the guessed words, cancelled (and asked for
anew on the final words) when it does not, withdrawn when the user speaks again or presses Stop.
The live transcript itself is a stand-in here (tests/assistant/test_live_turns.py drives the real one):
these tests decide what it guesses and what the final transcript says."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from test_turn_unit import FakeSynth, Harness  # (this folder is on sys.path: pytest prepends it)

from desktop_assistant.assistant.events import TurnFinished
from desktop_assistant.assistant.speculation import same_words
from desktop_assistant.audio.chunks import AudioChunks
from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.config import Settings
from desktop_assistant.speech.transcript import LiveStats, Transcript
from tests.support.groq_server import DEFAULT_REPLY, GroqBehaviour, GroqServer

GUESS = "What is the capital of France?"


class FakeLive:
    """A live transcript whose final words the test sets."""

    def __init__(self, final: str, at_release: str | None = None) -> None:
        self.final = final
        self.at_release = at_release  # the words heard when the key was let go (None: no guess)
        self.cancelled = False

    def stop_updates(self) -> None:
        pass

    def release_guess(self, clip: AudioClip) -> str | None:
        return self.at_release

    def finish(self, clip: AudioClip, *, timeout: float = 60.0,
               cancel: threading.Event | None = None) -> tuple[Transcript, LiveStats]:
        return Transcript(self.final, "en", (), clip.duration_s, 50.0, model="tiny.en"), LiveStats(3, 400.0, "hit", 5.0)

    def cancel(self) -> None:
        self.cancelled = True


class GuessingTranscriber:
    """Hands the Assistant's `on_guess` to the test; the final transcript is `final`."""

    def __init__(self, final: str, at_release: str | None = None) -> None:
        self.final = final
        self.at_release = at_release
        self.on_guess: Callable[[str | None], None] | None = None

    def listen(self, chunks: Any, *, on_update: Any = None, language: Any = None, initial_prompt: Any = None,
               partials: bool = True, on_guess: Callable[[str | None], None] | None = None) -> FakeLive:
        self.on_guess = on_guess
        return FakeLive(self.final, self.at_release)

    def transcribe(self, clip: Any, **kwargs: Any) -> Transcript:
        raise AssertionError("a live turn takes its transcript from the live transcript")

    def cancel_download(self) -> None:
        pass

    def close(self, timeout: float = 5.0) -> None:
        pass


class Microphone:
    is_recording = False
    on_event = None

    def __init__(self) -> None:
        self.chunks = AudioChunks(16000, 16000 * 10)

    def start(self) -> None:
        self.is_recording = True

    def stop(self) -> AudioClip:
        self.is_recording = False
        return AudioClip(np.zeros(16000, np.float32))

    def cancel(self) -> None:
        self.is_recording = False

    def close(self) -> None:
        pass


def rig(groq: GroqServer, final: str, at_release: str | None = None,
        **settings: Any) -> tuple[Harness, GuessingTranscriber]:
    stt = GuessingTranscriber(final, at_release)
    h = Harness(groq, synth=FakeSynth(), transcriber=stt,
                settings=Settings(groq_api_key="gsk_test12345", groq_base_url=groq.base_url, **settings))
    h.assistant.listening.recorder = Microphone()
    return h, stt


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def guess_then_release(h: Harness, stt: GuessingTranscriber, groq: GroqServer) -> Any:
    """Press; the user pauses after GUESS (its reply is asked for); release: the turn's result."""
    h.assistant.push_to_talk_pressed()
    assert stt.on_guess is not None
    stt.on_guess(GUESS)
    wait_for(lambda: len(groq.received) == 1)
    turn = h.assistant.push_to_talk_released()
    assert turn is not None
    return turn.wait(15)


def user_words(request: Any) -> str:
    return request.body["messages"][-1]["content"]


@pytest.fixture
def slow_groq(groq_server: GroqServer) -> GroqServer:
    groq_server.default = GroqBehaviour(ttft_s=0.3, tokens_per_s=100)
    return groq_server


def test_a_guess_with_the_final_words_is_the_reply(slow_groq: GroqServer) -> None:
    h, stt = rig(slow_groq, "What is the capital of France?")
    try:
        h.assistant.push_to_talk_pressed()
        assert stt.on_guess is not None
        stt.on_guess(GUESS)  # the user paused: the request leaves now
        wait_for(lambda: len(slow_groq.received) == 1)
        time.sleep(0.4)  # (holding on: the reply streams meanwhile, nothing plays)
        assert h.player.enqueued == [] and h.store.messages == {}
        result = h.assistant.push_to_talk_released().wait(15)
    finally:
        h.close()
    assert isinstance(result, TurnFinished) and result.status == "complete", result
    assert result.timings.speculation == "hit" and result.reply == DEFAULT_REPLY
    assert len(slow_groq.received) == 1  # no second request
    assert user_words(slow_groq.received[0]) == GUESS
    assert [m.text for m in h.store.of_role("user")] == ["What is the capital of France?"]  # the final words
    assert h.store.of_role("assistant")[0].text == DEFAULT_REPLY
    assert [i for i, _ in h.synth.calls].count(0) == 1  # the first fragment was synthesised once, ahead
    # the first token was on its way before the release: the turn saw it sooner than Groq's 0.3 s
    assert result.timings.llm_first_token_ms is not None


def test_same_words_ignores_case_and_punctuation_only() -> None:
    assert same_words("What is the capital of France?", "what is the capital of france")
    assert same_words("What's up?", "what's up")
    assert not same_words("What is the capital of France?", "what is the capital of spain")
    assert not same_words("turn it on", "turn it on now")


def test_the_final_words_worded_otherwise_keep_the_guess_s_wording(slow_groq: GroqServer) -> None:
    """A greedy partial and the beam search agree on the words, not on case and stops: the reply under
    way is used, and the words stored are worded as they were sent (the reply answers exactly them)."""
    h, stt = rig(slow_groq, "what is the capital of France.")
    try:
        result = guess_then_release(h, stt, slow_groq)
    finally:
        h.close()
    assert isinstance(result, TurnFinished) and result.timings.speculation == "hit", result
    assert len(slow_groq.received) == 1
    assert [m.text for m in h.store.of_role("user")] == [GUESS]


@pytest.mark.parametrize("final", ["What is the capital of Spain?", "What is the capital of France today?"])
def test_a_guess_with_other_words_is_cancelled_and_the_reply_answers_the_final_words(
        slow_groq: GroqServer, final: str) -> None:
    h, stt = rig(slow_groq, final)
    try:
        result = guess_then_release(h, stt, slow_groq)
    finally:
        h.close()
    assert isinstance(result, TurnFinished) and result.status == "complete", result
    assert result.timings.speculation == "miss"
    assert [user_words(r) for r in slow_groq.received] == [GUESS, final]
    assert [m.text for m in h.store.of_role("user")] == [final]
    assert h.store.of_role("assistant")[0].text == DEFAULT_REPLY and len(h.store.of_role("assistant")) == 1


def test_speaking_again_withdraws_the_guess(slow_groq: GroqServer) -> None:
    h, stt = rig(slow_groq, "What is the capital of France and Spain?")
    try:
        h.assistant.push_to_talk_pressed()
        assert stt.on_guess is not None
        stt.on_guess(GUESS)
        wait_for(lambda: len(slow_groq.received) == 1)
        stt.on_guess(None)  # the user speaks on
        assert h.assistant._guess is None
        result = h.assistant.push_to_talk_released().wait(15)
    finally:
        h.close()
    assert isinstance(result, TurnFinished) and result.timings.speculation == "none"
    assert [user_words(r) for r in slow_groq.received] == [GUESS, "What is the capital of France and Spain?"]


def test_stop_while_a_guess_streams_cancels_it_and_stores_nothing(slow_groq: GroqServer) -> None:
    h, stt = rig(slow_groq, "What is the capital of France?")
    try:
        h.assistant.push_to_talk_pressed()
        assert stt.on_guess is not None
        stt.on_guess(GUESS)
        wait_for(lambda: len(slow_groq.received) == 1)
        guess = h.assistant._guess
        assert guess is not None
        h.assistant.stop()
        assert h.assistant._guess is None and guess[1]._cancel.is_set()
        guess[1]._thread.join(5)
        assert not guess[1]._thread.is_alive()  # the stream was closed, not read to its end
        time.sleep(0.3)
    finally:
        h.close()
    assert h.store.messages == {} and h.player.enqueued == []


def test_with_the_setting_off_nothing_leaves_before_the_release(slow_groq: GroqServer) -> None:
    h, stt = rig(slow_groq, "What is the capital of France?", speculative_reply=False)
    try:
        h.assistant.push_to_talk_pressed()
        assert stt.on_guess is not None
        stt.on_guess(GUESS)
        time.sleep(0.3)
        assert slow_groq.received == []
        result = h.assistant.push_to_talk_released().wait(15)
    finally:
        h.close()
    assert isinstance(result, TurnFinished) and result.timings.speculation == "none"
    assert [user_words(r) for r in slow_groq.received] == ["What is the capital of France?"]


@pytest.mark.parametrize(("final", "verdict", "asked"), [
    ("What is the capital of France?", "hit", [GUESS]),
    ("What is the capital of Spain?", "miss", [GUESS, "What is the capital of Spain?"]),
])
def test_released_before_a_guess_the_reply_is_asked_for_while_the_final_transcript_is_decoded(
        slow_groq: GroqServer, final: str, verdict: str, asked: list[str]) -> None:
    """A quick release (no pause before it): the reply to the words heard so far is asked for at the
    release, beside the final decode — used when the final words are those, else asked for anew."""
    h, _ = rig(slow_groq, final, at_release=GUESS)
    try:
        h.assistant.push_to_talk_pressed()
        turn = h.assistant.push_to_talk_released()
        assert turn is not None
        result = turn.wait(15)
    finally:
        h.close()
    assert isinstance(result, TurnFinished) and result.status == "complete", result
    assert result.timings.speculation == verdict
    # (the guess's request and the turn's own race to the server here: the final words come at once)
    assert sorted(user_words(r) for r in slow_groq.received) == sorted(asked)
    assert [m.text for m in h.store.of_role("user")] == [final]


def test_with_the_setting_off_nothing_is_asked_for_ahead_of_the_final_words_at_the_release(
        slow_groq: GroqServer) -> None:
    h, _ = rig(slow_groq, "What is the capital of Spain?", at_release=GUESS, speculative_reply=False)
    try:
        h.assistant.push_to_talk_pressed()
        turn = h.assistant.push_to_talk_released()
        assert turn is not None
        result = turn.wait(15)
    finally:
        h.close()
    assert isinstance(result, TurnFinished) and result.timings.speculation == "none"
    assert [user_words(r) for r in slow_groq.received] == ["What is the capital of Spain?"]
