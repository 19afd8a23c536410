"""The history browser over a real SQLite history: day-grouped lazy list (100 000
conversations open at once), search as you type with highlighted snippets, agent
filter, delete with confirmation, rename, export, copy, Ctrl+F, latency plot."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_assistant.history.store import HistoryStore
from desktop_assistant.ui.history_model import PAGE, ConversationListModel, day_label
from desktop_assistant.ui.history_source import HistorySource
from desktop_assistant.ui.history_window import HistoryWindow, snippet_html

pytestmark = pytest.mark.gui

TURNS = [
    ("assistant", "What is the capital of France?", "Paris is the capital of France.", 900.0),
    (
        "tutor",
        "Explain photosynthesis to me",
        "Plants turn light, water and carbon dioxide into sugar.",
        1100.0,
    ),
    ("coder", "Why does my loop skip items in Python?", "You are removing items while iterating.", 1300.0),
]


@pytest.fixture
def store(gui_app: Any) -> Any:
    from desktop_assistant.history.store import app_store as history_store

    s = history_store(gui_app)
    for agent, question, answer, first_audio in TURNS:
        conversation = s.conversation_for_turn(agent, 0.0, new=True)
        s.add_message(conversation, "user", question, source="voice")
        reply = s.add_message(conversation, "assistant", "", status="streaming")
        s.update_message(
            reply,
            text=answer,
            status="complete",
            timings={
                "stt_ms": 250.0,
                "llm_first_token_ms": 400.0,
                "first_audio_ms": first_audio,
                "total_ms": 3000.0,
            },
        )
    return s


@pytest.fixture
def browser(qtbot: Any, fake_window: Any, store: Any) -> HistoryWindow:
    window = fake_window.open_history()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=3000)
    return window


def type_search(qtbot: Any, browser: HistoryWindow, text: str) -> None:
    browser.search.clear()
    qtbot.keyClicks(browser.search, text)
    qtbot.waitUntil(
        lambda: browser.result_count.text().endswith(f"“{text}”") or "failed" in browser.result_count.text(),
        timeout=15000,
    )


def test_list_is_newest_first_grouped_by_day_with_timings_and_plot(
    qtbot: Any, browser: HistoryWindow
) -> None:
    titles = [browser.model.index(r).data() for r in range(3)]
    assert titles == [t[1] for t in reversed(TURNS)]
    assert browser.model.index(0).data(Qt.ItemDataRole.UserRole + 2) == "Today"
    browser.select_row(2)
    assert browser.title.text() == "What is the capital of France?"
    assert browser.messages.messages() == [
        ("user", TURNS[0][1], "complete"),
        ("assistant", TURNS[0][2], "complete"),
    ]
    assert browser.messages.bubbles[-1].meta.text() == "speech 0.25 s · first word 0.40 s · voice 0.90 s"
    assert [p.first_audio_ms for p in browser.plot.points] == [900.0, 1100.0, 1300.0]


def test_search_as_you_type_highlights_and_opens_the_hit(qtbot: Any, browser: HistoryWindow) -> None:
    type_search(qtbot, browser, "photosynth")  # prefix of the last word while typing
    assert [h.conversation_id for h in browser.last_results]
    assert browser.stack.currentWidget() is browser.results
    label = browser.results.itemWidget(browser.results.item(0))
    assert "<b>" in label.text() and "hotosynthesis" in label.text()
    browser.results.setCurrentRow(0)
    assert browser.title.text() == "Explain photosynthesis to me"
    type_search(qtbot, browser, 'capital "AND (NEAR')  # odd input never breaks the search
    assert browser.result_count.text().startswith(("1 result", "2 results", "0 results"))
    browser.search.clear()
    qtbot.waitUntil(lambda: browser.stack.currentWidget() is browser.list, timeout=3000)


def test_snippet_html_escapes_and_highlights() -> None:
    assert snippet_html("a «<b>» c") == "a <b>&lt;b&gt;</b> c"


def test_agent_filter(qtbot: Any, browser: HistoryWindow) -> None:
    browser.agent_filter.setCurrentIndex(browser.agent_filter.findData("tutor"))
    qtbot.waitUntil(lambda: browser.model.rowCount() == 1, timeout=3000)
    assert browser.model.index(0).data() == "Explain photosynthesis to me"


def test_delete_asks_then_removes_messages_and_search_hits(
    qtbot: Any, browser: HistoryWindow, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser.select_row(0)
    doomed = browser.current_id
    monkeypatch.setattr(browser, "confirm_delete", lambda: False)
    browser.delete_button.click()
    assert browser.model.rowCount() == 3 and store.get_conversation(doomed) is not None
    monkeypatch.setattr(browser, "confirm_delete", lambda: True)
    browser.delete_button.click()
    assert browser.model.rowCount() == 2 and store.get_conversation(doomed) is None
    type_search(qtbot, browser, "loop")
    assert browser.last_results == []


def test_rename_export_and_copy(qtbot: Any, browser: HistoryWindow, store: Any, tmp_path: Path) -> None:
    browser.select_row(2)
    conversation = browser.current_id
    browser.rename_current("Trip to Paris")
    assert store.get_conversation(conversation).conversation.title == "Trip to Paris"
    assert browser.model.index(2).data() == "Trip to Paris"
    md = browser.export_current(tmp_path / "c.md")
    assert md is not None and "Paris is the capital of France." in md.read_text()
    js = browser.export_current(tmp_path / "c.json")
    assert "Paris is the capital" in json.dumps(json.loads(js.read_text()))
    copied = browser.copy_current()
    assert "What is the capital of France?" in copied
    assert QApplication.clipboard().text() == copied


def test_ctrl_f_from_the_main_window_focuses_search(qtbot: Any, fake_window: Any, store: Any) -> None:
    fake_window.find_action.trigger()
    browser = fake_window._history
    assert browser is not None and browser.isVisible()
    assert browser.focusWidget() is browser.search  # the window's focus (offscreen windows never activate)


def test_works_without_a_key_and_shows_a_day_label_for_older_days() -> None:
    from datetime import date, datetime

    assert day_label(datetime(2026, 11, 24, 12, tzinfo=UTC), today=date(2026, 11, 25)) == "Yesterday"
    assert (
        day_label(datetime(2026, 11, 3, 12, tzinfo=UTC), today=date(2026, 11, 25))
        == "Tue 3 Nov 2026"
    )


@pytest.mark.slow
def test_a_hundred_thousand_conversations_open_instantly(qtbot: Any, tmp_path: Path, gui_app: Any) -> None:
    db = tmp_path / "big.db"
    HistoryStore.open(db).close()
    now = time.time()
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO conversations (id, agent, title, started_at, updated_at) VALUES (?,?,?,?,?)",
            (
                (i, "assistant", f"conversation {i}", now - 100_000 + i, now - 100_000 + i)
                for i in range(1, 100_001)
            ),
        )
        conn.executemany(
            "INSERT INTO messages (conversation_id, role, text, created_at, status, source) "
            "VALUES (?, 'user', ?, ?, 'complete', 'typed')",
            ((i, f"question number {i}", now - 100_000 + i) for i in range(1, 100_001)),
        )
    store = HistoryStore.open(db)
    try:
        source = HistorySource(store)
        started = time.perf_counter()
        model = ConversationListModel(source)
        model.reload()
        first_page_s = time.perf_counter() - started
        assert model.rowCount() == PAGE and model.pages_loaded == 1
        assert model.index(0).data() == "conversation 100000"
        assert first_page_s < 0.5, f"first page took {first_page_s * 1000:.0f} ms"
        started = time.perf_counter()
        model.fetchMore(model.index(-1))
        assert model.rowCount() == 2 * PAGE
        assert time.perf_counter() - started < 0.5
    finally:
        store.close()


def test_an_open_browser_shows_a_new_turn(
    qtbot: Any, browser: HistoryWindow, fake_window: Any, store: Any
) -> None:
    from desktop_assistant.assistant.events import TurnFinished, TurnTimings

    conversation = store.conversation_for_turn("assistant", 0.0, new=True)
    store.add_message(conversation, "user", "a brand new question")
    fake_window.bridge.post(TurnFinished(9, conversation, 0, "", "complete", "", TurnTimings()))
    qtbot.waitUntil(lambda: browser.model.rowCount() == 4, timeout=3000)
    assert browser.model.index(0).data() == "a brand new question"
