"""What the history store hands out: frozen records, never ORM objects.

Times are timezone-aware UTC `datetime`s. The allowed values of `role` and
`source` are listed here, those of `status` and the timing keys in
`desktop_assistant.messages`; the store checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desktop_assistant.messages import TimingKey

ROLES = ("user", "assistant", "system")
SOURCES = ("voice", "typed")
TITLE_MAX = 60


@dataclass(frozen=True)
class MessageRecord:
    id: int
    conversation_id: int
    role: str
    text: str
    status: str
    source: str
    created_at: datetime
    error: str | None = None
    stt_ms: float | None = None
    llm_first_token_ms: float | None = None
    first_audio_ms: float | None = None
    total_ms: float | None = None
    stt_model: str | None = None
    llm_model: str | None = None
    final_transcript_ms: float | None = None
    partials: int | None = None  # live-transcript updates shown while the user spoke
    early: str | None = None  # "hit" | "miss" | "none" (speech.transcript.Early)
    speculation: str | None = None  # the reply asked for before the release: "hit" | "miss" | "none"

    def timings(self) -> dict[TimingKey, float | None]:
        """The turn's timings by key (as `assistant.events.TurnTimings.as_dict` gives a live turn's)."""
        return {TimingKey.STT_MS: self.stt_ms, TimingKey.LLM_FIRST_TOKEN_MS: self.llm_first_token_ms,
                TimingKey.FIRST_AUDIO_MS: self.first_audio_ms, TimingKey.TOTAL_MS: self.total_ms,
                TimingKey.FINAL_TRANSCRIPT_MS: self.final_transcript_ms}


@dataclass(frozen=True)
class ConversationRecord:
    id: int
    agent: str
    title: str | None
    started_at: datetime
    updated_at: datetime
    message_count: int

    @property
    def display_title(self) -> str:
        return self.title or "(no messages yet)"


@dataclass(frozen=True)
class ConversationDetail:
    conversation: ConversationRecord
    messages: tuple[MessageRecord, ...]


def default_title(text: str, limit: int = TITLE_MAX) -> str | None:
    """A conversation title from its first user message: one line, cut at a word, '…' when cut."""
    line = " ".join(text.split())
    if not line:
        return None
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"
