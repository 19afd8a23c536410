"""What the history browser reads and changes, over the real `HistoryStore`.

Not a widget: it imports the history package (SQLAlchemy) lazily, and the store
is the App's shared part ("history"), so the browser and the engine use one
database connection pool. Paging and single-conversation reads are small indexed
queries (fine on the GUI thread); search is called from a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_assistant.errors import ErrorKind, UserFacingError

if TYPE_CHECKING:  # SQLAlchemy: loaded when the browser first reads
    from desktop_assistant.app import App
    from desktop_assistant.history.records import ConversationDetail, ConversationRecord, MessageRecord
    from desktop_assistant.history.search import SearchHit
    from desktop_assistant.history.store import HistoryStore
    from desktop_assistant.ui.latency_plot import LatencyPoint


@dataclass(frozen=True)
class Detail:
    id: int
    title: str
    agent: str
    messages: tuple[MessageRecord, ...]


class HistorySource:
    def __init__(self, store: HistoryStore) -> None:
        self.store = store

    @classmethod
    def for_app(cls, app: App) -> HistorySource:
        from desktop_assistant.history.store import app_store

        return cls(app_store(app))

    def conversations(self, *, offset: int, limit: int, agent: str | None = None) -> Sequence[ConversationRecord]:
        return self.store.list_conversations(limit=limit, offset=offset, agent=agent)

    def _detail(self, conversation_id: int) -> ConversationDetail:
        detail = self.store.get_conversation(conversation_id)
        if detail is None:
            raise UserFacingError(f"Conversation {conversation_id} no longer exists", kind=ErrorKind.INPUT)
        return detail

    def conversation_row(self, conversation_id: int) -> ConversationRecord:
        return self._detail(conversation_id).conversation

    def conversation(self, conversation_id: int) -> Detail:
        detail = self._detail(conversation_id)
        c = detail.conversation
        return Detail(c.id, c.display_title, c.agent, tuple(detail.messages))

    def search(self, query: str, *, limit: int = 100, agent: str | None = None) -> Sequence[SearchHit]:
        """Ranked hits (SearchHit: conversation_id, message_id, role, snippet with «marks», created_at)."""
        return self.store.search(query, limit=limit, agent=agent)

    def rename(self, conversation_id: int, title: str) -> None:
        self.store.rename_conversation(conversation_id, title)

    def delete(self, conversation_id: int) -> None:
        self.store.delete_conversation(conversation_id)

    def export(self, conversation_id: int, fmt: str) -> str:
        from desktop_assistant.history.export import export_conversation

        return export_conversation(self._detail(conversation_id), fmt)

    def latency_points(self, limit: int = 200) -> list[LatencyPoint]:
        """The latencies of the most recent turns (release → first audio, → final transcript), oldest first."""
        from desktop_assistant.ui.latency_plot import LatencyPoint

        return [LatencyPoint(r.created_at.astimezone().strftime("%d %b %H:%M"), r.first_audio_ms,
                             r.final_transcript_ms)
                for r in self.store.recent_latencies(limit=limit)]
