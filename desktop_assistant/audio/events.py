"""What the audio devices report, as values that import without numpy or PortAudio (so the engine
can match them with `isinstance` before any device is opened)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop_assistant.errors import AudioError


@dataclass(frozen=True)
class DeviceEvent:
    at: float  # time.monotonic() when it happened


@dataclass(frozen=True)
class DeviceFailed(DeviceEvent):
    error: AudioError


@dataclass(frozen=True)
class MicrophoneOpened(DeviceEvent):
    sample_rate: int  # the rate the device delivers (the clip is always 16 kHz)
    device: str


@dataclass(frozen=True)
class RecordingLimitReached(DeviceEvent):
    seconds: float


@dataclass(frozen=True)
class RecordingFailed(DeviceFailed):
    """The microphone stopped working during a recording."""


RecorderEvent = MicrophoneOpened | RecordingLimitReached | RecordingFailed


@dataclass(frozen=True)
class ChunkStarted(DeviceEvent):
    tag: Any  # what the chunk was queued with


@dataclass(frozen=True)
class Drained(DeviceEvent):
    """The player's queue ran dry (its last sample was handed to the device)."""


@dataclass(frozen=True)
class PlaybackFailed(DeviceFailed):
    """The output stopped working while playing."""


PlayerEvent = ChunkStarted | Drained | PlaybackFailed
