"""`speech/live.py` on the real tiny.en, fed by `play_into` (a recording simulated in real time or
faster): the final transcript is always the decode of the released clip — taken from the decode done
at a pause when nothing was said after it, decoded at the release otherwise — and the VAD's speech
span is the same whether the audio arrives in pieces or at once (speech/endpoints.py)."""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from typing import Any

import numpy as np
import pytest

from desktop_assistant.audio.chunks import AudioChunks, play_into
from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.speech.endpoints import SpeechEndpoints, speech_span
from desktop_assistant.speech.live import LiveTranscription
from desktop_assistant.speech.stt import Transcriber
from desktop_assistant.speech.transcript import LiveUpdate
from tests.support.audio import fixture_samples

pytestmark = pytest.mark.slow


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(16000 * seconds), np.float32)


def live_run(decoder: Any, samples: np.ndarray, *, speed: float = 2.0,
             guesses: list[str | None] | None = None) -> tuple[Any, Any, list[LiveUpdate], LiveTranscription]:
    chunks = AudioChunks(16000, 16000 * 60)
    updates: list[LiveUpdate] = []
    live = LiveTranscription(decoder, chunks, on_update=updates.append, language="en",
                             on_guess=guesses.append if guesses is not None else None).start()
    play_into(chunks, samples, speed=speed)
    transcript, stats = live.finish(AudioClip(chunks.samples()))
    return transcript, stats, updates, live


def test_the_vad_span_is_the_same_fed_in_pieces_or_at_once() -> None:
    samples = np.concatenate([silence(0.5), fixture_samples("weather.wav"), silence(0.7)])
    pieces = SpeechEndpoints()
    for start in range(0, len(samples), 320):  # 20 ms blocks, as a microphone delivers them
        pieces.feed(samples[start:start + 320])
    span, audio = speech_span(samples)
    assert span is not None and pieces.span() == span
    assert np.array_equal(pieces.audio(span), audio)
    assert 0 < span.start < 16000 and span.speech_end < span.end <= len(samples)


def test_a_pause_before_the_release_makes_the_final_transcript_ready(transcriber: Transcriber) -> None:
    samples = np.concatenate([fixture_samples("weather.wav"), silence(1.5)])
    guesses: list[str | None] = []
    transcript, stats, updates, _ = live_run(transcriber, samples, guesses=guesses)
    assert stats.early == "hit"
    assert transcript.text == transcriber.transcribe(AudioClip(samples), language="en").text
    assert "london" in transcript.text.lower()
    assert updates and [u.seq for u in updates] == list(range(1, len(updates) + 1)) and stats.partials == len(updates)
    assert guesses and guesses[-1] == transcript.text  # the last guess: the final decode's words


def test_speech_up_to_the_release_is_decoded_at_the_release(transcriber: Transcriber) -> None:
    first, second = fixture_samples("weather.wav"), fixture_samples("lights.wav")
    second = second[: int(np.flatnonzero(np.abs(second) > 0.01)[-1]) + 800]  # released 50 ms after the last word
    samples = np.concatenate([first, silence(1.2), second])  # a pause, then words until the release
    transcript, stats, _, _ = live_run(transcriber, samples)
    assert stats.early == "miss"  # the decode at the pause did not have the second sentence
    assert transcript.text == transcriber.transcribe(AudioClip(samples), language="en").text
    assert "kitchen" in transcript.text.lower() and "london" in transcript.text.lower()


def test_nothing_said_is_no_speech_without_a_decode(transcriber: Transcriber) -> None:
    transcript, stats, updates, _ = live_run(transcriber, silence(1.5), speed=4.0)
    assert transcript.no_speech and transcript.text == "" and transcript.stt_ms == 0.0
    assert updates == [] and stats.early == "none"


class FailingOnce:
    """The real transcriber, except that the first final decode fails (the model was still loading)."""

    def __init__(self, inner: Transcriber) -> None:
        self.inner = inner
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def submit_span(self, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        if not self.failed:
            self.failed = True
            future: cf.Future[Any] = cf.Future()
            future.set_exception(UserFacingError("The speech model is not loaded", kind=ErrorKind.MODEL))
            return future
        return self.inner.submit_span(*args, **kwargs)


def test_a_failed_decode_at_the_pause_is_done_again_at_the_release(transcriber: Transcriber) -> None:
    samples = np.concatenate([fixture_samples("weather.wav"), silence(1.5)])
    decoder = FailingOnce(transcriber)
    transcript, stats, _, _ = live_run(decoder, samples)
    assert decoder.failed and stats.early == "hit"
    assert transcript.text == transcriber.transcribe(AudioClip(samples), language="en").text


def test_cancel_ends_the_updates_and_the_thread(transcriber: Transcriber) -> None:
    chunks = AudioChunks(16000, 16000 * 60)
    updates: list[LiveUpdate] = []
    live = LiveTranscription(transcriber, chunks, on_update=updates.append, language="en").start()
    feeding = threading.Thread(target=play_into, args=(chunks, fixture_samples("weather.wav")), daemon=True)
    feeding.start()
    deadline = time.monotonic() + 20
    while not updates and time.monotonic() < deadline:
        time.sleep(0.02)
    assert updates, "no words appeared"
    live.cancel()
    shown = len(updates)
    feeding.join(10)
    time.sleep(0.5)
    assert len(updates) == shown  # nothing after Stop
    assert not any(t.name == "live-transcript" and t.is_alive() for t in threading.enumerate())
