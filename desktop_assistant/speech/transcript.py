"""What speech recognition hands on, as values that import without numpy, PyAV or faster-whisper:
a `Transcript` (the turn reads it) and the speech model's `ModelStatus` (the window shows it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ModelState = Literal["loading", "ready", "downloading", "error"]


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    no_speech_prob: float
    avg_logprob: float


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    segments: tuple[Segment, ...]
    duration_s: float
    stt_ms: float
    no_speech: bool = False
    model: str = ""
    model_source: str = ""


@dataclass(frozen=True)
class ModelStatus:
    name: str
    source: str
    state: ModelState
    progress: float | None = None  # 0..1 while downloading
    message: str = ""
    # Set while another model than the one asked for serves for a lasting reason (offline, a damaged
    # folder, a failed download): the cause and what to do, for a banner. Empty otherwise.
    problem: str = ""
