"""What speech recognition hands on, as values that import without numpy, PyAV or faster-whisper:
a `Transcript` (the turn reads it), the live transcript's `LiveUpdate`s and `LiveStats` (speech/live.py),
and the speech model's `ModelStatus` (the window shows it)."""

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


Early = Literal["hit", "miss", "none"]


@dataclass(frozen=True)
class LiveUpdate:
    """What the live view shows while the user speaks: the words so far (`settled`: decoded as the
    final transcript at a pause, not a rough partial)."""

    seq: int  # 1, 2, … within the recording
    text: str
    at: float  # time.monotonic()
    settled: bool = False


@dataclass(frozen=True)
class LiveStats:
    """How the live transcript of one recording went."""

    partials: int  # updates shown while the user spoke
    first_update_ms: float | None  # first speech heard → first words shown
    early: Early  # the final decode done at a pause was the final ("hit"), was not ("miss"), or none ran
    final_wait_ms: float  # release → final transcript


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
