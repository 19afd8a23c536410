"""How every `HistoryStore` call reaches the database, and how rows become records.

Thread-safe: every call uses its own short session from a small pool and
commits before it returns, so a message added is on disk (in the WAL) even if
the app is killed a moment later. Database errors the user can act on (locked,
damaged, disk full) come out as `HistoryError`; others are bugs and propagate.
Error texts are redacted (anything shaped like a key or an `Authorization` value)
both when stored and when read back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from desktop_assistant.errors import UserFacingError
from desktop_assistant.history import db
from desktop_assistant.history.records import ConversationRecord, MessageRecord
from desktop_assistant.history.schema import ConversationRow, MessageRow
from desktop_assistant.log import redact

T = TypeVar("T")
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class DatabaseAccess:
    """The engine, the clock and the three ways in: a read session, a write session, a raw connection.

    The base of the parts of `HistoryStore` (`turns.TurnWrites`, `browsing.Browsing`).
    """

    def __init__(
        self, path: Path, engine: Engine, recovery: db.Recovery | None = None, clock: Clock = utcnow
    ) -> None:
        self.path = path
        self._engine = engine
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._clock = clock
        #: where a damaged database was moved at open, if it was
        self.recovered_from: Path | None = recovery.moved_to if recovery else None
        #: things to tell the user once (e.g. the damaged-file notice)
        self.notices: list[UserFacingError] = [recovery.notice()] if recovery else []

    def _read(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with Session(self._engine, expire_on_commit=False) as session:
                return work(session)

        return db.guarded(self.path, run)

    def _write(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with Session(self._writer, expire_on_commit=False) as session, session.begin():
                return work(session)

        return db.guarded(self.path, run)

    def _raw(self, work: Callable[[Any], T]) -> T:
        def run() -> T:
            with self._engine.connect() as conn:
                return work(conn.connection.driver_connection)

        return db.guarded(self.path, run)


_MESSAGE_FIELDS = tuple(f.name for f in fields(MessageRecord))


def message_record(r: MessageRow) -> MessageRecord:
    """The record of a row; an error stored with a key in it (by an older version) comes out redacted."""
    values = {name: getattr(r, name) for name in _MESSAGE_FIELDS}
    if values["error"]:
        values["error"] = redact(values["error"])
    return MessageRecord(**values)


def conversation_record(r: ConversationRow, count: int | None = None) -> ConversationRecord:
    n = r.message_count if count is None else count
    return ConversationRecord(r.id, r.agent, r.title, r.started_at, r.updated_at, int(n))
