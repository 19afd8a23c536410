"""Browsing the history: list, count, read, rename and delete conversations.

What the history window and `desktop-assistant history` use, and what export
walks through (`iter_conversations`, a batch at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, literal_column, select
from sqlalchemy.orm import Session

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.history.access import DatabaseAccess, conversation_record, message_record
from desktop_assistant.history.records import ConversationDetail, ConversationRecord
from desktop_assistant.history.schema import ConversationRow, MessageRow


class Browsing(DatabaseAccess):
    """The part of `HistoryStore` the history browser uses."""

    def _filtered(
        self,
        stmt: Select[Any],
        agent: str | None,
        since: datetime | None,
        until: datetime | None,
        include_empty: bool,
    ) -> Select[Any]:
        if agent is not None:
            stmt = stmt.where(ConversationRow.agent == agent)
        if since is not None:
            stmt = stmt.where(ConversationRow.updated_at >= since)
        if until is not None:
            stmt = stmt.where(ConversationRow.updated_at < until)
        if not include_empty:
            # a literal 0 (not a bound parameter), so SQLite can use the partial index ix_conversations_listed
            stmt = stmt.where(ConversationRow.message_count > literal_column("0"))
        return stmt

    def list_conversations(
        self,
        limit: int = 50,
        offset: int = 0,
        agent: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        include_empty: bool = False,
    ) -> list[ConversationRecord]:
        """Newest activity first; `since`/`until` bound the last activity (`until` exclusive)."""
        stmt = self._filtered(select(ConversationRow), agent, since, until, include_empty)
        stmt = stmt.order_by(ConversationRow.updated_at.desc(), ConversationRow.id.desc())
        stmt = stmt.limit(max(limit, 0)).offset(max(offset, 0))
        rows = self._read(lambda s: list(s.scalars(stmt)))
        return [conversation_record(row) for row in rows]

    def count_conversations(
        self,
        agent: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        include_empty: bool = False,
    ) -> int:
        stmt = self._filtered(
            select(func.count()).select_from(ConversationRow), agent, since, until, include_empty
        )
        return int(self._read(lambda s: s.scalar(stmt)) or 0)

    def get_conversation(self, conversation_id: int) -> ConversationDetail | None:
        def work(s: Session) -> ConversationDetail | None:
            conv = s.get(ConversationRow, conversation_id)
            if conv is None:
                return None
            msgs = list(
                s.scalars(
                    select(MessageRow)
                    .where(MessageRow.conversation_id == conversation_id)
                    .order_by(MessageRow.id)
                )
            )
            return ConversationDetail(
                conversation_record(conv, len(msgs)), tuple(message_record(m) for m in msgs)
            )

        return self._read(work)

    def iter_conversations(
        self, ids: Iterable[int] | None = None, batch: int = 200
    ) -> Iterator[ConversationDetail]:
        """Conversations (oldest first, or in the order of `ids`) with their messages, a batch at a time."""
        if ids is not None:
            for cid in ids:
                detail = self.get_conversation(cid)
                if detail is not None:
                    yield detail
            return
        after = 0
        while True:

            def ids_after(s: Session, a: int = after) -> list[int]:
                return list(
                    s.scalars(
                        select(ConversationRow.id)
                        .where(ConversationRow.id > a)
                        .order_by(ConversationRow.id)
                        .limit(batch)
                    )
                )

            page = self._read(ids_after)
            if not page:
                return
            for cid in page:
                detail = self.get_conversation(cid)
                if detail is not None and detail.messages:
                    yield detail
            after = page[-1]

    def rename(self, conversation_id: int, title: str) -> None:
        clean = " ".join(title.split())
        if not clean:
            raise UserFacingError("A conversation title cannot be empty", kind=ErrorKind.INPUT)

        def work(s: Session) -> None:
            conv = s.get(ConversationRow, conversation_id)
            if conv is None:
                raise UserFacingError(f"There is no conversation {conversation_id}", kind=ErrorKind.INPUT)
            conv.title = clean

        self._write(work)

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        self.rename(conversation_id, title)

    def delete(self, conversation_id: int) -> bool:
        """Delete a conversation, its messages and their search index entries. False if it did not exist."""

        def work(s: Session) -> bool:
            conv = s.get(ConversationRow, conversation_id)
            if conv is None:
                return False
            # explicit, so the FTS delete trigger runs per message whatever the cascade settings
            messages = MessageRow.metadata.tables[MessageRow.__tablename__]  # (the Table: Core, not ORM, delete)
            s.execute(delete(messages).where(MessageRow.conversation_id == conversation_id))
            s.delete(conv)
            return True

        return self._write(work)

    def delete_conversation(self, conversation_id: int) -> bool:
        return self.delete(conversation_id)
