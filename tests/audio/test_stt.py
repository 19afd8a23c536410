"""Transcriber: the real embedded tiny.en on the fixtures, then its behaviour with fake models."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from support.audio import NOISE, SENTENCES, SILENCE, fixture_samples
from support.wer import word_error_rate

from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.audio.decode import resample
from desktop_assistant.config import Settings
from desktop_assistant.errors import UserFacingError
from desktop_assistant.paths import Paths
from desktop_assistant.speech.decoding import decode_options, is_hallucination
from desktop_assistant.speech.models import ModelError, ResolvedModel
from desktop_assistant.speech.stt import Transcriber
from desktop_assistant.speech.transcript import ModelStatus

# ------------------------------------------------------------ the real model

# Fixtures heard word for word under every numerics bench/stt_numerics.py produced here (22: CPU
# ISAs, oneDNN caps, 1-2 threads, int8/float32; tests/fixtures/README.md). fox.wav ("roundfire jump",
# 3 errors in 9 words everywhere) and lights.wav ("my life", 2-3 errors in 8; word for word on other
# CPUs) sit on knife edges: their words are scored with the corpus in test_stt_corpus.py.
WORD_FOR_WORD = {"weather.wav"}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SENTENCES))
def test_fixture_sentences_are_transcribed(transcriber: Transcriber, name: str) -> None:
    result = transcriber.transcribe(AudioClip(fixture_samples(name)), language="en")
    if name in WORD_FOR_WORD:
        assert word_error_rate(SENTENCES[name], result.text) == 0.0, result.text
    assert result.text and not result.no_speech  # fox and lights: their words count in test_stt_corpus.py
    assert result.language == "en"
    assert (result.model, result.model_source) == ("tiny.en", "embedded")
    assert 0 < result.stt_ms < 10_000
    assert result.duration_s == pytest.approx(len(fixture_samples(name)) / 16000, abs=0.001)
    assert result.segments and result.segments[0].text


@pytest.mark.slow
@pytest.mark.parametrize("name", [SILENCE, NOISE])
def test_silence_and_noise_are_no_speech(transcriber: Transcriber, name: str) -> None:
    result = transcriber.transcribe(AudioClip(fixture_samples(name)), language="en")
    assert result.no_speech
    assert result.text == "" and result.segments == ()


@pytest.mark.slow
def test_clips_at_other_rates_are_resampled(transcriber: Transcriber) -> None:
    clip = AudioClip(resample(fixture_samples("weather.wav"), 16000, 44100), 44100)
    result = transcriber.transcribe(clip, language="en")
    assert word_error_rate(SENTENCES["weather.wav"], result.text) == 0.0, result.text


@pytest.mark.slow
def test_many_threads_can_submit_at_once(transcriber: Transcriber) -> None:
    """Each caller gets the transcript of its own clip: the one the same model gives that clip when
    it is submitted alone (whatever this CPU's numerics make of it)."""
    alone = {name: transcriber.transcribe(AudioClip(fixture_samples(name)), language="en").text for name in SENTENCES}
    assert len(set(alone.values())) == len(SENTENCES), alone
    names = list(SENTENCES) * 2
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: transcriber.transcribe(AudioClip(fixture_samples(n)), language="en"),
                                names))
    assert [r.text for r in results] == [alone[name] for name in names]


def test_too_short_clip_is_refused_before_the_model(transcriber: Transcriber) -> None:
    with pytest.raises(UserFacingError) as info:
        transcriber.transcribe(AudioClip(np.zeros(4000, np.float32)))  # 0.25 s
    assert "hold the button while you speak" in str(info.value)
    assert info.value.kind == "input"


@pytest.mark.slow
def test_offline_default_settings_use_embedded_and_say_why(app_home: Path) -> None:
    statuses: list[ModelStatus] = []
    stt = Transcriber(Settings(), Paths.from_env().ensure(), on_status=statuses.append)
    began = time.monotonic()
    stt.start()
    assert stt.wait_ready(30)
    took = time.monotonic() - began
    stt.close()
    assert took < 10
    assert stt.resolved is not None and stt.resolved.source == "embedded"
    assert statuses[-1].state == "ready"
    assert statuses[-1].message == ("base not downloaded and offline mode is on (HF_HUB_OFFLINE=1) — "
                                    "using embedded tiny.en")
    assert statuses[-1].problem.endswith("or choose a model marked ✓ in Settings")  # a lasting problem, shown


@pytest.mark.slow
def test_a_corrupt_model_file_falls_back_with_the_reason(app_home: Path, embedded_model_dir: Path,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "corrupt"
    folder.mkdir()
    for f in embedded_model_dir.iterdir():
        if f.name != "model.bin":
            (folder / f.name).symlink_to(f)
    (folder / "model.bin").write_bytes(b"\x00garbage" * 4096)
    statuses: list[ModelStatus] = []
    stt = Transcriber(Settings(stt_model=str(folder)), Paths.from_env().ensure(), on_status=statuses.append)
    assert stt.wait_ready(30)
    result = stt.transcribe(AudioClip(fixture_samples("lights.wav")), language="en")
    stt.close()
    assert result.model_source == "embedded"
    assert "could not be loaded" in statuses[-1].message and "using embedded tiny.en" in statuses[-1].message


# ------------------------------------------------------------ fake models (unit tests of the worker)


class FakeWhisper:
    """Returns canned segments; optionally slow or failing."""

    def __init__(self, texts: list[tuple[str, float] | tuple[str, float, float]] | None = None, *,
                 delay: float = 0.0,
                 error: Exception | None = None) -> None:
        self.texts = texts if texts is not None else [("Hello there.", 0.05)]
        self.delay = delay
        self.error = error
        self.calls: list[dict[str, Any]] = []
        self.model = SimpleNamespace(is_multilingual=True)

    def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[Any, Any]:
        self.calls.append(options)

        def segments() -> Any:
            time.sleep(self.delay)
            if self.error is not None:
                raise self.error
            for i, (text, nsp, *logprob) in enumerate(self.texts):
                yield SimpleNamespace(start=float(i), end=float(i + 1), text=" " + text, no_speech_prob=nsp,
                                      avg_logprob=logprob[0] if logprob else -0.2)

        return segments(), SimpleNamespace(language=options.get("language") or "de")


def fake_transcriber(app_home: Path, fake: FakeWhisper | None = None, *, fail_sources: tuple[str, ...] = (),
                     settings: Settings | None = None, **kwargs: Any) -> tuple[Transcriber, list[ResolvedModel]]:
    loaded: list[ResolvedModel] = []

    def factory(resolved: ResolvedModel, compute_type: str) -> FakeWhisper:
        if resolved.source in fail_sources:
            raise RuntimeError("Unable to open file 'model.bin' in model")
        loaded.append(resolved)
        return fake or FakeWhisper()

    stt = Transcriber(settings or Settings(stt_model="tiny.en"), Paths.from_env().ensure(), model_factory=factory,
                      **kwargs)
    return stt, loaded


CLIP = AudioClip(fixture_samples("weather.wav"))  # speech: the VAD hands it to the (fake) model


def test_app_decode_options() -> None:
    options = decode_options("en", "Names: Groq.")
    # the default call's options (its temperature fallback, conditioning, timestamps) but beam 5, the
    # agent's language and prompt, and no second VAD pass: the span given is the speech already
    assert options == {"beam_size": 5, "vad_filter": False, "language": "en", "initial_prompt": "Names: Groq."}
    assert decode_options(None, None)["initial_prompt"] is None


def test_a_clip_the_vad_finds_no_speech_in_is_not_decoded(app_home: Path) -> None:
    fake = FakeWhisper()
    stt, _ = fake_transcriber(app_home, fake)
    try:
        result = stt.transcribe(AudioClip(np.zeros(32000, np.float32)))
    finally:
        stt.close()
    assert result.no_speech and result.text == "" and fake.calls == []


def test_language_and_prompt_reach_the_model(app_home: Path) -> None:
    fake = FakeWhisper()
    stt, _ = fake_transcriber(app_home, fake)
    result = stt.transcribe(CLIP, language="fr", initial_prompt="Bonjour")
    stt.close()
    assert fake.calls[0]["language"] == "fr" and fake.calls[0]["initial_prompt"] == "Bonjour"
    assert result.text == "Hello there." and result.language == "fr"


@pytest.mark.parametrize(("texts", "expected"), [
    ([(" Thanks for watching!", 0.1)], ""),
    ([("[BLANK_AUDIO]", 0.1)], ""),
    ([("you", 0.2)], ""),
    ([("Turn it up.", 0.9)], ""),  # Whisper is sure it is not speech
    ([("Turn it up.", 0.7, -0.9)], ""),  # fairly sure, and unsure of the words
    ([("Turn it up.", 0.7, -0.3)], "Turn it up."),  # fairly sure, but the words are clear
    ([("Turn it up.", 0.9), ("Play music.", 0.1)], "Play music."),
    ([("Bye.", 0.1)], "Bye."),
    ([("Thank you.", 0.1)], "Thank you."),  # a real reply, not a subtitle credit
])
def test_no_speech_rules(app_home: Path, texts: list[tuple[str, float]], expected: str) -> None:
    stt, _ = fake_transcriber(app_home, FakeWhisper(texts))
    result = stt.transcribe(CLIP)
    stt.close()
    assert result.text == expected
    assert result.no_speech is (expected == "")


def test_hallucination_list() -> None:
    assert is_hallucination("Thanks for watching!") and is_hallucination(" ♪ ") and is_hallucination("...")
    assert not is_hallucination("What's the weather?")


def test_timeout_is_a_clear_error_and_the_worker_survives(app_home: Path) -> None:
    fake = FakeWhisper(delay=0.5)
    stt, _ = fake_transcriber(app_home, fake)
    stt.wait_ready(5)
    with pytest.raises(UserFacingError, match=r"took longer than 0\.1 s"):
        stt.transcribe(CLIP, timeout=0.1)
    fake.delay = 0.0
    assert stt.transcribe(CLIP, timeout=5).text == "Hello there."
    stt.close()


def test_model_errors_become_user_facing_errors(app_home: Path) -> None:
    stt, _ = fake_transcriber(app_home, FakeWhisper(error=RuntimeError("std::bad_alloc")))
    with pytest.raises(UserFacingError, match="Speech recognition failed: std::bad_alloc"):
        stt.transcribe(CLIP)
    stt.close()


def test_embedded_model_that_cannot_load_is_an_error_status(app_home: Path) -> None:
    statuses: list[ModelStatus] = []
    stt, _ = fake_transcriber(app_home, fail_sources=("embedded",), on_status=statuses.append)
    assert stt.wait_ready(5) is False
    with pytest.raises(ModelError, match="could not be loaded"):
        stt.transcribe(CLIP)
    stt.close()
    assert statuses[-1].state == "error"


def test_close_fails_pending_work_and_refuses_new(app_home: Path) -> None:
    whisper = FakeWhisper(delay=0.3)
    stt, _ = fake_transcriber(app_home, whisper)
    first = stt.submit(CLIP)
    second = stt.submit(CLIP)
    deadline = time.monotonic() + 5
    while not whisper.calls and time.monotonic() < deadline:  # the first one is running
        time.sleep(0.005)
    stt.close(timeout=5)
    assert first.result(1).text == "Hello there."  # the running one finishes
    with pytest.raises(UserFacingError, match="shut down"):
        second.result(1)
    with pytest.raises(UserFacingError, match="shut down"):
        stt.submit(CLIP)


def downloader_into(source: Path, *, gate: threading.Event | None = None):  # type: ignore[no-untyped-def]
    def download(repo_id: str, dest: Path, report, cancel: threading.Event) -> None:  # type: ignore[no-untyped-def]
        for i in range(1, 5):
            if gate is not None:
                gate.wait(5)
            report(i * 250, 1000)
            time.sleep(0.02)
        dest.mkdir(parents=True)
        for f in source.iterdir():
            (dest / f.name).symlink_to(f)

    return download


def test_background_download_serves_embedded_then_swaps(app_home: Path, embedded_model_dir: Path) -> None:
    statuses: list[ModelStatus] = []
    gate = threading.Event()
    stt, loaded = fake_transcriber(app_home, settings=Settings(stt_model="base"), allow_download=True,
                                   downloader=downloader_into(embedded_model_dir, gate=gate),
                                   on_status=statuses.append)
    assert stt.wait_ready(5)
    during = stt.transcribe(CLIP)  # the download is held back: the embedded model serves
    assert (during.model, during.model_source) == ("tiny.en", "embedded")
    gate.set()
    deadline = time.monotonic() + 5
    while (stt.resolved is None or stt.resolved.source != "download") and time.monotonic() < deadline:
        time.sleep(0.01)
    after = stt.transcribe(CLIP)
    stt.close()
    assert (after.model, after.model_source) == ("base", "download")
    assert [r.source for r in loaded] == ["embedded", "download"]
    progress = [s.progress for s in statuses if s.state == "downloading"]
    assert progress == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert "using embedded tiny.en meanwhile" in next(s.message for s in statuses if s.state == "downloading")
    assert statuses[-1].state == "ready" and statuses[-1].source == "download"


def test_cancelled_download_keeps_the_embedded_model(app_home: Path, embedded_model_dir: Path) -> None:
    statuses: list[ModelStatus] = []
    gate = threading.Event()
    stt, loaded = fake_transcriber(app_home, settings=Settings(stt_model="small"), allow_download=True,
                                   downloader=downloader_into(embedded_model_dir, gate=gate),
                                   on_status=statuses.append)
    assert stt.wait_ready(5)
    stt.cancel_download()
    gate.set()
    deadline = time.monotonic() + 5
    while "cancelled" not in stt.status.message and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stt.status.message == "download of small cancelled — using tiny.en"
    assert stt.transcribe(CLIP).model_source == "embedded"
    stt.close()
    assert [r.source for r in loaded] == ["embedded"]
    assert not (Paths.from_env().models_dir / "small").exists()


def test_failed_download_is_reported_and_embedded_keeps_serving(app_home: Path) -> None:
    def broken(repo_id: str, dest: Path, report, cancel) -> None:  # type: ignore[no-untyped-def]
        raise OSError("Connection reset by peer")

    stt, _ = fake_transcriber(app_home, settings=Settings(stt_model="base"), allow_download=True,
                              downloader=broken)
    assert stt.wait_ready(5)
    deadline = time.monotonic() + 5
    while "Could not download" not in stt.status.message and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "Could not download the base speech model" in stt.status.message
    assert stt.status.state == "ready"
    assert stt.transcribe(CLIP).model_source == "embedded"
    stt.close()


@pytest.mark.slow
def test_unsupported_compute_type_falls_back_to_int8(app_home: Path) -> None:
    statuses: list[ModelStatus] = []
    stt = Transcriber(Settings(stt_model="tiny.en", stt_compute_type="float16"), Paths.from_env().ensure(),
                      on_status=statuses.append)
    assert stt.wait_ready(30)
    result = stt.transcribe(AudioClip(fixture_samples("weather.wav")), language="en")
    stt.close()
    assert word_error_rate(SENTENCES["weather.wav"], result.text) == 0.0, result.text
    assert statuses[-1].message == "compute type float16 is not supported on this CPU — using int8"


def test_final_transcripts_go_before_partials_waiting_for_the_model(app_home: Path) -> None:
    """Partials degrade first: a final transcript asked for while partials wait is decoded next (it
    waits at most for the one decode already running), and the partials after it."""
    fake = FakeWhisper(delay=0.2)
    stt, _ = fake_transcriber(app_home, fake)
    try:
        assert stt.wait_ready(5)
        speech = CLIP.samples
        running = stt.submit_partial(speech[:16000], language="en")
        deadline = time.monotonic() + 5
        while not fake.calls and time.monotonic() < deadline:  # the first partial is being decoded
            time.sleep(0.005)
        waiting = [stt.submit_partial(speech[:16000], language="en") for _ in range(3)]
        final = stt.submit(CLIP, language="en")
        assert final.result(5).text == "Hello there."
        assert running.done() and not any(p.done() for p in waiting)  # the final overtook them
        assert all(p.result(5) == "Hello there." for p in waiting)
    finally:
        stt.close()
    kinds = ["partial" if call["beam_size"] == 1 else "final" for call in fake.calls]
    assert kinds == ["partial", "final", "partial", "partial", "partial"], kinds
