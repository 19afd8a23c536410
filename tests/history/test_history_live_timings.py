"""A reply keeps its turn's live-transcript facts: release → final transcript (ms), the partials shown
while the user spoke and the early decode's verdict; an older database gains the columns with its
rows intact; `history stats` gives the final-transcript percentiles."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_assistant.assistant.events import TurnTimings
from desktop_assistant.cli import main
from desktop_assistant.history.migrations import LATEST_VERSION, STEPS
from desktop_assistant.history.store import HistoryStore
from desktop_assistant.messages import MessageStatus, TimingKey
from desktop_assistant.paths import Paths


@pytest.fixture
def db_path() -> Path:
    return Paths.from_env().ensure().database_file


def _spoken_turn(store: HistoryStore, timings: TurnTimings) -> int:
    conversation = store.conversation_for_turn("assistant", 60)
    store.add_message(conversation, "user", "what is the weather like today", source="voice")
    reply = store.add_message(conversation, "assistant", "", status=MessageStatus.STREAMING)
    # what the turn's _finish passes (assistant/turn.py)
    store.update_message(reply, text="Sunny.", status=MessageStatus.COMPLETE, **timings.stored())
    return reply


def test_a_spoken_reply_stores_final_transcript_time_partials_and_early_verdict(db_path: Path) -> None:
    timings = TurnTimings(stt_ms=210.0, llm_first_token_ms=300.0, first_audio_ms=820.0, total_ms=2400.0,
                          final_transcript_ms=35.5, partials=6, early="hit")
    store = HistoryStore.open(db_path)
    try:
        reply = _spoken_turn(store, timings)
        typed = store.add_message(store.conversation_for_turn("assistant", 60), "assistant", "")
        store.update_message(typed, status=MessageStatus.COMPLETE,
                             **TurnTimings(llm_first_token_ms=300.0, total_ms=900.0).stored())
        record = store.recent_messages(store.conversation_for_turn("assistant", 60), 10)[-2]
    finally:
        store.close()
    assert record.id == reply
    assert (record.final_transcript_ms, record.partials, record.early) == (35.5, 6, "hit")
    assert record.timings()[TimingKey.FINAL_TRANSCRIPT_MS] == 35.5
    assert record.timings() == timings.as_dict()  # one shape for a live turn's and a stored turn's
    with closing(sqlite3.connect(db_path)) as conn:
        rows = conn.execute(
            "SELECT final_transcript_ms, typeof(final_transcript_ms), partials, typeof(partials), early, "
            "typeof(early) FROM messages WHERE role = 'assistant' ORDER BY id").fetchall()
    assert rows == [(35.5, "real", 6, "integer", "hit", "text"), (None, "null", None, "null", None, "null")]


def test_an_unknown_early_verdict_is_refused(db_path: Path) -> None:
    store = HistoryStore.open(db_path)
    try:
        reply = _spoken_turn(store, TurnTimings(total_ms=1.0))
        with pytest.raises(ValueError, match="early"):
            store.update_message(reply, early="maybe")
        with pytest.raises(ValueError, match="partials"):
            store.update_message(reply, partials=-1)
    finally:
        store.close()


def _make_v4(path: Path) -> None:
    """A database as the previous version made it (schema 4), with a spoken turn's timings."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for step in STEPS[:4]:
            for statement in step:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 4")
        conn.execute("INSERT INTO conversations (id, agent, title, started_at, updated_at) "
                     "VALUES (1, 'assistant', 'Old talk', 1700000000.0, 1700000100.0)")
        conn.execute("INSERT INTO messages (id, conversation_id, role, text, created_at, status, source) "
                     "VALUES (1, 1, 'user', 'Tell me about lighthouses', 1700000000.0, 'complete', 'voice')")
        conn.execute("INSERT INTO messages (id, conversation_id, role, text, created_at, status, source, stt_ms, "
                     "first_audio_ms, total_ms) VALUES (2, 1, 'assistant', 'They guide ships', 1700000050.0, "
                     "'complete', 'typed', 250.0, 900.0, 3000.0)")


def test_a_database_of_the_previous_schema_gains_the_columns_with_its_rows_intact(db_path: Path) -> None:
    _make_v4(db_path)
    store = HistoryStore.open(db_path)
    try:
        with closing(sqlite3.connect(db_path)) as raw:
            assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION == 5
        old = store.get_conversation(1)
        assert old is not None
        reply = old.messages[1]
        assert (reply.text, reply.first_audio_ms, reply.final_transcript_ms, reply.partials, reply.early) == (
            "They guide ships", 900.0, None, None, None)
        assert [m.first_audio_ms for m in store.recent_latencies()] == [900.0]
        store.update_message(2, **TurnTimings(final_transcript_ms=40.0, partials=3, early="miss").stored())
        again = store.get_conversation(1)
        assert again is not None
        updated = again.messages[1]
        # the timings given replaced the stored ones (None included); the text stayed
        assert (updated.text, updated.final_transcript_ms, updated.partials, updated.early) == (
            "They guide ships", 40.0, 3, "miss")
    finally:
        store.close()


def test_stats_give_final_transcript_percentiles(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = HistoryStore.open(db_path, clock=lambda: datetime.now(UTC))
    try:
        for ms in (20.0, 40.0, 60.0, 400.0):
            _spoken_turn(store, TurnTimings(first_audio_ms=900.0, total_ms=2000.0, final_transcript_ms=ms,
                                            partials=4, early="hit"))
        stats = store.stats(days=7)
    finally:
        store.close()
    (day,) = stats.days
    latency = day.latency[TimingKey.FINAL_TRANSCRIPT_MS]
    assert (latency.count, latency.p50) == (4, 50.0)
    assert latency.p95 == pytest.approx(349.0)
    assert main(["history", "stats"]) == 0
    assert "final_transcript_ms p50 50 p95 349" in capsys.readouterr().out
