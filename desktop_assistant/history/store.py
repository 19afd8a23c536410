"""`HistoryStore`: the only way into the history database.

Thread-safe: every call uses its own short session from a small pool and
commits before it returns, so a message added is on disk (in the WAL) even if
the app is killed a moment later. Database errors the user can act on (locked,
damaged, disk full) come out as `HistoryError`; others are bugs and propagate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from sqlalchemy import Engine, Select, func, literal_column, select
from sqlalchemy.orm import Session

from desktop_assistant.errors import UserFacingError
from desktop_assistant.history import db
from desktop_assistant.history import search as fts
from desktop_assistant.history.export import FORMATS, write_export
from desktop_assistant.history.records import (
    ROLES,
    SOURCES,
    STATUSES,
    TIMING_KEYS,
    ConversationDetail,
    ConversationRecord,
    MessageRecord,
    default_title,
)
from desktop_assistant.history.schema import ConversationRow, MessageRow
from desktop_assistant.history.stats import HistoryStats, compute_stats

log = logging.getLogger(__name__)
T = TypeVar("T")
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HistoryStore:
    def __init__(
        self, path: Path, engine: Engine, recovery: db.Recovery | None = None, clock: Clock = _utcnow
    ) -> None:
        self.path = path
        self._engine = engine
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._clock = clock
        #: where a damaged database was moved at open, if it was
        self.recovered_from: Path | None = recovery.moved_to if recovery else None
        #: things to tell the user once (e.g. the damaged-file notice)
        self.notices: list[UserFacingError] = [recovery.notice()] if recovery else []

    @classmethod
    def open(
        cls, db_path: Path, *, busy_timeout: float = db.BUSY_TIMEOUT_S, clock: Clock = _utcnow
    ) -> HistoryStore:
        """Create or migrate the database; set a damaged one aside; stale `streaming` → interrupted."""
        db_path = Path(db_path)
        recovery = db.prepare(db_path, busy_timeout)
        return cls(db_path, db.make_engine(db_path, busy_timeout), recovery, clock)

    def close(self) -> None:
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA optimize")
        except Exception:  # noqa: BLE001 - closing must not fail on a busy database
            log.debug("PRAGMA optimize skipped", exc_info=True)
        self._engine.dispose()

    # -- plumbing -------------------------------------------------------------------------------
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

    # -- writing a turn ---------------------------------------------------------------------------
    def start_conversation(self, agent: str) -> int:
        def work(s: Session) -> int:
            now = self._clock()
            row = ConversationRow(agent=agent, title=None, started_at=now, updated_at=now)
            s.add(row)
            s.flush()
            return row.id

        return self._write(work)

    def conversation_for_turn(self, agent: str, session_timeout: float, *, new: bool = False) -> int:
        """The newest conversation if it is this agent's and active within `session_timeout` s, else new."""

        def work(s: Session) -> int:
            now = self._clock()
            if not new:
                last = s.scalars(
                    select(ConversationRow)
                    .order_by(ConversationRow.updated_at.desc(), ConversationRow.id.desc())
                    .limit(1)
                ).first()
                if (
                    last is not None
                    and last.agent == agent
                    and (now - last.updated_at).total_seconds() <= session_timeout
                ):
                    return last.id
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
        status: str = "complete",
        source: str = "typed",
        error: str | None = None,
        stt_model: str | None = None,
        llm_model: str | None = None,
    ) -> int:
        _check("role", role, ROLES)
        _check("status", status, STATUSES)
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
                error=error,
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
    ) -> None:
        """Set the given fields (None leaves a field as it is; timings set exactly the keys given)."""
        if status is not None:
            _check("status", status, STATUSES)
        unknown = set(timings or ()) - set(TIMING_KEYS)
        if unknown:
            raise ValueError(f"unknown timing keys {sorted(unknown)}; expected some of {TIMING_KEYS}")

        def work(s: Session) -> None:
            row = s.get(MessageRow, message_id)
            if row is None:
                raise ValueError(f"no message {message_id}")
            if text is not None and text != row.text:
                row.text = text
            if status is not None:
                row.status = status
            if error is not None:
                row.error = error
            for key, value in (timings or {}).items():
                setattr(row, key, None if value is None else float(value))
            conv = s.get(ConversationRow, row.conversation_id)
            if conv is not None:
                conv.updated_at = max(self._clock(), conv.updated_at)

        self._write(work)

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
        return [_message(r) for r in reversed(rows)]

    # -- browsing ---------------------------------------------------------------------------------
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
        return [_conversation(row) for row in rows]

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
            return ConversationDetail(_conversation(conv, len(msgs)), tuple(_message(m) for m in msgs))

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
            page = self._read(
                lambda s, a=after: list(
                    s.scalars(
                        select(ConversationRow.id)
                        .where(ConversationRow.id > a)
                        .order_by(ConversationRow.id)
                        .limit(batch)
                    )
                )
            )
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
            raise UserFacingError("A conversation title cannot be empty", kind="input")

        def work(s: Session) -> None:
            conv = s.get(ConversationRow, conversation_id)
            if conv is None:
                raise UserFacingError(f"There is no conversation {conversation_id}", kind="input")
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
            s.execute(MessageRow.__table__.delete().where(MessageRow.conversation_id == conversation_id))
            s.delete(conv)
            return True

        return self._write(work)

    def delete_conversation(self, conversation_id: int) -> bool:
        return self.delete(conversation_id)

    # -- search, stats, export ----------------------------------------------------------------------
    def search(
        self,
        text: str,
        *,
        limit: int = 20,
        offset: int = 0,
        prefix_last: bool = True,
        agent: str | None = None,
    ) -> list[fts.SearchHit]:
        """Ranked hits for what the user typed; never raises on odd input (see `search.match_query`)."""
        return self._raw(
            lambda conn: fts.search(
                conn, text, limit=limit, offset=offset, prefix_last=prefix_last, agent=agent
            )
        )

    def recent_latencies(self, limit: int = 200) -> list[MessageRecord]:
        """The latest messages that have a `first_audio_ms` timing (spoken replies), oldest first."""
        rows = self._read(
            lambda s: list(
                s.scalars(
                    select(MessageRow)
                    .where(MessageRow.first_audio_ms.is_not(None))
                    .order_by(MessageRow.id.desc())
                    .limit(max(limit, 0))
                )
            )
        )
        return [_message(r) for r in reversed(rows)]

    def stats(self, days: int = 30, *, tz: Any = None) -> HistoryStats:
        return self._raw(lambda conn: compute_stats(conn, self._clock(), days=days, tz=tz))

    def export(
        self,
        out: TextIO,
        fmt: str,
        conversation_id: int | None = None,
        *,
        speakers: Mapping[str, str] | None = None,
    ) -> int:
        """Write one conversation (or all, when None) to `out`; returns how many were written."""
        if fmt not in FORMATS:
            raise UserFacingError(
                f"Unknown export format '{fmt}'", f"Use one of {', '.join(FORMATS)}", kind="input"
            )
        if conversation_id is not None:
            detail = self.get_conversation(conversation_id)
            if detail is None:
                raise UserFacingError(f"There is no conversation {conversation_id}", kind="input")
            return write_export([detail], fmt, out, speakers=speakers)
        return write_export(self.iter_conversations(), fmt, out, speakers=speakers)


def app_store(app: Any) -> HistoryStore:
    """The app's one store (built on first use, closed with the app)."""
    return app.part("history", lambda: HistoryStore.open(app.paths.database_file), HistoryStore.close)


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, not {value!r}")


_MESSAGE_FIELDS = tuple(f.name for f in fields(MessageRecord))


def _message(r: MessageRow) -> MessageRecord:
    return MessageRecord(**{name: getattr(r, name) for name in _MESSAGE_FIELDS})


def _conversation(r: ConversationRow, count: int | None = None) -> ConversationRecord:
    n = r.message_count if count is None else count
    return ConversationRecord(r.id, r.agent, r.title, r.started_at, r.updated_at, int(n))
