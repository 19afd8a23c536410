"""History as users of other assistants expect it (issue 12, polish): a search hit opens scrolled
to the message and marks it, agents are shown by name, a long meta line wraps, and the empty
view speaks about History (not about holding the talk button)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect

from desktop_assistant.ui.history_model import AgentRole
from desktop_assistant.ui.history_window import EMPTY_SELECTION, NO_CONVERSATIONS, HistoryWindow

pytestmark = pytest.mark.gui

LONG_ERROR = ("The model's reply was cut off by the server after 30 seconds of silence; "
              "nothing more arrived and the connection was closed by the other side")


@pytest.fixture
def store(gui_app: Any) -> Any:
    from desktop_assistant.history.store import app_store as history_store

    return history_store(gui_app)


def long_conversation(store: Any, agent: str = "tutor") -> tuple[int, int]:
    """A 40-message conversation whose 21st message holds 'zeppelin'; (conversation, that message)."""
    conversation = store.conversation_for_turn(agent, 0.0, new=True)
    hit = 0
    for n in range(20):
        question = "Tell me about the zeppelin" if n == 10 else f"Question number {n} about grammar"
        message = store.add_message(conversation, "user", question, source="typed")
        hit = message if n == 10 else hit
        reply = store.add_message(conversation, "assistant", "", status="streaming")
        store.update_message(reply, text=f"Answer {n}. " + "A sentence that fills the bubble. " * 6,
                             status="complete", timings={"first_audio_ms": 900.0})
    return conversation, hit


def open_browser(qtbot: Any, fake_window: Any, rows: int) -> HistoryWindow:
    window = fake_window.open_history()
    window.resize(700, 500)
    qtbot.waitUntil(lambda: window.model.rowCount() == rows, timeout=3000)
    return window


def test_a_search_hit_opens_scrolled_to_the_message_and_marked(qtbot: Any, fake_window: Any, store: Any) -> None:
    _, hit = long_conversation(store)
    browser = open_browser(qtbot, fake_window, 1)
    browser.search.setText("zeppelin")
    qtbot.waitUntil(lambda: len(browser.last_results) == 1, timeout=15000)
    assert browser.last_results[0].message_id == hit
    browser.results.setCurrentRow(0)
    view = browser.messages
    found = [b for b in view.bubbles if b.property("found")]
    assert [b.text for b in found] == ["Tell me about the zeppelin"]

    def in_viewport() -> bool:
        top_left = found[0].mapTo(view.viewport(), QPoint(0, 0))
        return view.viewport().rect().intersects(QRect(top_left, found[0].size()))

    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and in_viewport(), timeout=3000)
    assert 0 < bar.value() < bar.maximum()  # in the middle: neither left at the top nor at the end


def test_opening_a_conversation_from_the_list_marks_nothing(qtbot: Any, fake_window: Any, store: Any) -> None:
    long_conversation(store)
    browser = open_browser(qtbot, fake_window, 1)
    browser.select_row(0)
    assert len(browser.messages.bubbles) == 40
    assert not any(b.property("found") for b in browser.messages.bubbles)


def test_conversations_show_the_agent_s_name_not_its_id(qtbot: Any, fake_window: Any, store: Any) -> None:
    long_conversation(store, agent="tutor")
    browser = open_browser(qtbot, fake_window, 1)
    name = fake_window.app.agents.agents["tutor"].name
    assert name != "tutor"
    index = browser.model.index(0)
    assert index.data(AgentRole) == name
    assert name in browser.model.data(index, 3)  # the tooltip (Qt.ItemDataRole.ToolTipRole)


def test_a_long_error_under_a_failed_reply_wraps(qtbot: Any, fake_window: Any, store: Any) -> None:
    conversation = store.conversation_for_turn("assistant", 0.0, new=True)
    store.add_message(conversation, "user", "Hello?", source="typed")
    reply = store.add_message(conversation, "assistant", "", status="streaming")
    store.update_message(reply, text="Partial", status="failed", error=LONG_ERROR)
    browser = open_browser(qtbot, fake_window, 1)
    browser.select_row(0)
    bubble = browser.messages.bubbles[-1]
    qtbot.waitUntil(lambda: bubble.meta.isVisible() and bubble.meta.width() > 0, timeout=3000)
    assert LONG_ERROR in bubble.meta.text()
    assert bubble.meta.wordWrap()
    assert bubble.meta.geometry().right() <= bubble.contentsRect().right()  # inside its bubble, not cut off
    assert bubble.meta.height() > 1.5 * bubble.meta.fontMetrics().height()  # on more than one line


def test_the_empty_view_speaks_about_history(qtbot: Any, fake_window: Any, store: Any) -> None:
    browser = open_browser(qtbot, fake_window, 0)
    placeholder = browser.messages._placeholder
    assert placeholder.text() == NO_CONVERSATIONS
    long_conversation(store)
    browser.refresh()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 1, timeout=3000)
    assert placeholder.text() == EMPTY_SELECTION
    browser.agent_filter.setCurrentIndex(browser.agent_filter.findData("coder"))
    name = fake_window.app.agents.agents["coder"].name
    assert placeholder.text() == f"No conversations with {name} yet."
    assert "Hold the button" not in placeholder.text()
