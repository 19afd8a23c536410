"""Whisper's encoder window sized to the speech instead of always 30 seconds.

faster-whisper pads every window's mel features to 3000 frames (30 s) with zeros and encodes all
of them, so a 3-second push-to-talk clip pays for 30 s of encoder work, and every beam of the
decoder then attends over 1500 encoder positions. `WindowedWhisperModel` cuts that zero padding
down to twice the speech, never below 15 s (`encoder_frames`): on tiny.en that is 5x less
encoder time, and the decoder's cross-attention halves.

Measured by bench/stt.py against the same int8 model with the full window, and the default
float32 call: word error rate 12.0 % vs 15.7 % and 15.1 % on 95 espeak-ng requests; 7.3 % vs 7.3 %
and 6.2 % on 11 recordings of people (the gap to float32 is int8's). Word for word the window
changes some transcripts either way: it fixes more than it breaks, and breaks one fixture
(fox.wav, "brown fox" heard as "roundfire" under any window below 30 s). Windows below 15 s, or
tighter than twice the speech, start to repeat phrases and drop sentences, hence the floor and
the margin. A doubtful decode (a temperature fallback, or no words) is redone with the full
window (stt.Transcriber).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from faster_whisper import WhisperModel

FULL_FRAMES = 3000  # 30 s of 10 ms mel frames: the window Whisper was trained on
MIN_FRAMES = 1500  # 15 s: the shortest window that kept the words on the test corpus


def content_frames(features: np.ndarray) -> int:
    """Frames before faster-whisper's padding: `pad_or_trim` appends columns of exact zeros,
    which a log-mel frame of real audio (clamped, then shifted by +4) never is."""
    voiced = np.any(features != 0.0, axis=tuple(range(features.ndim - 1)))
    nonzero = np.flatnonzero(voiced)
    return int(nonzero[-1]) + 1 if nonzero.size else 0


def encoder_frames(content: int) -> int:
    """The window for `content` frames of audio: twice the audio, at least 15 s, at most 30 s."""
    return min(FULL_FRAMES, max(MIN_FRAMES, 2 * content))


class WindowedWhisperModel(WhisperModel):  # type: ignore[misc]  # faster_whisper ships no types
    """A WhisperModel whose encoder sees `encoder_frames(...)` instead of a full 30 s window.

    `short_windows` may be switched off for one call by the thread that owns the model.
    """

    short_windows: bool = True

    def encode(self, features: np.ndarray) -> Any:
        if self.short_windows and features.shape[-1] == FULL_FRAMES:
            frames = encoder_frames(content_frames(features))
            if frames < FULL_FRAMES:
                features = np.ascontiguousarray(features[..., :frames])
        return super().encode(features)
