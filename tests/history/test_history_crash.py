"""Crash safety: a killed turn, a damaged file, a locked database; the read-only diagnosis."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from desktop_assistant.history.db import HistoryError
from desktop_assistant.history.diagnose import diagnose
from desktop_assistant.history.migrations import LATEST_VERSION
from desktop_assistant.history.store import HistoryStore
from desktop_assistant.paths import Paths

WRITER = Path(__file__).parent / "crash_writer.py"


@pytest.fixture
def db_path() -> Path:
    return Paths.from_env().ensure().database_file


def _integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_reply_keeps_the_user_message_and_marks_the_reply_interrupted(db_path):
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(db_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        user_line = proc.stdout.readline().split()
        reply_line = proc.stdout.readline().split()
        assert proc.stdout.readline().strip() == "updating"  # 50 commits of the streaming reply are done
        time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
    user_id, reply_id = int(user_line[1]), int(reply_line[1])
    assert (user_line[0], reply_line[0]) == ("user", "streaming")

    store = HistoryStore.open(db_path)
    try:
        assert _integrity(db_path) == "ok"
        messages = {m.id: m for m in store.recent_messages(store.list_conversations()[0].id, 10)}
        assert messages[user_id].text == "What should I cook tonight?"
        assert messages[user_id].source == "voice" and messages[user_id].status == "complete"
        reply = messages[reply_id]
        assert reply.status == "interrupted"
        assert reply.text.startswith("word1 word2 ") and "word50 " in reply.text
        assert [h.message_id for h in store.search("cook")] == [user_id]
    finally:
        store.close()
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_a_file_that_is_not_a_database_is_moved_aside_and_reported(db_path):
    db_path.write_bytes(b"this is not sqlite at all " * 200)
    db_path.with_name("history.db-wal").write_bytes(b"junk wal")
    store = HistoryStore.open(db_path)
    try:
        assert store.recovered_from is not None
        assert store.recovered_from.name.startswith("history.db.corrupt-")
        assert store.recovered_from.read_bytes().startswith(b"this is not sqlite")
        assert Path(str(store.recovered_from) + "-wal").read_bytes() == b"junk wal"
        (notice,) = store.notices
        assert str(store.recovered_from) in notice.message and notice.kind == "history"
        conv = store.conversation_for_turn("assistant", 60)
        store.add_message(conv, "user", "fresh start")
        assert [h.snippet for h in store.search("fresh")] == ["«fresh» start"]
        assert _integrity(db_path) == "ok"
    finally:
        store.close()


def test_a_database_with_damaged_pages_is_moved_aside(db_path):
    store = HistoryStore.open(db_path)
    conv = store.conversation_for_turn("assistant", 60)
    for i in range(300):
        store.add_message(conv, "user", f"message number {i} " + "padding " * 40)
    store.close()
    with closing(sqlite3.connect(db_path)) as conn:  # fold the WAL into the file, then damage a page
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db_path.read_bytes())
    page = 4096
    assert len(data) > 20 * page
    data[10 * page : 12 * page] = b"\xa5" * (2 * page)
    db_path.write_bytes(bytes(data))
    assert _quick_check(db_path) != "ok"

    store = HistoryStore.open(db_path)
    try:
        assert store.recovered_from is not None and store.recovered_from.exists()
        assert store.notices and "damaged" in store.notices[0].message
        assert store.list_conversations() == []
        assert _integrity(db_path) == "ok"
    finally:
        store.close()


def _quick_check(path: Path) -> str:
    try:
        with closing(sqlite3.connect(path)) as conn:
            return conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return str(exc)


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO conversations (agent, title, started_at, updated_at) VALUES ('x', 'x', 0, 0)")
    return other


def test_a_briefly_locked_database_is_retried_within_the_busy_timeout(db_path):
    store = HistoryStore.open(db_path, busy_timeout=3.0)
    other = _hold_write_lock(db_path)
    try:
        release = threading.Timer(0.4, lambda: other.execute("COMMIT"))
        release.start()
        started = time.monotonic()
        conv = store.conversation_for_turn("assistant", 60)
        waited = time.monotonic() - started
        release.join()
        assert 0.3 <= waited < 3.0
        assert store.add_message(conv, "user", "made it") > 0
    finally:
        other.close()
        store.close()


def test_a_database_locked_too_long_gives_a_clear_error(db_path):
    store = HistoryStore.open(db_path, busy_timeout=0.5)
    conv = store.conversation_for_turn("assistant", 60)
    other = _hold_write_lock(db_path)
    try:
        started = time.monotonic()
        with pytest.raises(HistoryError) as info:
            store.add_message(conv, "user", "blocked")
        assert time.monotonic() - started >= 0.4
        assert "locked" in info.value.message and info.value.action
        # reads still work while another program writes (WAL)
        assert store.count_conversations(include_empty=True) == 1
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.add_message(conv, "user", "after the lock") > 0
    store.close()


def test_diagnose_reports_without_creating_the_file(db_path):
    report = diagnose(db_path)
    assert report == {
        "path": str(db_path),
        "exists": False,
        "integrity": None,
        "schema_version": None,
        "conversations": None,
        "messages": None,
    }
    assert not db_path.exists()

    store = HistoryStore.open(db_path)
    conv = store.conversation_for_turn("assistant", 60)
    store.add_message(conv, "user", "hi")
    store.add_message(conv, "assistant", "hello")
    store.close()
    report = diagnose(db_path)
    assert report["exists"] and report["integrity"] == "ok"
    assert (report["schema_version"], report["conversations"], report["messages"]) == (LATEST_VERSION, 1, 2)

    db_path.write_bytes(b"garbage " * 1000)
    for side in ("history.db-wal", "history.db-shm"):
        db_path.with_name(side).unlink(missing_ok=True)
    report = diagnose(db_path)
    assert report["exists"] and report["integrity"] not in (None, "ok")
    assert db_path.read_bytes().startswith(b"garbage")


def _damaged_database(db_path: Path, from_page: int) -> None:
    store = HistoryStore.open(db_path)
    conv = store.conversation_for_turn("assistant", 60)
    for i in range(300):
        store.add_message(conv, "user", f"message number {i} " + "padding " * 40)
    store.close()
    with closing(sqlite3.connect(db_path)) as conn:  # fold the WAL into the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db_path.read_bytes())
    data[from_page * 4096 :] = b"\xa5" * (len(data) - from_page * 4096)
    db_path.write_bytes(bytes(data))


def test_damage_missed_by_the_open_check_is_recovered_while_opening(db_path, monkeypatch):
    from desktop_assistant.history import db as history_db

    _damaged_database(db_path, 4)
    monkeypatch.setattr(history_db, "CHECK_LIMIT_BYTES", 0)  # as if the file were too big to check at open
    store = HistoryStore.open(db_path)
    try:
        assert store.recovered_from is not None and store.notices
        assert store.count_conversations() == 0
    finally:
        store.close()


def test_damage_found_while_running_is_reported_and_checked_at_the_next_open(db_path, monkeypatch):
    from desktop_assistant.history import db as history_db

    _damaged_database(db_path, 4)
    store = HistoryStore.open(db_path)  # small file: found at open
    store.close()
    moved = store.recovered_from
    assert moved is not None

    # a read that meets damage while the app runs: reported, and the next open checks the whole file
    error = history_db.classify(sqlite3.DatabaseError("database disk image is malformed"), db_path)
    assert isinstance(error, HistoryError) and "damaged" in error.message
    marker = db_path.with_name("history.db.needs-check")
    assert marker.exists()
    moved.replace(db_path)
    monkeypatch.setattr(history_db, "CHECK_LIMIT_BYTES", 0)
    assert history_db._probe(db_path, 1.0) is not None  # the marker asks for the full check
    marker.unlink()
    assert history_db._probe(db_path, 1.0) is None  # without it, a big file only gets the cheap probe
    marker.touch()
    store = HistoryStore.open(db_path)
    try:
        assert store.recovered_from is not None
        assert not marker.exists()
    finally:
        store.close()
