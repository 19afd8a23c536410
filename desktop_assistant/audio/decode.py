"""Decode compressed audio (WAV, FLAC, MP3, OGG, …) to float32 mono PCM, in-process with PyAV.

No ffmpeg binary and no temp files: PyAV (shipped with faster-whisper) reads the
file or the bytes, and its resampler converts to the wanted rate and layout.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np

from desktop_assistant.errors import AudioError, ErrorKind, UserFacingError

log = logging.getLogger(__name__)

_FRAME = 1 << 16  # samples per frame handed to the resampler


def _resampler(rate: int) -> av.AudioResampler:
    return av.AudioResampler(format="flt", layout="mono", rate=rate)


def _collect(frames: list[Any]) -> list[np.ndarray]:
    return [f.to_ndarray().reshape(-1) for f in frames if f.samples]


def _decode(source: str | BinaryIO, sample_rate: int, max_seconds: float | None) -> np.ndarray:
    """Decode the first audio stream of `source`; raises av.FFmpegError or ValueError."""
    with av.open(source, mode="r", metadata_errors="ignore") as container:
        streams = container.streams.audio
        if not streams:
            raise ValueError("it has no audio stream")
        resampler = _resampler(sample_rate)
        parts: list[np.ndarray] = []
        total = 0
        limit = int(max_seconds * sample_rate) if max_seconds else None
        for frame in container.decode(streams[0]):
            frame.pts = None  # let the resampler count samples itself (robust to odd timestamps)
            for chunk in _collect(resampler.resample(frame)):
                parts.append(chunk)
                total += len(chunk)
            if limit is not None and total >= limit:
                break
        parts.extend(_collect(resampler.resample(None)))
    samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    if limit is not None:
        samples = samples[:limit]
    return np.ascontiguousarray(samples, dtype=np.float32)


def decode_file(path: str | Path, sample_rate: int = 16000, *,
                max_seconds: float | None = None) -> np.ndarray:
    """The audio of `path` as float32 mono at `sample_rate`.

    A missing, empty, unreadable or non-audio file raises `UserFacingError(kind=ErrorKind.INPUT)`.
    """
    path = Path(path)
    if not path.exists():
        raise UserFacingError(f"No such file: {path}", kind=ErrorKind.INPUT)
    if path.is_dir():
        raise UserFacingError(f"{path} is a folder, not an audio file", kind=ErrorKind.INPUT)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserFacingError(f"Cannot read {path}: {exc.strerror}", kind=ErrorKind.INPUT) from None
    if size == 0:
        raise UserFacingError(f"{path} is empty", kind=ErrorKind.INPUT)
    try:
        samples = _decode(str(path), sample_rate, max_seconds)
    except PermissionError:
        raise UserFacingError(f"Cannot read {path}: permission denied", kind=ErrorKind.INPUT) from None
    except (av.FFmpegError, ValueError, OSError) as exc:
        log.debug("decode of %s failed: %s", path, exc)
        raise UserFacingError(
            f"{path} is not an audio file PyAV can read ({_short(exc)})",
            "use WAV, FLAC, MP3 or OGG",
            kind=ErrorKind.INPUT,
        ) from None
    if samples.size == 0:
        raise UserFacingError(f"{path} contains no audio", kind=ErrorKind.INPUT)
    return samples


def decode_bytes(data: bytes, sample_rate: int) -> np.ndarray:
    """Compressed audio bytes (e.g. gTTS MP3) as float32 mono PCM at `sample_rate`."""
    if not data:
        raise AudioError("No audio data to decode")
    try:
        return _decode(io.BytesIO(data), sample_rate, None)
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise AudioError(f"Could not decode audio ({_short(exc)})") from None


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Band-limited resampling of float32 mono PCM (libswresample via PyAV)."""
    samples = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
    if from_rate == to_rate or samples.size == 0:
        return samples.copy()
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError("sample rates must be positive")
    resampler = _resampler(to_rate)
    parts: list[np.ndarray] = []
    for start in range(0, samples.size, _FRAME):
        frame = av.AudioFrame.from_ndarray(samples[start:start + _FRAME].reshape(1, -1), format="flt",
                                           layout="mono")
        frame.sample_rate = from_rate
        parts.extend(_collect(resampler.resample(frame)))
    parts.extend(_collect(resampler.resample(None)))
    out = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return np.ascontiguousarray(out, dtype=np.float32)


def _short(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "…"
