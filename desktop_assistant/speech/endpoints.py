"""Where the speech in a recording begins and ends, computed as the audio arrives.

Silero's voice-activity model (the one faster-whisper ships) scores each 32 ms window of 16 kHz
audio, with the 64 samples before it and a recurrent state carried along the windows, so a window's
score never depends on audio that came after it. `SpeechEndpoints` scores windows as
they arrive and keeps the scores: the speech span it gives for a prefix of a recording is the span
the whole recording gives up to that point. That is what lets a transcript decoded at a pause,
while the user still holds the key, be reused as the final one when nothing was said after it
(speech/live.py): the decoder's input, `span` of the audio, is then the same samples.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

RATE = 16000
WINDOW = 512  # samples per score (32 ms at 16 kHz)
CONTEXT = 64  # samples before each window the model sees
THRESHOLD = 0.5  # a window scoring this or more is speech
MIN_SPEECH_WINDOWS = 3  # ~100 ms of speech windows before a recording counts as speech (clicks, bumps)
PAD_BEFORE_S = 0.4  # audio kept before the first speech (Whisper hears the onset)
PAD_AFTER_S = 0.3  # and after the last speech window (the word's tail)

_model_lock = threading.Lock()
_model: Any = None


def vad_model() -> Any:
    """The Silero model faster-whisper ships (onnxruntime; one per process, loaded once)."""
    global _model
    with _model_lock:
        if _model is None:
            from faster_whisper.vad import get_vad_model

            _model = get_vad_model()
        return _model


@dataclass(frozen=True)
class Span:
    """Samples [start, end) of a recording to decode; `speech_end` is where the last speech window ended."""

    start: int
    end: int
    speech_end: int

    @property
    def duration_s(self) -> float:
        return (self.end - self.start) / RATE


class SpeechEndpoints:
    """Speech scores for one recording at 16 kHz, fed in pieces (`feed`) or at once."""

    def __init__(self, model: Any = None) -> None:
        self._model = model
        self._buffer = np.zeros(RATE * 8, dtype=np.float32)
        self._filled = 0
        self._scores: list[float] = []
        self._speech: list[int] = []  # indices of the windows scored as speech
        self._h = np.zeros((1, 1, 128), dtype=np.float32)  # the model's recurrent state: it runs along
        self._c = np.zeros((1, 1, 128), dtype=np.float32)  # the windows, carried from one feed to the next

    @property
    def _audio(self) -> np.ndarray:
        return self._buffer[:self._filled]

    @property
    def samples(self) -> int:
        return self._filled

    @property
    def scored(self) -> int:
        """Samples covered by scores (whole windows)."""
        return len(self._scores) * WINDOW

    def feed(self, audio: np.ndarray) -> None:
        """Append `audio` (float32, 16 kHz) and score every window now complete."""
        if len(audio):
            needed = self._filled + len(audio)
            if needed > len(self._buffer):  # grow by doubling: appends stay O(1) amortised
                grown = np.zeros(max(needed, 2 * len(self._buffer)), dtype=np.float32)
                grown[:self._filled] = self._audio
                self._buffer = grown
            self._buffer[self._filled:needed] = audio
            self._filled = needed
        first, last = len(self._scores), self._filled // WINDOW
        if last <= first:
            return
        rows = np.zeros((last - first, CONTEXT + WINDOW), dtype=np.float32)
        for row, w in enumerate(range(first, last)):
            begin = w * WINDOW
            rows[row, CONTEXT:] = self._audio[begin:begin + WINDOW]
            if w > 0:
                rows[row, :CONTEXT] = self._audio[begin - CONTEXT:begin]
        scores = self._score(rows)
        for w, score in zip(range(first, last), scores, strict=True):
            self._scores.append(score)
            if score >= THRESHOLD:
                self._speech.append(w)

    def _score(self, rows: np.ndarray) -> list[float]:
        model = self._model or vad_model()
        out, self._h, self._c = model.session.run(None, {"input": rows, "h": self._h, "c": self._c})
        return [float(v) for v in np.asarray(out).reshape(-1)]

    @property
    def heard_speech(self) -> bool:
        return len(self._speech) >= MIN_SPEECH_WINDOWS

    @property
    def speech_start(self) -> int | None:
        return self._speech[0] * WINDOW if self.heard_speech else None

    @property
    def speech_end(self) -> int | None:
        """Where the last speech window ends (samples), or None before any speech."""
        return (self._speech[-1] + 1) * WINDOW if self.heard_speech else None

    def silence_after_speech_s(self) -> float:
        """How long the scored audio has been silent since the last speech (0 before any speech)."""
        end = self.speech_end
        return 0.0 if end is None else max(0, self.scored - end) / RATE

    def span(self) -> Span | None:
        """What to decode of the audio so far: the speech with its pads, or None (no speech heard).
        The end pad is cut at the audio there is: it is complete once `PAD_AFTER_S` of audio follows."""
        start, end = self.speech_start, self.speech_end
        if start is None or end is None:
            return None
        return Span(max(0, start - int(PAD_BEFORE_S * RATE)), min(self.samples, end + int(PAD_AFTER_S * RATE)), end)

    def span_complete(self) -> bool:
        """The span's end pad is all there (a decode of it now is what the release would decode, if
        no speech follows)."""
        end = self.speech_end
        return end is not None and self.samples >= end + int(PAD_AFTER_S * RATE)

    def audio(self, span: Span) -> np.ndarray:
        """A copy of the span's samples (the buffer keeps growing under a view)."""
        return self._audio[span.start:span.end].copy()


def speech_span(samples: np.ndarray, model: Any = None) -> tuple[Span | None, np.ndarray]:
    """The span to decode in a whole recording (16 kHz) and its audio."""
    endpoints = SpeechEndpoints(model)
    endpoints.feed(samples)
    span = endpoints.span()
    return span, (endpoints.audio(span) if span is not None else np.zeros(0, dtype=np.float32))
