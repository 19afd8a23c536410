"""Whisper's encoder window sized to the audio, for live partial transcripts only.

faster-whisper pads every window's mel features to 3000 frames (30 s) with zeros and encodes all
of them, so a 2-second prefix of what the user is saying pays for 30 s of encoder work. For a
partial transcript (shown while the user speaks, replaced by the final one) `WindowedWhisperModel`
cuts that padding down to twice the audio, never below `PARTIAL_MIN_FRAMES` (6 s): ~70-125 ms per
partial on tiny.en instead of ~230.

The final transcript always gets the full 30 s window Whisper was trained on: on recordings of
people, windows sized to the speech made about a third more word errors than a default
faster-whisper call with the same model (bench/stt.py reports both), for 0.1-0.2 s saved.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from faster_whisper import WhisperModel

FULL_FRAMES = 3000  # 30 s of 10 ms mel frames: the window Whisper was trained on
PARTIAL_MIN_FRAMES = 600  # 6 s: below it greedy partials of short prefixes start to drift


def content_frames(features: np.ndarray) -> int:
    """Frames before faster-whisper's padding: `pad_or_trim` appends columns of exact zeros,
    which a log-mel frame of real audio (clamped, then shifted by +4) never is."""
    voiced = np.any(features != 0.0, axis=tuple(range(features.ndim - 1)))
    nonzero = np.flatnonzero(voiced)
    return int(nonzero[-1]) + 1 if nonzero.size else 0


def encoder_frames(content: int, floor: int = PARTIAL_MIN_FRAMES) -> int:
    """The window for `content` frames of audio: twice the audio, at least `floor`, at most 30 s."""
    return min(FULL_FRAMES, max(floor, 2 * content))


class WindowedWhisperModel(WhisperModel):  # type: ignore[misc]  # faster_whisper ships no types
    """A WhisperModel whose encoder sees `encoder_frames(...)` while `short_windows` is on (only the
    thread that owns the model switches it, for one partial decode); the full 30 s window otherwise."""

    short_windows: bool = False

    def encode(self, features: np.ndarray) -> Any:
        if self.short_windows and features.shape[-1] == FULL_FRAMES:
            frames = encoder_frames(content_frames(features))
            if frames < FULL_FRAMES:
                features = np.ascontiguousarray(features[..., :frames])
        return super().encode(features)
