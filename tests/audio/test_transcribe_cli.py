"""`desktop-assistant transcribe` and `record`, run through cli.main() like a user would."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
from support.audio import (
    FIXTURES,
    SENTENCES,
    SINK_MAX_WER,
    active_seconds,
    encode,
    fixture_samples,
    play_into_sink,
    read_wav,
)
from support.wer import word_error_rate

from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.cli import build_parser, main

needs_pulse = pytest.mark.audio


@pytest.mark.slow
def test_transcribe_wav_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(FIXTURES / "weather.wav"), "--json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert set(data) >= {"text", "language", "duration_s", "stt_ms", "model", "model_source", "segments"}
    assert word_error_rate(SENTENCES["weather.wav"], data["text"]) == 0.0, data["text"]
    assert (data["model"], data["model_source"], data["language"]) == ("tiny.en", "embedded", "en")
    assert data["duration_s"] == pytest.approx(2.75, abs=0.01)
    assert data["segments"] and set(data["segments"][0]) == {"start", "end", "text"}
    assert "base not downloaded and offline mode is on (HF_HUB_OFFLINE=1) — using embedded tiny.en" in err


@pytest.mark.slow
@pytest.mark.parametrize(("codec", "suffix"), [("mp3", ".mp3"), ("flac", ".flac"), ("libopus", ".ogg")])
def test_transcribe_compressed_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], codec: str,
                                     suffix: str) -> None:
    path = encode(fixture_samples("weather.wav"), 16000, tmp_path / f"weather{suffix}", codec)
    assert main(["--stt-model", "tiny.en", "transcribe", str(path)]) == 0
    out, err = capsys.readouterr()
    assert word_error_rate(SENTENCES["weather.wav"], out) == 0.0, out
    assert err == ""  # tiny.en asked for: no fallback note


@pytest.mark.slow
def test_transcribing_leaves_no_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Audio goes to the model as arrays: decoding an MP3 and transcribing it writes no temp file."""
    import tempfile

    source = encode(fixture_samples("weather.wav"), 16000, tmp_path / "weather.mp3", "mp3")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert main(["--stt-model", "tiny.en", "transcribe", str(source)]) == 0
    out = capsys.readouterr().out
    assert word_error_rate(SENTENCES["weather.wav"], out) == 0.0, out
    # nor does onnxruntime (faster-whisper's VAD): its telemetry, which kept a session id in TMPDIR/.ses,
    # is off (speech/onnx_telemetry.py; tests/privacy runs it in a fresh process)
    assert [p.name for p in scratch.iterdir()] == []


@pytest.mark.slow
def test_transcribe_silence_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(FIXTURES / "silence.wav"), "--model", "tiny.en"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "no speech recognised" in err


@pytest.mark.parametrize("make", ["missing", "empty", "text"])
def test_bad_files_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], make: str) -> None:
    path = tmp_path / "input.mp3"
    if make == "empty":
        path.write_bytes(b"")
    elif make == "text":
        path.write_text("just words\n" * 50)
    assert main(["transcribe", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("desktop-assistant: ") and str(path) in err


def test_bad_model_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(FIXTURES / "fox.wav"), "--model", "/no/such/model"]) == 2
    _, err = capsys.readouterr()
    assert "STT_MODEL=/no/such/model: no such folder" in err and err.count("\n") == 1


def test_record_rejects_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["record", "--seconds", "-1"])
    assert info.value.code == 2
    assert main(["record", "--seconds", "1", "--out", str(tmp_path / "x.mp3")]) == 2
    assert "must be a .wav file" in capsys.readouterr().err


@pytest.mark.audio
@pytest.mark.slow
@needs_pulse
def test_record_writes_a_wav_of_what_was_played(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 transcriber) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "take.wav"
    build_parser()  # import every command module now, so the recording starts right away below
    player = play_into_sink(FIXTURES / "weather.wav", delay_s=0.5)
    assert main(["record", "--seconds", "3.6", "--out", str(out)]) == 0
    assert player.wait(timeout=10) == 0
    assert str(out) in capsys.readouterr().out
    with wave.open(str(out), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        assert w.getnframes() == pytest.approx(3.6 * 16000, abs=400)
    samples, _ = read_wav(out)
    assert active_seconds(samples, 16000) == pytest.approx(active_seconds(fixture_samples("weather.wav"), 16000),
                                                           abs=0.15)
    result = transcriber.transcribe(AudioClip(samples), language="en")
    assert word_error_rate(SENTENCES["weather.wav"], result.text) <= SINK_MAX_WER, result.text
