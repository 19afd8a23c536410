"""Decoding files and bytes with PyAV, and resampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.audio import FIXTURES, SENTENCES, encode, fixture_samples, read_wav, tone

from desktop_assistant.audio.clip import AudioClip, level_dbfs
from desktop_assistant.audio.decode import decode_bytes, decode_file, resample
from desktop_assistant.errors import AudioError, UserFacingError


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


@pytest.mark.parametrize("name", [*SENTENCES, "silence.wav", "noise.wav"])
def test_fixture_wavs_decode_to_16k_float32(name: str) -> None:
    expected, _ = read_wav(FIXTURES / name)
    got = decode_file(FIXTURES / name)
    assert got.dtype == np.float32 and got.ndim == 1
    assert len(got) == len(expected)
    assert np.max(np.abs(got - expected)) < 1e-3


def test_committed_fixtures_are_small() -> None:
    for path in FIXTURES.glob("*.wav"):
        assert path.stat().st_size < 150_000, path


@pytest.mark.parametrize(("codec", "suffix", "tolerance"),
                         [("mp3", ".mp3", 0.15), ("flac", ".flac", 0.01), ("libopus", ".ogg", 0.1)])
def test_compressed_formats_decode(tmp_path: Path, codec: str, suffix: str, tolerance: float) -> None:
    source = fixture_samples("fox.wav")
    path = encode(source, 16000, tmp_path / f"fox{suffix}", codec)
    got = decode_file(path)
    assert abs(len(got) - len(source)) / 16000 < tolerance  # encoder padding only
    assert abs(level_dbfs(got) - level_dbfs(source)) < 1.5
    if codec == "flac":  # lossless: the very same samples
        assert np.max(np.abs(got[: len(source)] - source)) < 1e-3


def test_decode_other_rates_and_stereo(tmp_path: Path) -> None:
    import av

    path = tmp_path / "stereo44k.wav"
    t = np.arange(44100) / 44100
    left = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=44100, layout="stereo")
        frame = av.AudioFrame.from_ndarray((np.stack([left, left]) * 32767).astype(np.int16).T.reshape(1, -1),
                                           format="s16", layout="stereo")
        frame.sample_rate = 44100
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    got = decode_file(path, 16000)
    assert abs(len(got) - 16000) <= 16
    assert abs(dominant_hz(got, 16000) - 1000) < 5


def test_decode_bytes_mp3(tmp_path: Path) -> None:
    data = encode(tone(440, 1.0, 24000), 24000, tmp_path / "t.mp3", "mp3").read_bytes()
    pcm = decode_bytes(data, 24000)
    assert pcm.dtype == np.float32
    assert 0.95 < len(pcm) / 24000 < 1.15
    assert abs(dominant_hz(pcm, 24000) - 440) < 5


@pytest.mark.parametrize("data", [b"", b"not audio at all" * 100])
def test_decode_bytes_rejects_garbage(data: bytes) -> None:
    with pytest.raises(AudioError):
        decode_bytes(data, 24000)


def test_max_seconds_limits_decoding() -> None:
    got = decode_file(FIXTURES / "fox.wav", max_seconds=1.0)
    assert len(got) == 16000


@pytest.mark.parametrize("make", ["missing", "empty", "text", "folder", "truncated"])
def test_bad_files_are_input_errors(tmp_path: Path, make: str) -> None:
    path = tmp_path / "clip.wav"
    if make == "empty":
        path.write_bytes(b"")
    elif make == "text":
        path.write_text("hello, this is a text file and not audio\n" * 20)
    elif make == "folder":
        path.mkdir()
    elif make == "truncated":
        path.write_bytes((FIXTURES / "fox.wav").read_bytes()[:40])  # a header and no samples
    with pytest.raises(UserFacingError) as info:
        decode_file(path)
    assert info.value.kind == "input"
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_resample_keeps_pitch_and_length() -> None:
    x = tone(1000, 2.0, 48000, amp=0.5)
    y = resample(x, 48000, 16000)
    assert abs(len(y) - 32000) <= 2
    assert abs(dominant_hz(y, 16000) - 1000) < 2
    assert abs(level_dbfs(y[1000:-1000]) - level_dbfs(x)) < 0.5


def test_resample_is_band_limited() -> None:
    """A 10 kHz tone cannot exist at 16 kHz: it must be filtered out, not folded to 6 kHz."""
    y = resample(tone(10000, 1.0, 48000, amp=0.5), 48000, 16000)
    assert np.sqrt(np.mean(y[500:-500] ** 2)) < 0.01


def test_resample_identity_and_empty() -> None:
    x = tone(440, 0.1, 16000)
    same = resample(x, 16000, 16000)
    assert same is not x and np.array_equal(same, x)
    assert resample(np.zeros(0, np.float32), 48000, 16000).size == 0
    with pytest.raises(ValueError):
        resample(x, 0, 16000)


def test_clip_and_levels() -> None:
    clip = AudioClip(tone(440, 1.5, 16000, amp=1.0))
    assert clip.duration_s == pytest.approx(1.5)
    assert clip.peak == pytest.approx(1.0, abs=1e-3)
    assert level_dbfs(clip.samples) == pytest.approx(-3.01, abs=0.05)
    assert level_dbfs(np.zeros(100, np.float32)) == -120.0
    assert AudioClip.silent(0.5).duration_s == 0.5
