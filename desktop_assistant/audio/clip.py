"""`AudioClip`: what a recording is once it stops (float32 mono PCM and its rate)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000  # what Whisper wants, and what the recorder delivers


@dataclass(frozen=True, eq=False)  # arrays do not compare as one bool: clips compare by identity
class AudioClip:
    samples: np.ndarray  # float32, mono, -1..1
    sample_rate: int = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.samples) / float(self.sample_rate) if self.sample_rate else 0.0

    @property
    def peak(self) -> float:
        return float(np.max(np.abs(self.samples))) if len(self.samples) else 0.0

    @classmethod
    def silent(cls, seconds: float, sample_rate: int = SAMPLE_RATE) -> AudioClip:
        return cls(np.zeros(int(seconds * sample_rate), dtype=np.float32), sample_rate)


def level_dbfs(block: np.ndarray) -> float:
    """RMS level of a block in dBFS (-120 for digital silence)."""
    if block.size == 0:
        return -120.0
    return rms_dbfs(float(np.sqrt(np.mean(np.square(block, dtype=np.float64)))))


def rms_dbfs(rms: float) -> float:
    return max(-120.0, 20.0 * math.log10(rms)) if rms > 0 else -120.0
