"""Schema migrations: a database made by the first version upgrades with its data intact."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from desktop_assistant.history.migrations import LATEST_VERSION, STEPS, NewerSchemaError, migrate
from desktop_assistant.history.store import HistoryStore

V1_SQL = Path(__file__).parent / "fixtures" / "schema_v1.sql"


def _make_v1(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(V1_SQL.read_text())
        conn.execute(
            "INSERT INTO conversations VALUES (1, 'assistant', 'Old talk', 1700000000.0, 1700000100.0)"
        )
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, role, text, created_at, status, source) "
            "VALUES (?,?,?,?,?,?,?)",
            [
                (1, 1, "user", "Tell me about lighthouses", 1700000000.0, "complete", "voice"),
                (2, 1, "assistant", "Lighthouses guide ships", 1700000050.0, "streaming", "typed"),
            ],
        )
        conn.commit()


def test_first_version_database_upgrades_with_its_data(tmp_path):
    db = tmp_path / "history.db"
    _make_v1(db)
    store = HistoryStore.open(db)
    try:
        with closing(sqlite3.connect(db)) as raw:
            assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION == 5
            columns = {r[1] for r in raw.execute("PRAGMA table_info(messages)")}
            assert {"stt_ms", "total_ms", "llm_model"} <= columns
        detail = store.get_conversation(1)
        assert detail.conversation.title == "Old talk"
        assert [c.message_count for c in store.list_conversations()] == [2]  # v4 counted the old rows
        assert [m.text for m in detail.messages] == ["Tell me about lighthouses", "Lighthouses guide ships"]
        assert detail.messages[1].status == "interrupted"  # left streaming by the old run
        assert detail.messages[0].stt_ms is None
        # rows written before the search index existed are found (the v2 step indexed them)
        assert {h.message_id for h in store.search("lighthouses", prefix_last=False)} == {1, 2}
        # and new rows go on working with the new columns
        mid = store.add_message(1, "user", "And foghorns?")
        store.update_message(mid, timings={"total_ms": 5.0})
        assert store.recent_messages(1, 1)[0].total_ms == 5.0
        assert store.list_conversations()[0].message_count == 3
        assert {h.message_id for h in store.search("foghorns")} == {mid}
    finally:
        store.close()


def test_migrating_twice_applies_nothing_the_second_time(tmp_path):
    conn = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    try:
        assert migrate(conn) == list(range(1, LATEST_VERSION + 1))
        assert migrate(conn) == []
    finally:
        conn.close()


def test_each_step_is_atomic(tmp_path):
    """A failing step leaves the previous version and no half-made tables."""
    conn = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    try:
        conn.executescript(V1_SQL.read_text())
        conn.execute("CREATE TABLE messages_fts (x)")  # makes step 2 fail half-way
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        triggers = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0]
        assert triggers == 0
    finally:
        conn.close()


def test_a_database_from_a_newer_app_is_refused_untouched(tmp_path):
    db = tmp_path / "history.db"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(NewerSchemaError) as info:
        HistoryStore.open(db)
    assert "newer" in info.value.message
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION + 1


# A process that opens (creating or migrating) and closes the history file named on each stdin line,
# answering "ok" or the error: the parent starts the same line on several at once, a real race
# between processes (their own SQLite connections, file locks and interpreters).
RACER = r"""
import sys
from desktop_assistant.history.store import HistoryStore
print("ready", flush=True)
for line in sys.stdin:
    try:
        HistoryStore.open(line.strip()).close()
        print("ok", flush=True)
    except BaseException as exc:
        print("error", type(exc).__name__, str(exc).replace("\n", " "), flush=True)
"""
REPO = Path(__file__).resolve().parents[2]


def _schema(db: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    return sorted((f"{kind} {name}", " ".join(sql.split())) for kind, name, sql in rows)


def test_processes_opening_an_old_database_at_once_migrate_it_once(tmp_path):
    """Four processes open the same file at the same moment, 20 times: a first-version database with
    data (10 rounds) and a new file (10 rounds). None fails (the switch to WAL used to fail with
    "database is locked" about once in 150 races: SQLite skips its busy handler there), the file ends
    at the latest schema, the same as one opener makes, with the old rows once each."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    racers = [subprocess.Popen([sys.executable, "-c", RACER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, env=env, cwd=tmp_path) for _ in range(4)]
    try:
        assert [r.stdout.readline().strip() for r in racers] == ["ready"] * 4  # imports done: all wait
        reference = tmp_path / "reference.db"
        _make_v1(reference)
        HistoryStore.open(reference).close()
        fresh_reference = tmp_path / "fresh-reference.db"
        HistoryStore.open(fresh_reference).close()
        for round_ in range(20):
            old = round_ % 2 == 0
            db = tmp_path / f"history-{round_}.db"
            if old:
                _make_v1(db)
            for r in racers:  # each is blocked reading stdin: this line starts all four at once
                r.stdin.write(f"{db}\n")
                r.stdin.flush()
            answers = [r.stdout.readline().strip() for r in racers]
            assert answers == ["ok"] * 4, (round_, answers)
            assert _schema(db) == _schema(reference if old else fresh_reference), round_
            with closing(sqlite3.connect(db)) as conn:
                assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
                assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                rows = conn.execute("SELECT id, text FROM messages ORDER BY id").fetchall()
                found = conn.execute(
                    "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'lighthouses' ORDER BY rowid").fetchall()
                conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")  # raises if not
            if old:  # the data is intact, and the search index (built by the v2 step) finds it
                assert rows == [(1, "Tell me about lighthouses"), (2, "Lighthouses guide ships")], round_
                assert found == [(1,), (2,)], round_
            else:
                assert rows == [] and found == [], round_
    finally:
        for r in racers:
            r.stdin.close()
        for r in racers:
            r.wait(timeout=30)
            r.stdout.close()


def test_first_step_still_matches_the_frozen_v1_schema(tmp_path):
    """Released steps must never change: step 1 builds exactly the v1 fixture's tables."""

    def schema(conn: sqlite3.Connection) -> list[tuple[str, str]]:
        return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall())

    a = sqlite3.connect(tmp_path / "a.db")
    b = sqlite3.connect(tmp_path / "b.db")
    try:
        a.executescript(V1_SQL.read_text())
        for statement in STEPS[0]:
            b.execute(statement)
        norm = [(n, " ".join(s.split())) for n, s in schema(a)]
        assert norm == [(n, " ".join(s.split())) for n, s in schema(b)]
    finally:
        a.close()
        b.close()
