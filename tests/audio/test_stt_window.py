"""The encoder window: sized to the audio for live partials (speech/window.py), Whisper's full 30 s for
the final transcript."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from support.audio import SENTENCES, fixture_samples
from support.wer import edits, words

from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.config import Settings
from desktop_assistant.paths import Paths
from desktop_assistant.speech.models import ResolvedModel
from desktop_assistant.speech.stt import Transcriber
from desktop_assistant.speech.window import (
    FULL_FRAMES,
    PARTIAL_MIN_FRAMES,
    WindowedWhisperModel,
    content_frames,
    encoder_frames,
)


def test_partial_encoder_frames_are_twice_the_audio_within_6_to_30_s() -> None:
    assert encoder_frames(0) == PARTIAL_MIN_FRAMES == 600
    assert encoder_frames(250) == 600
    assert encoder_frames(344) == 688
    assert encoder_frames(1000) == 2000
    assert encoder_frames(1600) == FULL_FRAMES == 3000
    assert encoder_frames(3000) == 3000


def test_content_frames_stop_at_faster_whispers_zero_padding() -> None:
    features = np.full((80, 344), -0.6, np.float32)
    features[:, 10] = 0.0  # a zero column inside the audio is still audio
    padded = np.zeros((80, FULL_FRAMES), np.float32)
    padded[:, :344] = features
    assert content_frames(padded) == 344
    assert content_frames(padded[np.newaxis]) == 344  # batched (1, 80, 3000)
    assert content_frames(np.zeros((80, FULL_FRAMES), np.float32)) == 0


@pytest.fixture(scope="module")
def windowed(embedded_model_dir: Path) -> WindowedWhisperModel:
    return WindowedWhisperModel(str(embedded_model_dir), device="cpu", compute_type="int8", cpu_threads=1)


@pytest.fixture
def short(windowed: WindowedWhisperModel) -> Any:
    windowed.short_windows = True
    yield windowed
    windowed.short_windows = False


def _padded_features(model: WindowedWhisperModel, samples: np.ndarray) -> np.ndarray:
    features = model.feature_extractor(samples)[:, :FULL_FRAMES]
    padded = np.zeros((features.shape[0], FULL_FRAMES), np.float32)
    padded[:, : features.shape[1]] = features
    return padded


@pytest.mark.slow
def test_a_partial_of_a_short_clip_is_encoded_over_twice_its_length_not_30_s(
        windowed: WindowedWhisperModel) -> None:
    padded = _padded_features(windowed, fixture_samples("weather.wav"))  # 2.75 s of audio: 275 frames
    assert np.asarray(windowed.encode(padded)).shape == (1, 1500, 384)  # the default: the full window
    windowed.short_windows = True
    try:
        assert np.asarray(windowed.encode(padded)).shape == (1, 300, 384)  # 600 frames → 300 positions
    finally:
        windowed.short_windows = False


@pytest.mark.slow
def test_a_full_window_of_speech_keeps_all_30_s(short: WindowedWhisperModel) -> None:
    speech = np.tile(fixture_samples("weather.wav"), 11)[: 30 * 16000]
    padded = _padded_features(short, speech)
    assert np.asarray(short.encode(padded)).shape == (1, 1500, 384)


@pytest.mark.slow
def test_several_sentences_in_one_clip_are_all_recognised(transcriber: Transcriber) -> None:
    """Timestamps stay on: without them tiny.en tends to stop after the first sentence."""
    gap = np.zeros(8000, np.float32)
    names = ["weather.wav", "lights.wav", "fox.wav"]
    samples = np.concatenate([part for name in names for part in (fixture_samples(name), gap)])
    result = transcriber.transcribe(AudioClip(samples), language="en")
    expected = " ".join(SENTENCES[name] for name in names)
    # 2-4 errors of 25 words under every numerics measured (bench/stt_numerics.py "weather+lights+fox");
    # a dropped sentence alone costs 8 or more.
    assert edits(expected, result.text).errors <= 7, result.text
    heard = words(result.text)
    ends = [heard.index(w) if w in heard else -1 for w in ("today", "kitchen", "lazy")]
    assert -1 not in ends and ends == sorted(ends), result.text  # each sentence, in order


# ------------------------------------------------------------ which decode gets which window

class WindowFake:
    """A model that records the window (`short_windows`) and the options of each decode."""

    def __init__(self) -> None:
        self.short_windows = False
        self.calls: list[tuple[bool, dict[str, Any]]] = []
        self.model = SimpleNamespace(is_multilingual=False)

    def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[Any, Any]:
        self.calls.append((self.short_windows, options))
        segment = SimpleNamespace(start=0.0, end=1.0, text=" Open the door.", no_speech_prob=0.01, avg_logprob=-0.2)
        return iter([segment]), SimpleNamespace(language="en")


def test_the_final_transcript_gets_the_full_window_and_a_partial_the_short_one(app_home: Path) -> None:
    fake = WindowFake()

    def factory(resolved: ResolvedModel, compute_type: str) -> WindowFake:
        return fake

    stt = Transcriber(Settings(stt_model="tiny.en"), Paths.from_env().ensure(), model_factory=factory)
    speech = fixture_samples("weather.wav")  # the final decode needs speech the VAD hears
    try:
        assert stt.transcribe(AudioClip(speech), language="en").text == "Open the door."
        assert stt.submit_partial(speech[:16000], language="en").result(30) == "Open the door."
        assert stt.transcribe(AudioClip(speech), language="en").text == "Open the door."
    finally:
        stt.close()
    assert [short for short, _ in fake.calls] == [False, True, False]
    final, partial = fake.calls[0][1], fake.calls[1][1]
    assert final["beam_size"] == 5 and "temperature" not in final  # the default call's fallback
    assert partial["beam_size"] == 1 and partial["temperature"] == 0.0
    assert partial["max_new_tokens"] == 8 + 6  # 1 s of audio: a looping greedy decode stops early
