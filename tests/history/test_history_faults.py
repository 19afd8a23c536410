"""Database faults met by the CLI as users run it: another program writing while history is read,
a foreign SQLite file in place of history.db. Real subprocesses, real SQLite files."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from desktop_assistant.history.store import HistoryStore
from tests.commands.test_commands import db_rows, groq_env, run_cli
from tests.support.groq_server import DEFAULT_REPLY, GroqServer
from tests.support.sqlite_lock import write_lock_held_by_another_process

pytestmark = pytest.mark.timeout(120)

def _seed(path: Path) -> None:
    store = HistoryStore.open(path)
    try:
        conv = store.conversation_for_turn("assistant", 60)
        store.add_message(conv, "user", "How tall is the Eiffel tower?")
        store.add_message(conv, "assistant", "About 330 metres.")
    finally:
        store.close()


def test_reading_the_history_never_waits_for_another_process_writing(app_home: Path) -> None:
    db = app_home / "data" / "history.db"
    _seed(db)
    with write_lock_held_by_another_process(db):
        runs = {
            "list": run_cli("history", "list"),
            "search": run_cli("history", "search", "eiffel"),
            "show": run_cli("history", "show", "1"),
            "export": run_cli("history", "export", "--all", "--format", "json"),
            "stats": run_cli("history", "stats"),
        }
        for name, result in runs.items():
            assert result.returncode == 0, (name, result.stderr)
            assert result.stderr == "", name
        assert "How tall is the Eiffel tower?" in runs["list"].stdout
        assert "«Eiffel»" in runs["search"].stdout
        assert "About 330 metres." in runs["show"].stdout and "About 330 metres." in runs["export"].stdout
        assert runs["stats"].stdout.startswith("1 conversations, 2 messages")
    # the writer's transaction went through afterwards: nothing lost on either side
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT title FROM conversations ORDER BY id").fetchall() == [
            ("How tall is the Eiffel tower?",), ("held",)]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_opening_for_writing_while_another_process_writes_waits_for_nothing(app_home: Path) -> None:
    """The window starting while an `ask` holds the lock: opening only reads when nothing needs changing."""
    db = app_home / "data" / "history.db"
    _seed(db)
    with write_lock_held_by_another_process(db):
        store = HistoryStore.open(db, busy_timeout=0.5)
        try:
            assert [c.title for c in store.list_conversations()] == ["How tall is the Eiffel tower?"]
        finally:
            store.close()


def test_a_read_only_open_of_an_old_schema_still_migrates(app_home: Path) -> None:
    from desktop_assistant.history import migrations

    db = app_home / "data" / "history.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        for statement in migrations.STEPS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO conversations (agent, started_at, updated_at) VALUES ('assistant', 1, 1)")
        conn.execute("INSERT INTO messages (conversation_id, role, text, created_at) VALUES (1, 'user', 'hi', 1)")
    store = HistoryStore.open(db, read_only=True)
    try:
        assert [c.message_count for c in store.list_conversations()] == [1]
        assert [h.snippet for h in store.search("hi")] == ["«hi»"]
        with pytest.raises(Exception, match="readonly"):
            store.add_message(1, "user", "a read-only store refuses writes")
    finally:
        store.close()


FOREIGN = {
    "no-version": (0, ["CREATE TABLE conversations (name TEXT, owner TEXT)",
                       "INSERT INTO conversations VALUES ('team chat', 'alice')"]),
    "other-tables": (3, ["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
                         "INSERT INTO notes (body) VALUES ('keep me')"]),
}


@pytest.mark.parametrize("case", list(FOREIGN))
@pytest.mark.parametrize("command", ["history", "ask"])
def test_a_foreign_sqlite_file_is_moved_aside_and_a_fresh_history_started(
        case: str, command: str, app_home: Path, groq_server: GroqServer) -> None:
    db = app_home / "data" / "history.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    version, statements = FOREIGN[case]
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
    original = db.read_bytes()

    if command == "history":
        result = run_cli("history", "list")
        assert result.stdout == "No conversations yet.\n"
    else:
        result = run_cli("ask", "hello", "--no-speak", env=groq_env(groq_server))
        assert result.stdout == DEFAULT_REPLY + "\n"
    assert result.returncode == 0
    (line,) = result.stderr.splitlines()
    (moved,) = db.parent.glob("history.db.foreign-*")
    assert line.startswith("desktop-assistant: The history file was not made by Desktop Assistant (")
    assert f"it was moved to {moved} and a new, empty history was started" in line
    assert moved.read_bytes() == original  # the other program's data is kept as it was

    # usable right after, and the next start says nothing more
    again = run_cli("ask", "and now?", "--no-speak", env=groq_env(groq_server))
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert db_rows(app_home)[-2:] == [("user", "and now?", "complete"), ("assistant", DEFAULT_REPLY, "complete")]
    assert os.path.exists(moved)


@pytest.mark.parametrize("thing", ["folder", "device"])
def test_a_history_path_that_is_not_a_file_is_named_in_one_line(thing: str, app_home: Path) -> None:
    db = app_home / "data" / "history.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    if thing == "folder":
        db.mkdir()
    else:
        db.symlink_to("/dev/null")
    result = run_cli("history", "list")
    what = "a folder" if thing == "folder" else "not a regular file"
    assert result.returncode == 1
    assert result.stderr == (f"desktop-assistant: The history database {db} is {what} — "
                             "Move it away; Desktop Assistant then starts a new history there\n")
    if thing == "folder":
        db.rmdir()
    else:
        db.unlink()
    assert run_cli("history", "list").stdout == "No conversations yet.\n"  # usable once moved away
