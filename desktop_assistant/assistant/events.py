"""Typed events a turn emits, in this order for a spoken turn:

RecordingStarted → TranscriptPartial… (while the user speaks) → RecordingStopped (or
RecordingCancelled: no turn) → TranscriptReady →
UserMessageStored → ReplyStarted → ReplyDelta… → SpeakingStarted (first audio) → FragmentSpoken… →
TurnFinished | TurnFailed.
`Notice` can come at any time (e.g. the offline voice took over). Listeners are called
on the engine's threads: the GUI re-emits them as Qt signals, the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop_assistant.errors import NoticeKind, UserFacingError
from desktop_assistant.messages import MessageStatus, TimingKey
from desktop_assistant.speech.transcript import Early


@dataclass(frozen=True)
class TurnTimings:
    stt_ms: float | None = None  # the final transcript's decode (done before the release on an early hit)
    llm_first_token_ms: float | None = None
    first_audio_ms: float | None = None  # release (or send) → first sample played
    total_ms: float | None = None
    final_transcript_ms: float | None = None  # release → the final transcript (spoken turns)
    # the live transcript (spoken turns with one): updates shown while the user spoke, and whether the
    # final decode started at a pause was the final one ("hit"), was not ("miss"), or none ran ("none")
    partials: int | None = None
    early: Early | None = None
    speculation: Early | None = None  # the reply asked for before the release (assistant/speculation.py)

    def as_dict(self) -> dict[TimingKey, float | None]:
        return {TimingKey.STT_MS: self.stt_ms, TimingKey.LLM_FIRST_TOKEN_MS: self.llm_first_token_ms,
                TimingKey.FIRST_AUDIO_MS: self.first_audio_ms, TimingKey.TOTAL_MS: self.total_ms,
                TimingKey.FINAL_TRANSCRIPT_MS: self.final_transcript_ms}

    def stored(self) -> dict[str, Any]:
        """What the history keeps of them: the keyword arguments of `TurnStore.update_message`."""
        return {"timings": self.as_dict(), "partials": self.partials, "early": self.early,
                "speculation": self.speculation}


@dataclass(frozen=True)
class Event:
    turn_id: int


@dataclass(frozen=True)
class RecordingStarted(Event):
    pass


@dataclass(frozen=True)
class RecordingStopped(Event):
    duration_s: float


@dataclass(frozen=True)
class RecordingCancelled(Event):
    """The microphone closed without a turn: Stop (Esc) while listening, or a tap too short to be speech."""

    reason: str  # "stopped" | "tap"
    duration_s: float = 0.0


@dataclass(frozen=True)
class TranscriptPartial(Event):
    """The words heard so far, while the user still speaks (replaced by the next one, then by
    `TranscriptReady`); `settled`: decoded as the final transcript at a pause."""

    text: str
    seq: int
    settled: bool = False


@dataclass(frozen=True)
class TranscriptReady(Event):
    text: str
    stt_ms: float
    language: str | None = None


@dataclass(frozen=True)
class UserMessageStored(Event):
    conversation_id: int
    message_id: int
    text: str
    new_conversation: bool = False


@dataclass(frozen=True)
class ReplyStarted(Event):
    conversation_id: int
    message_id: int
    agent: str


@dataclass(frozen=True)
class ReplyDelta(Event):
    text: str  # the new piece
    reply: str  # everything so far


@dataclass(frozen=True)
class SpeakingStarted(Event):
    first_audio_ms: float


@dataclass(frozen=True)
class FragmentSpoken(Event):
    index: int  # playback of this fragment started
    text: str


@dataclass(frozen=True)
class Notice(Event):
    kind: NoticeKind
    message: str


@dataclass(frozen=True)
class TurnFinished(Event):
    conversation_id: int
    message_id: int
    reply: str  # the whole reply (what was shown)
    status: MessageStatus  # COMPLETE | INTERRUPTED
    spoken: str  # the part that was spoken (played at least in part)
    timings: TurnTimings


@dataclass(frozen=True)
class TurnFailed(Event):
    error: UserFacingError
    conversation_id: int | None = None
    message_id: int | None = None
    reply: str = ""
    timings: TurnTimings = TurnTimings()


@dataclass(frozen=True)
class ConversationChanged(Event):
    conversation_id: int | None  # None: the next turn starts a new one
    agent: str
