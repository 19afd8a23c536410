"""The named facts of a stored message: its status, its timing keys, and its shape as read back.

`StrEnum`s: each member is the very string written to the history database, the logs and the
exports, so naming them here changed nothing on disk. The turn writes them, the store checks
them, the windows and commands read them; nothing else spells them out.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class MessageStatus(StrEnum):
    COMPLETE = "complete"
    STREAMING = "streaming"  # an assistant reply still arriving; at start-up leftovers become INTERRUPTED
    INTERRUPTED = "interrupted"  # stopped after the reply began: it keeps the text that was spoken
    FAILED = "failed"


class TimingKey(StrEnum):
    """The stages of a turn a reply's timings measure, in milliseconds (the messages table's columns)."""

    STT_MS = "stt_ms"  # turning what was said into text
    LLM_FIRST_TOKEN_MS = "llm_first_token_ms"  # the model's first word, after it was asked
    FIRST_AUDIO_MS = "first_audio_ms"  # release (or send) → first sample played
    TOTAL_MS = "total_ms"  # the whole turn
    FINAL_TRANSCRIPT_MS = "final_transcript_ms"  # release → the final transcript (spoken turns)


class MessageLike(Protocol):
    """A message of the conversation so far, as the turn and the LLM context read it (read-only:
    the store's records are frozen)."""

    @property
    def role(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def status(self) -> str: ...
