"""What the audio devices report, as values that import without numpy or PortAudio (so the engine
can match them with `isinstance` before any device is opened)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop_assistant.errors import AudioError


@dataclass(frozen=True)
class MicrophoneOpened:
    at: float
    sample_rate: int  # the rate the device delivers (the clip is always 16 kHz)
    device: str


@dataclass(frozen=True)
class RecordingLimitReached:
    at: float
    seconds: float


@dataclass(frozen=True)
class RecordingFailed:
    at: float
    error: AudioError


RecorderEvent = MicrophoneOpened | RecordingLimitReached | RecordingFailed


@dataclass(frozen=True)
class ChunkStarted:
    tag: Any
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Drained:
    at: float


@dataclass(frozen=True)
class PlaybackFailed:
    at: float
    error: AudioError


PlayerEvent = ChunkStarted | Drained | PlaybackFailed
