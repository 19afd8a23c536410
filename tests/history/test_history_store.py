"""HistoryStore on real SQLite files in the test's data dir."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from desktop_assistant.errors import UserFacingError
from desktop_assistant.history.records import default_title
from desktop_assistant.history.schema import Base
from desktop_assistant.history.store import HistoryStore
from desktop_assistant.paths import Paths


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path() -> Path:
    return Paths.from_env().ensure().database_file


@pytest.fixture
def store(db_path: Path, clock: Clock):
    s = HistoryStore.open(db_path, clock=clock)
    yield s
    s.close()


def test_open_creates_the_database_in_the_data_dir_with_wal_and_foreign_keys(store, db_path):
    assert db_path.is_file() and db_path.parent.name == "data"
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_orm_mapping_matches_the_migrated_tables(store):
    with store._engine.connect() as conn:
        insp = inspect(conn)
        for table in Base.metadata.sorted_tables:
            on_disk = {c["name"] for c in insp.get_columns(table.name)}
            assert on_disk == {c.name for c in table.columns}, table.name


def test_conversation_for_turn_continues_within_the_session_timeout(store, clock):
    first = store.conversation_for_turn("assistant", 600)
    store.add_message(first, "user", "hi")
    clock.advance(599)
    assert store.conversation_for_turn("assistant", 600) == first
    store.add_message(first, "user", "still here")
    clock.advance(601)
    second = store.conversation_for_turn("assistant", 600)
    assert second != first
    assert store.conversation_for_turn("assistant", 600) == second
    assert store.conversation_for_turn("assistant", 600, new=True) not in (first, second)


def test_conversation_for_turn_starts_a_new_one_for_another_agent(store):
    first = store.conversation_for_turn("assistant", 3600)
    other = store.conversation_for_turn("pirate", 3600)
    assert other != first
    assert store.get_conversation(other).conversation.agent == "pirate"


def test_conversation_to_continue_is_the_rule_the_turn_follows(store, clock):
    """The newest conversation, if it is this agent's and active within the timeout (store clock),
    else None; asking writes nothing, and the turn continues exactly what it answers."""
    assert store.conversation_to_continue("assistant", 600) is None
    first = store.conversation_for_turn("assistant", 600)
    store.add_message(first, "user", "hi")
    clock.advance(600)
    assert store.conversation_to_continue("assistant", 600) == first
    assert store.conversation_to_continue("pirate", 600) is None
    pirates = store.conversation_for_turn("pirate", 600)
    store.add_message(pirates, "user", "arr")
    assert store.conversation_to_continue("assistant", 600) is None  # A's is not the newest any more
    assert store.conversation_to_continue("pirate", 600) == pirates
    clock.advance(601)
    assert store.conversation_to_continue("pirate", 600) is None
    assert len(store.list_conversations(include_empty=True)) == 2
    assert store.conversation_for_turn("pirate", 600) not in (first, pirates)


def test_add_and_update_a_streaming_reply(store, clock):
    conv = store.conversation_for_turn("assistant", 3600)
    user = store.add_message(conv, "user", "What time is it?", source="voice", stt_model="tiny.en")
    clock.advance(1)
    reply = store.add_message(conv, "assistant", "", status="streaming", llm_model="llama")
    store.update_message(reply, text="It is noon.")
    store.update_message(
        reply,
        status="complete",
        timings={"stt_ms": 310.0, "llm_first_token_ms": 420, "first_audio_ms": 900, "total_ms": None},
    )
    msgs = store.recent_messages(conv, 10)
    assert [m.id for m in msgs] == [user, reply]
    u, a = msgs
    assert (u.role, u.source, u.stt_model, u.status) == ("user", "voice", "tiny.en", "complete")
    assert (a.text, a.status, a.llm_model) == ("It is noon.", "complete", "llama")
    assert (a.stt_ms, a.llm_first_token_ms, a.first_audio_ms, a.total_ms) == (310.0, 420.0, 900.0, None)
    assert a.created_at == clock.now and a.created_at.tzinfo is not None
    assert store.get_conversation(conv).conversation.updated_at == clock.now


def test_recent_messages_are_the_last_n_oldest_first(store):
    conv = store.conversation_for_turn("assistant", 3600)
    ids = [store.add_message(conv, "user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(7)]
    assert [m.id for m in store.recent_messages(conv, 3)] == ids[-3:]
    assert store.recent_messages(conv, 0) == []


def test_bad_values_are_refused(store):
    conv = store.conversation_for_turn("assistant", 3600)
    with pytest.raises(ValueError, match="role"):
        store.add_message(conv, "robot", "x")
    with pytest.raises(ValueError, match="status"):
        store.add_message(conv, "user", "x", status="done")
    with pytest.raises(ValueError, match="no conversation"):
        store.add_message(9999, "user", "x")
    mid = store.add_message(conv, "user", "x")
    with pytest.raises(ValueError, match="timing"):
        store.update_message(mid, timings={"tts_ms": 1.0})
    with pytest.raises(ValueError, match="no message"):
        store.update_message(9999, text="y")


def test_title_defaults_to_the_first_user_message_shortened(store):
    conv = store.conversation_for_turn("assistant", 3600)
    store.add_message(conv, "assistant", "Hello! How can I help?")
    long = (
        "Could you please explain   how the\nweather forecast models work over several days and why they fail"
    )
    store.add_message(conv, "user", long)
    store.add_message(conv, "user", "second question")
    title = store.get_conversation(conv).conversation.title
    assert title == default_title(long)
    assert title.startswith("Could you please explain how the weather") and title.endswith("…")
    assert len(title) <= 60 and "\n" not in title
    assert default_title("short one") == "short one"
    assert default_title("   ") is None


def test_list_conversations_newest_first_with_counts_paging_and_filters(store, clock):
    ids = []
    for i in range(5):
        conv = store.conversation_for_turn("pirate" if i % 2 else "assistant", 60, new=True)
        for j in range(i + 1):
            store.add_message(conv, "user", f"conversation {i} message {j}")
        ids.append(conv)
        clock.advance(3600)
    store.conversation_for_turn("assistant", 60, new=True)  # empty: hidden unless asked for

    page = store.list_conversations(limit=2)
    assert [c.id for c in page] == [ids[4], ids[3]]
    assert [c.message_count for c in page] == [5, 4]
    assert [c.id for c in store.list_conversations(limit=2, offset=2)] == [ids[2], ids[1]]
    assert [c.id for c in store.list_conversations(agent="pirate")] == [ids[3], ids[1]]
    since = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    until = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert [c.id for c in store.list_conversations(since=since, until=until)] == [ids[2], ids[1]]
    assert store.count_conversations() == 5
    assert store.count_conversations(agent="pirate") == 2
    assert store.count_conversations(since=since, until=until) == 2
    assert store.count_conversations(include_empty=True) == 6
    assert len(store.list_conversations(include_empty=True)) == 6


def test_rename_and_delete(store):
    conv = store.conversation_for_turn("assistant", 3600)
    store.add_message(conv, "user", "about tomatoes")
    store.rename(conv, "  Garden   plans ")
    assert store.get_conversation(conv).conversation.title == "Garden plans"
    with pytest.raises(UserFacingError):
        store.rename(conv, "   ")
    with pytest.raises(UserFacingError) as info:
        store.rename(12345, "x")
    assert info.value.kind == "input"
    assert store.delete(conv) is True
    assert store.get_conversation(conv) is None
    assert store.delete(conv) is False
    with closing(sqlite3.connect(store.path)) as raw:
        assert raw.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_streaming_leftovers_become_interrupted_at_open(db_path, clock):
    s = HistoryStore.open(db_path, clock=clock)
    conv = s.conversation_for_turn("assistant", 3600)
    done = s.add_message(conv, "assistant", "finished", status="complete")
    left = s.add_message(conv, "assistant", "half a rep", status="streaming")
    s.close()
    s = HistoryStore.open(db_path, clock=clock)
    try:
        status = {m.id: m.status for m in s.recent_messages(conv, 10)}
        assert status == {done: "complete", left: "interrupted"}
    finally:
        s.close()


def test_concurrent_writers_from_threads_lose_nothing(store):
    conv = store.conversation_for_turn("assistant", 3600)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(25):
                mid = store.add_message(conv, "user", f"thread {n} line {i}")
                store.update_message(mid, text=f"thread {n} line {i} edited")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    msgs = store.recent_messages(conv, 1000)
    assert len(msgs) == 100 and all(m.text.endswith("edited") for m in msgs)
    assert len(store.search("edited", limit=200)) == 100


def test_stats_turns_and_latency_percentiles_per_day(store, clock):
    conv = store.conversation_for_turn("assistant", 1e9)
    for total in (1000, 2000, 3000, 4000):
        store.add_message(conv, "user", "q")
        reply = store.add_message(conv, "assistant", "a")
        store.update_message(reply, timings={"total_ms": total})
    failed = store.add_message(conv, "assistant", "", status="failed", error="network")
    assert failed
    clock.advance(86400)
    store.add_message(conv, "user", "next day")
    stats = store.stats(days=7, tz=UTC)
    assert (stats.conversations, stats.messages) == (1, 10)
    assert stats.by_status == {"complete": 9, "failed": 1}
    day1, day2 = stats.days
    assert (day1.turns, day1.failed, day2.turns) == (4, 1, 1)
    assert day1.latency["total_ms"].count == 4
    assert day1.latency["total_ms"].p50 == 2500.0
    assert day1.latency["total_ms"].p95 == pytest.approx(3850.0)
    assert "total_ms" not in day2.latency
