"""Export as Markdown, JSON and text; JSON reads back into equal records."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest

from desktop_assistant.errors import UserFacingError
from desktop_assistant.history.export import export_conversation, read_json, speaker
from desktop_assistant.history.store import HistoryStore
from desktop_assistant.paths import Paths

STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@pytest.fixture
def store():
    s = HistoryStore.open(Paths.from_env().ensure().database_file)
    first = s.conversation_for_turn("assistant", 3600)
    s.add_message(first, "user", "Hello, what's «new»?\nSecond line", source="voice", stt_model="tiny.en")
    reply = s.add_message(first, "assistant", "", status="streaming", llm_model="llama-3")
    s.update_message(
        reply,
        text="Not much — «quiet» day. 🙂",
        status="complete",
        timings={"stt_ms": 250.5, "llm_first_token_ms": 300, "first_audio_ms": 800, "total_ms": 2000},
    )
    second = s.conversation_for_turn("pirate", 3600)
    s.add_message(second, "user", "Ahoy")
    s.add_message(second, "assistant", "", status="failed", error="no network")
    yield s
    s.close()


def _export(store: HistoryStore, fmt: str, conversation_id: int | None = None, **kw) -> str:
    out = io.StringIO()
    store.export(out, fmt, conversation_id, **kw)
    return out.getvalue()


def test_json_round_trips_every_conversation(store):
    text = _export(store, "json")
    data = json.loads(text)
    assert data["format"] == "desktop-assistant-history" and data["version"] == 1
    restored = read_json(text)
    originals = [store.get_conversation(c.id) for c in reversed(store.list_conversations())]
    assert restored == originals
    assert restored[0].messages[1].stt_ms == 250.5
    assert restored[0].messages[0].created_at.tzinfo == UTC
    assert data["conversations"][0]["messages"][0]["created_at"].endswith("+00:00")


def test_json_of_one_conversation(store):
    conv = store.list_conversations()[0]
    restored = read_json(_export(store, "json", conv.id))
    assert [d.conversation.id for d in restored] == [conv.id]
    assert read_json(export_conversation(store.get_conversation(conv.id), "json")) == restored


def test_markdown_has_title_speakers_timestamps_and_statuses(store):
    md = _export(store, "md", speakers={"assistant": "Ava"})
    assert md.startswith("# Hello, what's «new»? Second line\n")
    assert "**You** · " in md and "**Ava** · " in md and "**Pirate** · " in md
    assert "> Hello, what's «new»?\n> Second line" in md
    assert "(failed: no network)" in md
    assert len(STAMP.findall(md)) >= 6
    assert md.count("\n---\n") == 1


def test_text_has_one_line_per_message_with_time_and_speaker(store):
    conv = store.list_conversations(agent="assistant")[0]
    txt = _export(store, "txt", conv.id)
    lines = txt.strip().splitlines()
    assert lines[0].startswith("== Hello, what's «new»? Second line (conversation")
    assert re.match(r"\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] You: Hello", lines[1])
    assert lines[2] == "    Second line"
    assert re.match(r"\[.+\] Assistant: Not much — «quiet» day. 🙂$", lines[3])


def test_unknown_conversation_or_format_is_a_user_error(store):
    with pytest.raises(UserFacingError):
        _export(store, "md", 999)
    with pytest.raises(UserFacingError):
        _export(store, "pdf")
    with pytest.raises(ValueError):
        read_json('{"format": "something else"}')


def test_speaker_names():
    assert speaker("user", "pirate") == "You"
    assert speaker("assistant", "pirate", {"pirate": "Captain"}) == "Captain"
    assert speaker("assistant", "study-buddy") == "Study Buddy"
    assert speaker("system", "x") == "System"


def test_empty_history_exports_valid_empty_documents():
    s = HistoryStore.open(Paths.from_env().ensure().database_file)
    try:
        assert read_json(_export(s, "json")) == []
        assert _export(s, "md") == ""
    finally:
        s.close()


def test_export_times_are_local_display_of_utc(store):
    detail = store.get_conversation(store.list_conversations()[-1].id)
    shown = detail.messages[0].created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert shown in export_conversation(detail, "txt")
    assert detail.messages[0].created_at <= datetime.now(UTC)
