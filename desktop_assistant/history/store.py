"""`HistoryStore`: the only way into the history database.

The store is put together from its parts: `access.DatabaseAccess` (a short
session per call, errors the user can act on raised as `HistoryError`; see
there for the thread-safety and durability rules), `turns.TurnWrites` (the
write path of a turn) and `browsing.Browsing` (list, read, rename, delete).
Opening and closing, and search, stats and export, which hand the work to
`search.py`, `stats.py` and `export.py`, are here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from sqlalchemy import or_, select

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.history import db
from desktop_assistant.history import search as fts
from desktop_assistant.history.access import Clock, message_record, utcnow
from desktop_assistant.history.browsing import Browsing
from desktop_assistant.history.export import FORMATS, write_export
from desktop_assistant.history.records import MessageRecord
from desktop_assistant.history.schema import MessageRow
from desktop_assistant.history.stats import HistoryStats, compute_stats
from desktop_assistant.history.turns import TurnWrites

log = logging.getLogger(__name__)


class HistoryStore(TurnWrites, Browsing):
    @classmethod
    def open(
        cls, db_path: Path, *, busy_timeout: float = db.BUSY_TIMEOUT_S, clock: Clock = utcnow,
        read_only: bool = False,
    ) -> HistoryStore:
        """Create or migrate the database; set a damaged or foreign one aside; stale `streaming` →
        interrupted. `read_only`: for reading only (its connections refuse writes); opening then
        writes nothing when the file is current, so it never waits for another process's writes."""
        db_path = Path(db_path)
        recovery = db.prepare(db_path, busy_timeout, read_only=read_only)
        store = cls(db_path, db.make_engine(db_path, busy_timeout, read_only=read_only), recovery, clock)
        store.read_only = read_only
        return store

    read_only = False

    def close(self) -> None:
        if self.read_only:  # PRAGMA optimize may write (ANALYZE), so it could wait for the lock
            self._engine.dispose()
            return
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA optimize")
        except Exception:  # closing must not fail on a busy database
            log.debug("PRAGMA optimize skipped", exc_info=True)
        self._engine.dispose()

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
        """The latest replies that have a `first_audio_ms` or a `final_transcript_ms` timing (spoken
        replies, spoken questions), oldest first."""
        rows = self._read(
            lambda s: list(
                s.scalars(
                    select(MessageRow)
                    .where(or_(MessageRow.first_audio_ms.is_not(None), MessageRow.final_transcript_ms.is_not(None)))
                    .order_by(MessageRow.id.desc())
                    .limit(max(limit, 0))
                )
            )
        )
        return [message_record(r) for r in reversed(rows)]

    def stats(self, days: int = 30, *, tz: Any = None) -> HistoryStats:
        return self._raw(lambda conn: compute_stats(conn, self._clock(), days=days, tz=tz))

    def export(
        self,
        out: IO[str],
        fmt: str,
        conversation_id: int | None = None,
        *,
        speakers: Mapping[str, str] | None = None,
    ) -> int:
        """Write one conversation (or all, when None) to `out`; returns how many were written."""
        if fmt not in FORMATS:
            raise UserFacingError(
                f"Unknown export format '{fmt}'", f"Use one of {', '.join(FORMATS)}", kind=ErrorKind.INPUT
            )
        if conversation_id is not None:
            detail = self.get_conversation(conversation_id)
            if detail is None:
                raise UserFacingError(f"There is no conversation {conversation_id}", kind=ErrorKind.INPUT)
            return write_export([detail], fmt, out, speakers=speakers)
        return write_export(self.iter_conversations(), fmt, out, speakers=speakers)


def app_store(app: Any, *, read_only: bool = False) -> HistoryStore:
    """The app's one store (built on first use, closed with the app); `read_only` for commands that only read."""
    store: HistoryStore = app.part(
        "history", lambda: HistoryStore.open(app.paths.database_file, read_only=read_only), HistoryStore.close)
    return store
