"""What the app asks Whisper, and how it reads the answer: the options of a final decode and of a
live partial one, and the rules for "no speech" (silence, noise, subtitle hallucinations).
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
    """The final transcript: what a default `WhisperModel.transcribe(audio, beam_size=5)` does (its
    temperature fallback, previous-text conditioning, timestamps, the full 30 s window), given the
    agent's language and prompt, on the speech span (speech/endpoints.py) instead of the whole clip:
    the VAD has already cut the silence around the words, so Whisper's own VAD filter stays off."""
    return {
        "beam_size": 5,
        "vad_filter": False,
        "language": language,
        "initial_prompt": initial_prompt or None,
    }


PARTIAL_TOKENS_PER_S = 6.0  # ~3 words a second is fast speech; a greedy decode that loops stops there


def partial_options(language: str | None, initial_prompt: str | None, audio_s: float) -> dict[str, Any]:
    """A live partial transcript: fast over exact (greedy, one temperature, no timestamps), and never
    longer than the audio could hold (a greedy decode can loop to Whisper's 448-token limit: 1.3 s)."""
    return {
        "max_new_tokens": int(8 + PARTIAL_TOKENS_PER_S * audio_s),
        "beam_size": 1,
        "temperature": 0.0,
        "without_timestamps": True,
        "condition_on_previous_text": False,
        "vad_filter": False,
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
