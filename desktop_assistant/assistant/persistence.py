"""What a turn needs from the history: the `TurnStore` protocol.

`history.store.HistoryStore` implements it; unit tests pass small in-memory fakes.
A turn stores the user message before the LLM call, then the assistant message as
`streaming`, saves its text as it streams (`save_reply_text`, at sentence ends), and
updates it to `complete`, `interrupted` or `failed` with timings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from desktop_assistant.messages import MessageLike, MessageStatus


class StoredMessage(MessageLike, Protocol):
    """A stored message as the turn reads it back (read-only: the store's records are frozen)."""

    @property
    def id(self) -> int: ...


@runtime_checkable
class TurnStore(Protocol):
    def conversation_to_continue(self, agent: str, session_timeout: float) -> int | None:
        """The conversation a turn of `agent` would continue now, or None (a new one): read only."""
        ...

    def conversation_for_turn(self, agent: str, session_timeout: float, *, new: bool = False) -> int: ...

    def add_message(self, conversation_id: int, role: str, text: str, *, status: str = MessageStatus.COMPLETE,
                    source: str = "typed", error: str | None = None, stt_model: str | None = None,
                    llm_model: str | None = None) -> int: ...

    def update_message(self, message_id: int, *, text: str | None = None, status: str | None = None,
                       error: str | None = None,
                       timings: Mapping[str, float | None] | None = None, partials: int | None = None,
                       early: str | None = None, speculation: str | None = None) -> None:
        """`partials`, `early`, `speculation`: the live transcript's facts (`assistant.events.TurnTimings.stored`)."""
        ...

    def save_reply_text(self, message_id: int, text: str) -> bool:
        """Save the text of a reply still streaming, without waiting for a busy database:
        False if it was not saved this time (the final `update_message` retries)."""
        ...

    def recent_messages(self, conversation_id: int, limit: int) -> Sequence[StoredMessage]: ...
