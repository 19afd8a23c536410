"""What the app asks Whisper, and how it reads the answer: the decode options, the rules for
"no speech" (silence, noise, subtitle hallucinations), and when a short-window decode is doubtful
enough to be redone with the full window (speech/window.py).
"""

from __future__ import annotations

import re
from typing import Any

MIN_CLIP_S = 0.3
# A segment Whisper itself thinks is not speech: very sure, or fairly sure and unsure of the words
# (its own rule, > 0.6 and logprob < -1, lets " you" over noise through at -0.97).
NO_SPEECH_SURE, NO_SPEECH_LIKELY, LOW_LOGPROB = 0.9, 0.6, -0.7
# What Whisper says over silence or noise (learned from subtitles); never a real request on its own.
HALLUCINATIONS = frozenset({
    "thanks for watching", "thank you for watching", "thanks for watching bye", "please subscribe",
    "subscribe to my channel", "like and subscribe", "you", "the end", "so",
    "subtitles by the amaraorg community", "subtitles by", "transcription by castingwords",
})
_BRACKETED = re.compile(r"^\s*([\[\(♪*].*[\]\)♪*]|♪+)\s*$")


def decode_options(language: str | None, initial_prompt: str | None) -> dict[str, Any]:
    """The keyword arguments the app passes to WhisperModel.transcribe()."""
    return {
        "beam_size": 5,
        "temperature": (0.0, 0.4, 0.8),  # a retry only for a failed (looping) decode
        "vad_filter": True,
        "without_timestamps": False,
        "condition_on_previous_text": False,
        "language": language,
        "initial_prompt": initial_prompt or None,
    }


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", "", text.lower().replace("-", " ")).split())


def not_speech(segment: Any) -> bool:
    nsp = segment.no_speech_prob
    return bool(nsp >= NO_SPEECH_SURE or (nsp > NO_SPEECH_LIKELY and segment.avg_logprob < LOW_LOGPROB))


def is_hallucination(text: str) -> bool:
    return _normal(text) in HALLUCINATIONS or bool(_BRACKETED.match(text)) or not _normal(text)


def decode(model: Any, samples: Any, options: dict[str, Any]) -> tuple[list[Any], Any]:
    segments_iter, info = model.transcribe(samples, **options)
    return list(segments_iter), info  # the generator does the work: consume it here, in the worker


def doubtful(segments: list[Any], info: Any) -> bool:
    """Speech that fits one window (longer speech fills its windows anyway) where a segment needed
    a temperature above 0 (its first decode looped), or where the decode found no words."""
    speech_s = getattr(info, "duration_after_vad", 0.0) or 0.0
    if speech_s > 30.0:
        return False
    if any((getattr(s, "temperature", 0.0) or 0.0) > 0.0 for s in segments):
        return True
    return speech_s >= MIN_CLIP_S and not any(s.text.strip() for s in segments)
