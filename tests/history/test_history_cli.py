"""`desktop-assistant history …` end to end through cli.main, offline and without an API key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_assistant import cli
from desktop_assistant.history.export import read_json
from desktop_assistant.history.store import HistoryStore


@pytest.fixture
def filled(app_home: Path) -> dict[str, int]:
    store = HistoryStore.open(app_home / "data" / "history.db")
    try:
        a = store.conversation_for_turn("assistant", 3600)
        store.add_message(a, "user", "How tall is the Eiffel tower?", source="voice")
        reply = store.add_message(a, "assistant", "About 330 metres.", status="streaming")
        store.update_message(reply, status="complete", timings={"total_ms": 1500, "first_audio_ms": 700})
        b = store.conversation_for_turn("assistant", 3600, new=True)
        store.add_message(b, "user", "Remind me to water the plants")
        return {"a": a, "b": b, "reply": reply}
    finally:
        store.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["history", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_newest_first_text_and_json(filled, capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    lines = out.strip().splitlines()
    assert "Remind me to water the plants" in lines[0] and "Eiffel" in lines[1]
    code, out, _ = run(capsys, "list", "--limit", "1", "--json")
    data = json.loads(out)
    assert code == 0 and [c["id"] for c in data] == [filled["b"]]
    assert data[0]["message_count"] == 1 and data[0]["updated_at"].endswith("+00:00")


def test_list_on_an_empty_history(capsys, app_home):
    code, out, _ = run(capsys, "list")
    assert (code, out.strip()) == (0, "No conversations yet.")
    assert (app_home / "data" / "history.db").exists()


def test_show_text_and_json(filled, capsys):
    code, out, _ = run(capsys, "show", str(filled["a"]))
    assert code == 0
    assert "You: How tall is the Eiffel tower?" in out and ": About 330 metres." in out
    code, out, _ = run(capsys, "show", str(filled["a"]), "--json")
    data = json.loads(out)
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
    assert data["messages"][1]["total_ms"] == 1500.0


def test_show_unknown_id_is_an_input_error(filled, capsys):
    code, _, err = run(capsys, "show", "999")
    assert code == 2 and "no conversation 999" in err


def test_search_json_has_the_agreed_fields(filled, capsys):
    code, out, _ = run(capsys, "search", "eiffel", "tower", "--json")
    hits = json.loads(out)
    assert code == 0 and len(hits) == 1
    assert {"conversation_id", "message_id", "role", "snippet", "created_at"} <= hits[0].keys()
    assert hits[0]["snippet"] == "How tall is the «Eiffel» «tower»?"
    assert hits[0]["conversation_id"] == filled["a"]


def test_search_text_output_and_odd_queries(filled, capsys):
    code, out, _ = run(capsys, "search", "plants")
    assert code == 0 and "«plants»" in out and f"#{filled['b']}" in out
    code, out, _ = run(capsys, "search", 'NEAR("', "AND", "(")
    assert code == 0 and out.strip() == "No matches."


def test_export_to_a_file_round_trips(filled, capsys, tmp_path):
    target = tmp_path / "out" / "all.json"
    code, _, err = run(capsys, "export", "--all", "--format", "json", "--out", str(target))
    assert code == 0 and "Exported 2 conversation(s)" in err
    details = read_json(target.read_text(encoding="utf-8"))
    assert [d.conversation.id for d in details] == [filled["a"], filled["b"]]
    code, out, _ = run(capsys, "export", str(filled["a"]), "--format", "md")
    assert code == 0 and out.startswith("# How tall is the Eiffel tower?") and "**You**" in out
    code, out, _ = run(capsys, "export", str(filled["b"]), "--format", "txt")
    assert "You: Remind me to water the plants" in out


def test_export_needs_an_id_or_all(filled, capsys):
    assert run(capsys, "export")[0] == 2
    assert run(capsys, "export", "1", "--all")[0] == 2


def test_delete_needs_confirmation_then_deletes(filled, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    code, _, err = run(capsys, "delete", str(filled["a"]))
    assert code == 2 and "--yes" in err
    code, out, _ = run(capsys, "delete", str(filled["a"]), "--yes")
    assert code == 0 and "Deleted" in out
    code, out, _ = run(capsys, "list", "--json")
    assert [c["id"] for c in json.loads(out)] == [filled["b"]]
    code, out, _ = run(capsys, "search", "eiffel", "--json")
    assert json.loads(out) == []


def test_stats_text_and_json(filled, capsys):
    code, out, _ = run(capsys, "stats")
    assert code == 0 and "2 conversations, 3 messages" in out and "2 turns" in out
    code, out, _ = run(capsys, "stats", "--json")
    data = json.loads(out)
    assert data["messages"] == 3 and data["by_status"] == {"complete": 3}
    (day,) = data["days"]
    assert day["turns"] == 2 and day["latency"]["total_ms"]["p50"] == 1500.0


def test_a_damaged_database_is_reported_once_and_replaced(app_home, capsys):
    db = app_home / "data" / "history.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"\x00garbage" * 512)
    code, out, err = run(capsys, "list")
    assert code == 0 and "No conversations yet." in out
    assert "damaged" in err and "history.db.corrupt-" in err
    assert list(db.parent.glob("history.db.corrupt-*"))
