"""The write path of a turn: find or start the conversation, add and update its messages.

This is what `assistant.persistence.TurnStore` asks of the history: the session rule
(`conversation_to_continue`, `conversation_for_turn`), the messages, and `recent_messages` (the
context a turn sends to the LLM).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_assistant.history.access import DatabaseAccess, message_record
from desktop_assistant.history.db import HistoryError
from desktop_assistant.history.records import (
    ROLES,
    SOURCES,
    MessageRecord,
    default_title,
)
from desktop_assistant.history.schema import ConversationRow, MessageRow
from desktop_assistant.log import redact
from desktop_assistant.messages import MessageStatus, TimingKey
from desktop_assistant.speech.transcript import Early

log = logging.getLogger(__name__)

#: how long saving a streaming reply's text waits for a busy database before skipping this save
SAVE_BUSY_MS = 250


class TurnWrites(DatabaseAccess):
    """The part of `HistoryStore` a turn uses."""

    def conversation_to_continue(self, agent: str, session_timeout: float) -> int | None:
        """The session rule, by the store's clock: the conversation a turn of `agent` continues now —
        the newest one, if it is this agent's and active within `session_timeout` s — or None (the
        next turn starts a new one). The turn (`conversation_for_turn`) and the window's first view
        both ask this."""
        return self._read(lambda s: _to_continue(s, agent, session_timeout, self._clock()))

    def conversation_for_turn(self, agent: str, session_timeout: float, *, new: bool = False) -> int:
        """The conversation to continue (`conversation_to_continue`) unless `new`, else a new one."""

        def work(s: Session) -> int:
            now = self._clock()
            if not new:
                current = _to_continue(s, agent, session_timeout, now)
                if current is not None:
                    return current
            row = ConversationRow(agent=agent, title=None, started_at=now, updated_at=now)
            s.add(row)
            s.flush()
            return row.id

        return self._write(work)

    def add_message(
        self,
        conversation_id: int,
        role: str,
        text: str,
        *,
        status: str = MessageStatus.COMPLETE,
        source: str = "typed",
        error: str | None = None,
        stt_model: str | None = None,
        llm_model: str | None = None,
    ) -> int:
        _check("role", role, ROLES)
        _check("status", status, tuple(MessageStatus))
        _check("source", source, SOURCES)

        def work(s: Session) -> int:
            conv = s.get(ConversationRow, conversation_id)
            if conv is None:
                raise ValueError(f"no conversation {conversation_id}")
            now = self._clock()
            row = MessageRow(
                conversation_id=conversation_id,
                role=role,
                text=text,
                created_at=now,
                status=status,
                source=source,
                error=redact(error) if error else error,
                stt_model=stt_model,
                llm_model=llm_model,
            )
            s.add(row)
            conv.updated_at = max(now, conv.updated_at)
            if conv.title is None and role == "user":
                conv.title = default_title(text)
            s.flush()
            return row.id

        return self._write(work)

    def update_message(
        self,
        message_id: int,
        *,
        text: str | None = None,
        status: str | None = None,
        error: str | None = None,
        timings: Mapping[str, float | None] | None = None,
        partials: int | None = None,
        early: str | None = None,
        speculation: str | None = None,
    ) -> None:
        """Set the given fields (None leaves a field as it is; timings set exactly the keys given).
        `partials` and `early`: the live transcript's updates and early-decode verdict, `speculation`: the
        verdict on the reply asked for before the release (spoken turns)."""
        if status is not None:
            _check("status", status, tuple(MessageStatus))
        if early is not None:
            _check("early", early, get_args(Early))
        if speculation is not None:
            _check("speculation", speculation, get_args(Early))
        if partials is not None and partials < 0:
            raise ValueError(f"partials must be >= 0, not {partials}")
        unknown = set(timings or ()) - set(TimingKey)
        if unknown:
            raise ValueError(f"unknown timing keys {sorted(unknown)}; expected some of {list(TimingKey)}")

        def work(s: Session) -> None:
            row = s.get(MessageRow, message_id)
            if row is None:
                raise ValueError(f"no message {message_id}")
            if text is not None and text != row.text:
                row.text = text
            if status is not None:
                row.status = status
            if error is not None:
                row.error = redact(error)
            for key, value in (timings or {}).items():
                setattr(row, key, None if value is None else float(value))
            if partials is not None:
                row.partials = int(partials)
            if early is not None:
                row.early = early
            if speculation is not None:
                row.speculation = speculation
            conv = s.get(ConversationRow, row.conversation_id)
            if conv is not None:
                conv.updated_at = max(self._clock(), conv.updated_at)

        self._write(work)

    def save_reply_text(self, message_id: int, text: str) -> bool:
        """Save the text of a reply still streaming, waiting at most `SAVE_BUSY_MS` for a busy
        database: False if it was not saved this time (the turn's final write retries)."""

        def work(conn: sqlite3.Connection) -> None:
            (usual,) = conn.execute("PRAGMA busy_timeout").fetchone()
            conn.execute(f"PRAGMA busy_timeout = {SAVE_BUSY_MS}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("UPDATE messages SET text = ? WHERE id = ?", (text, message_id))
                conn.execute("COMMIT")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                conn.execute(f"PRAGMA busy_timeout = {int(usual)}")

        try:
            self._raw(work)
            return True
        except HistoryError as exc:
            log.info("the streaming reply %d was not saved this time: %s", message_id, exc.message)
            return False

    def recent_messages(self, conversation_id: int, limit: int) -> list[MessageRecord]:
        """The last `limit` messages of a conversation, oldest first."""
        if limit <= 0:
            return []
        rows = self._read(
            lambda s: list(
                s.scalars(
                    select(MessageRow)
                    .where(MessageRow.conversation_id == conversation_id)
                    .order_by(MessageRow.id.desc())
                    .limit(limit)
                )
            )
        )
        return [message_record(r) for r in reversed(rows)]


def _to_continue(s: Session, agent: str, session_timeout: float, now: datetime) -> int | None:
    last = s.scalars(
        select(ConversationRow).order_by(ConversationRow.updated_at.desc(), ConversationRow.id.desc()).limit(1)
    ).first()
    if last is not None and last.agent == agent and (now - last.updated_at).total_seconds() <= session_timeout:
        return last.id
    return None


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, not {value!r}")
