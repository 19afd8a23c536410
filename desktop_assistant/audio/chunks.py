"""The microphone's audio as it arrives: timestamped chunks that consumers read while the user is
still speaking (a live transcript, voice endpointing, a wake word), not only as one clip at the end.

The audio callback appends; any number of readers keep their own cursor (`read(after)`) and never
block the writer (the lock is held for a list append or a slice). Bounded by the recording's
limit, so no chunk is ever overwritten before the recording ends; what the device itself dropped
(PortAudio's input overflow: the callback ran late) is counted in `overflows`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Chunk:
    seq: int  # 0, 1, 2, … in the recording
    at: float  # time.monotonic() when the block reached the callback
    offset: int  # its first sample's position in the recording (at `rate`)
    samples: np.ndarray  # float32 mono, at the device's rate


class AudioChunks:
    """One recording's chunks at `rate`, up to `capacity` samples."""

    def __init__(self, rate: int, capacity: int) -> None:
        self.rate = rate
        self.capacity = capacity
        self.overflows = 0  # blocks the device lost before they reached the callback
        self._chunks: list[Chunk] = []
        self._filled = 0
        self._lock = threading.Lock()

    @property
    def filled(self) -> int:
        """Samples kept so far."""
        return self._filled

    @property
    def full(self) -> bool:
        return self._filled >= self.capacity

    def append(self, block: np.ndarray, at: float) -> int:
        """Keep (a copy of) `block`, cut at the capacity; returns the samples kept (audio thread)."""
        room = self.capacity - self._filled
        if room <= 0 or len(block) == 0:
            return 0
        kept = block[:room].copy()
        with self._lock:
            self._chunks.append(Chunk(len(self._chunks), at, self._filled, kept))
            self._filled += len(kept)
        return len(kept)

    def read(self, after: int = -1) -> list[Chunk]:
        """The chunks whose `seq` is greater than `after` (-1: all of them so far)."""
        with self._lock:
            return self._chunks[after + 1:]

    def samples(self) -> np.ndarray:
        """Everything kept so far, as one array at `rate`."""
        chunks = self.read()
        return np.concatenate([c.samples for c in chunks]) if chunks else np.zeros(0, dtype=np.float32)


def play_into(chunks: AudioChunks, samples: np.ndarray, *, block_s: float = 0.02, speed: float = 1.0,
              stop: threading.Event | None = None) -> None:
    """Append `samples` to `chunks` block by block at the pace a microphone would deliver them
    (`speed` times faster): a recording simulated from a file, on the calling thread."""
    import time

    block = max(1, int(chunks.rate * block_s))
    start = time.monotonic()
    for n, offset in enumerate(range(0, len(samples), block)):
        due = start + (n + 1) * block_s / speed  # a block arrives once it has been "spoken"
        if stop is not None:
            if stop.wait(max(0.0, due - time.monotonic())):
                return
        else:
            time.sleep(max(0.0, due - time.monotonic()))
        chunks.append(samples[offset:offset + block], time.monotonic())
