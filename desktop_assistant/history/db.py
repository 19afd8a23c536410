"""Opening the history database: pragmas, corruption recovery, migrations,
the SQLAlchemy engine, and turning SQLite errors into what the user is told.

Every connection runs with WAL, `foreign_keys=ON`, `synchronous=NORMAL` (a
commit survives an app crash; the last few may be lost on power loss) and a
busy timeout, so a briefly locked database is retried for that long before
the store reports it. Write transactions start with `BEGIN IMMEDIATE`, so
they wait for the lock up front instead of failing half-way.

A read-only open (`history list|show|search|export|stats`) writes nothing when the
file is already a WAL database at the latest schema, so it never waits for another
process's write transaction. A file that is not ours (a SQLite database of another
shape) is moved aside like a damaged one, as `history.db.foreign-<time>`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.history.migrations import LATEST_VERSION, migrate, schema_version
from desktop_assistant.paths import make_private, open_private

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 5.0
#: files up to this size get a `PRAGMA quick_check` at every open (bigger ones only after a corrupt read)
CHECK_LIMIT_BYTES = 64 * 1024 * 1024
T = TypeVar("T")


class HistoryError(UserFacingError):
    """The history database could not do what was asked (locked, damaged, disk full, …)."""

    kind = ErrorKind.HISTORY


@dataclass(frozen=True)
class Recovery:
    """A damaged (or foreign) database was moved aside and a new one started."""

    moved_to: Path
    reason: str
    kind: str = "corrupt"  # "corrupt" | "foreign"

    def notice(self) -> UserFacingError:
        if self.kind == "foreign":
            return HistoryError(
                f"The history file was not made by Desktop Assistant ({self.reason}); "
                f"it was moved to {self.moved_to} and a new, empty history was started",
                "Nothing of yours was deleted",
            )
        return HistoryError(
            f"The history database was damaged ({self.reason}); it was moved to {self.moved_to} "
            "and a new, empty history was started",
            "Keep the old file if you want to try to recover it with sqlite3 '.recover'",
        )


def apply_pragmas(conn: sqlite3.Connection, busy_timeout: float) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")


def connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    apply_pragmas(conn, busy_timeout)
    return conn


def _check_marker(path: Path) -> Path:
    return path.with_name(path.name + ".needs-check")


def is_corruption(exc: BaseException | None) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def prepare(path: Path, busy_timeout: float = BUSY_TIMEOUT_S, *, read_only: bool = False) -> Recovery | None:
    """Make `path` a healthy database at the latest schema; set a damaged or foreign one aside first.

    Also marks assistant replies left `streaming` by a crash as `interrupted` — unless
    `read_only` and the file needs no change (then nothing is written, no lock is waited for).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file"
        raise HistoryError(f"The history database {path} is {what}",
                           "Move it away; Desktop Assistant then starts a new history there")
    _keep_private(path)
    recovery = None
    problem = _probe(path, busy_timeout)
    if problem is not None:
        recovery = _move_aside(path, *problem)
    elif read_only and _is_current(path, busy_timeout):
        return None
    try:
        _set_up(path, busy_timeout)
    except sqlite3.Error as exc:
        if recovery is not None or not is_corruption(exc):
            raise classify(exc, path) from exc
        # damage the probe did not see (a big file is not fully checked at open)
        recovery = _move_aside(path, str(exc))
        try:
            _set_up(path, busy_timeout)
        except sqlite3.Error as again:
            raise classify(again, path) from again
    _check_marker(path).unlink(missing_ok=True)
    return recovery


def _keep_private(path: Path) -> None:
    """Conversations are private whatever the umask: the file is created 0600 (SQLite gives its
    -wal and -shm files the database file's mode) and an older, looser one is tightened."""
    try:
        os.close(open_private(path, os.O_RDWR | os.O_CREAT))
    except OSError:  # SQLite says what is wrong, in classify()
        return
    for suffix in ("-wal", "-shm"):
        make_private(f"{path}{suffix}")


def _set_up(path: Path, busy_timeout: float) -> None:
    conn = connect(path, busy_timeout)
    try:
        _enable_wal(conn, busy_timeout)
        migrate(conn)
        if conn.execute("SELECT 1 FROM messages WHERE status = 'streaming' LIMIT 1").fetchone() is None:
            return  # nothing to mark: no write lock taken
        conn.execute("BEGIN IMMEDIATE")
        stale = conn.execute("UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'").rowcount
        conn.execute("COMMIT")
        if stale:
            log.info("marked %d reply(ies) left streaming by the last run as interrupted", stale)
    finally:
        conn.close()


def _enable_wal(conn: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch to WAL. The switch needs the file to itself and SQLite answers "locked" at once,
    without its busy handler, while another process opens the same new database: retry, bounded."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _probe(path: Path, busy_timeout: float) -> tuple[str, str] | None:
    """None if the file is absent or looks healthy, else (what is wrong with it, "corrupt" | "foreign")."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = connect(path, busy_timeout)
    except sqlite3.Error as exc:
        return None if not is_corruption(exc) else (str(exc), "corrupt")
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        deep = path.stat().st_size <= CHECK_LIMIT_BYTES or _check_marker(path).exists()
        if deep:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            result = "; ".join(str(r[0]) for r in rows[:3])
            if result != "ok":
                return result, "corrupt"
        foreign = _foreign(schema_version(conn), tables)
        return (foreign, "foreign") if foreign else None
    except sqlite3.Error as exc:
        if is_corruption(exc):
            return str(exc), "corrupt"
        raise classify(exc, path) from exc
    finally:
        conn.close()


def _foreign(version: int, tables: set[str]) -> str | None:
    """Why a readable SQLite file is not one of ours, or None. Our step 1 creates the tables and
    sets the version in one transaction, so version 0 with tables, or a version without our
    tables, was made by another program."""
    ours = {"conversations", "messages"}
    other = sorted(t for t in tables if not t.startswith("sqlite_"))
    if version == 0 and other:
        return f"it has tables {', '.join(other[:5])} but no schema version"
    if 0 < version <= LATEST_VERSION and not ours <= tables:
        return f"schema version {version} without the tables {', '.join(sorted(ours - tables))}"
    return None


def _is_current(path: Path, busy_timeout: float) -> bool:
    """True if the file is a WAL database at the latest schema (read without taking any write lock)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        conn = connect(path, busy_timeout)
    except sqlite3.Error as exc:
        raise classify(exc, path) from exc
    try:
        mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        return mode == "wal" and schema_version(conn) == LATEST_VERSION
    except sqlite3.Error as exc:
        raise classify(exc, path) from exc
    finally:
        conn.close()


def _move_aside(path: Path, reason: str, kind: str = "corrupt") -> Recovery:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{kind}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{kind}-{stamp}-{n}")
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    what = "is not ours" if kind == "foreign" else "is damaged"
    log.info("history database %s %s (%s); moved to %s", path, what, reason, target)
    return Recovery(target, reason, kind)


def make_engine(path: Path, busy_timeout: float = BUSY_TIMEOUT_S, *, read_only: bool = False) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": busy_timeout, "check_same_thread": False},
        pool_size=4,
        max_overflow=8,
        pool_timeout=busy_timeout,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        apply_pragmas(dbapi_conn, busy_timeout)
        if read_only:
            dbapi_conn.execute("PRAGMA query_only = 1")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def classify(exc: BaseException, path: Path) -> BaseException:
    """What to raise for a database error: a HistoryError the user can act on, or the error itself (a bug)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    name = getattr(orig, "sqlite_errorname", "") or ""
    text = str(orig).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
        return HistoryError(
            "The history database is locked by another program and stayed locked",
            "Close other copies of Desktop Assistant (or tools that have history.db open) and try again",
        )
    if is_corruption(orig):
        _check_marker(path).touch(exist_ok=True)
        return HistoryError(
            "The history database is damaged",
            "Restart Desktop Assistant: it will set the damaged file aside and start a new one",
        )
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return HistoryError("The disk is full, so the history could not be saved", "Free some disk space")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_IOERR")):
        return HistoryError(
            f"The history database {path} cannot be opened or written ({orig})",
            "Check the permissions of the data folder and the free disk space",
        )
    return exc


def guarded(path: Path, call: Callable[[], T]) -> T:
    """Run `call`, turning database errors into `classify()`'s answer."""
    try:
        return call()
    except (sqlite3.Error, DBAPIError) as exc:
        mapped = classify(exc, path)
        if mapped is exc:
            raise
        raise mapped from exc
