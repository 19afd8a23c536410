"""Short start/stop cues for push-to-talk (generated, no files)."""

from __future__ import annotations

import numpy as np


def cue(kind: str, sample_rate: int = 24000, *, seconds: float = 0.07, volume: float = 0.2) -> np.ndarray:
    """A short soft tone: rising for "start", falling for "stop"."""
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    lo, hi = (660.0, 880.0) if kind == "start" else (880.0, 520.0)
    freq = np.linspace(lo, hi, n)
    phase = 2 * np.pi * np.cumsum(freq) / sample_rate
    envelope = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)  # 10 ms fade in and out: no clicks
    return (volume * envelope * np.sin(phase)).astype(np.float32)
