"""History and the live chat, polished (issue 12, "Expected polish"): stored and live bubbles render
alike (a long meta line wrapped and never cut), the delete confirmation says Delete / Cancel with Cancel
the default (Enter and Esc cancel), and each reply's timings are labelled, explained on hover."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_assistant.assistant.events import (
    ReplyDelta,
    ReplyStarted,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
    TurnTimings,
)
from desktop_assistant.errors import UserFacingError

pytestmark = pytest.mark.gui

TIMINGS = {"stt_ms": 140.0, "llm_first_token_ms": 410.0, "first_audio_ms": 780.0, "total_ms": 2600.0}
LONG_ERROR = (
    "Groq could not be reached: the connection to api.groq.com timed out after 10 seconds while the reply "
    "was still streaming, and the offline voice could not be started either"
)


def add_turn(store: Any, conversation: int, question: str, answer: str, **reply: Any) -> int:
    store.add_message(conversation, "user", question, source="voice")
    message = store.add_message(conversation, "assistant", "", status="streaming")
    store.update_message(
        message, text=answer, status=reply.get("status", "complete"), error=reply.get("error"),
        timings=reply.get("timings", TIMINGS),
    )
    return message


@pytest.fixture
def store(gui_app: Any) -> Any:
    from desktop_assistant.history.store import app_store as history_store

    return history_store(gui_app)


def open_browser(qtbot: Any, window: Any, rows: int) -> Any:
    browser = window.open_history()
    browser.resize(900, 620)
    qtbot.waitUntil(lambda: browser.model.rowCount() == rows, timeout=3000)
    return browser


def laid_out(view: Any) -> bool:
    bubbles = view.bubbles
    return (
        bool(bubbles)
        and all(b.isVisible() and b.height() >= b.body.fontMetrics().height() for b in bubbles)
        and bubbles[-1].y() > bubbles[0].y()
    )


# ---------------------------------------------------------------- stored and live alike


def rendered(view: Any) -> list[tuple[Any, ...]]:
    return [
        (type(b).__name__, b.objectName(), b.role, b.text, b.status, b.meta.isVisibleTo(b), b.meta.text(),
         b.meta.toolTip(), b.meta.wordWrap(), b.body.wordWrap(), b.body.textFormat(),
         b.body.accessibleName(), b.body.accessibleDescription())
        for b in view.bubbles
    ]


def test_stored_and_live_bubbles_render_alike(qtbot: Any, fake_window: Any, store: Any) -> None:
    w, bridge = fake_window, fake_window.bridge
    conversation = store.conversation_for_turn("assistant", 0.0, new=True)
    add_turn(store, conversation, "what time is it", "It is noon.")
    add_turn(store, conversation, "and the weather?", "", status="failed", error="Groq did not answer",
             timings={"stt_ms": 90.0, "llm_first_token_ms": None, "first_audio_ms": None, "total_ms": 5000.0})
    bridge.post(TranscriptReady(1, "what time is it", 140.0))
    bridge.post(ReplyStarted(1, conversation, 2, "assistant"))
    bridge.post(ReplyDelta(1, "It is noon.", "It is noon."))
    bridge.post(TurnFinished(1, conversation, 2, "It is noon.", "complete", "It is noon.", TurnTimings(**TIMINGS)))
    qtbot.waitUntil(lambda: len(w.chat.bubbles) == 2 and w.chat.bubbles[-1].status == "complete", timeout=2000)
    bridge.post(TranscriptReady(2, "and the weather?", 90.0))
    bridge.post(TurnFailed(2, UserFacingError("Groq did not answer", kind="server"), conversation, 4, "",
                           TurnTimings(90.0, None, None, 5000.0)))
    qtbot.waitUntil(lambda: len(w.chat.bubbles) == 4 and w.chat.bubbles[-1].status == "failed", timeout=2000)
    browser = open_browser(qtbot, w, 1)
    browser.select_row(0)
    assert rendered(browser.messages) == rendered(w.chat)
    assert browser.messages.bubbles[-1].text == "(no reply)"


def test_a_long_meta_line_is_wrapped_whole_at_history_s_minimum_width(
    qtbot: Any, fake_window: Any, store: Any
) -> None:
    conversation = store.conversation_for_turn("tutor", 0.0, new=True)
    add_turn(store, conversation, "Why did it fail?", "", status="failed", error=LONG_ERROR)
    add_turn(store, conversation, "And now?", "Now it works.")
    browser = open_browser(qtbot, fake_window, 1)
    browser.resize(browser.minimumSizeHint().width(), 560)
    browser.select_row(0)
    view = browser.messages
    qtbot.waitUntil(lambda: laid_out(view), timeout=3000)
    qtbot.waitUntil(lambda: view.bubbles[1].meta.width() < view.bubbles[1].meta.sizeHint().width(), timeout=3000)
    for bubble in view.bubbles:
        for label in (bubble.body, bubble.meta):
            if label.isVisibleTo(bubble):  # as tall as its wrapped text needs: no line cut off
                assert label.heightForWidth(label.width()) <= label.height(), f"cut: {label.text()!r}"
    assert LONG_ERROR in view.bubbles[1].meta.text()


# ---------------------------------------------------------------- delete: Delete / Cancel


def answer_box(qtbot: Any, browser: Any, key: Qt.Key | None = None, click: str | None = None) -> dict[str, Any]:
    """Answer the delete confirmation when it shows: `key` (Enter, Esc) or a click on the button `click`."""
    seen: dict[str, Any] = {}

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible():
            QTimer.singleShot(20, answer)
            return
        try:
            seen["buttons"] = sorted(b.text() for b in box.buttons())
            seen["default"] = box.defaultButton().text() if box.defaultButton() else None
            seen["escape"] = box.escapeButton().text() if box.escapeButton() else None
            if click is not None:
                for button in box.buttons():
                    if button.text() == click:
                        button.click()
            else:
                QTest.keyClick(box.focusWidget() or box, key or Qt.Key.Key_Escape)
        finally:
            if box.isVisible():
                box.reject()  # never leave a modal box open

    QTimer.singleShot(0, answer)
    return seen


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Escape], ids=["enter", "esc"])
def test_delete_asks_delete_or_cancel_and_enter_or_esc_cancels(
    qtbot: Any, fake_window: Any, store: Any, key: Qt.Key
) -> None:
    for question in ("first question", "second question"):
        add_turn(store, store.conversation_for_turn("assistant", 0.0, new=True), question, "An answer.")
    browser = open_browser(qtbot, fake_window, 2)
    browser.select_row(0)
    seen = answer_box(qtbot, browser, key=key)
    browser.delete_button.click()
    assert seen["buttons"] == ["Cancel", "Delete"]
    assert seen["default"] == "Cancel" and seen["escape"] == "Cancel"
    assert browser.model.rowCount() == 2 and store.get_conversation(browser.current_id) is not None


def test_delete_removes_it_from_the_list(qtbot: Any, fake_window: Any, store: Any) -> None:
    for question in ("first question", "second question"):
        add_turn(store, store.conversation_for_turn("assistant", 0.0, new=True), question, "An answer.")
    browser = open_browser(qtbot, fake_window, 2)
    browser.select_row(0)
    doomed = browser.current_id
    answer_box(qtbot, browser, click="Delete")
    browser.delete_button.click()
    assert store.get_conversation(doomed) is None
    assert browser.model.rowCount() == 1 and browser.model.index(0).data() == "first question"
    assert browser.current_id is None and not browser.messages.bubbles


# ---------------------------------------------------------------- labelled timings


def test_timings_are_labelled_with_an_explanation_live_and_in_history(
    qtbot: Any, fake_window: Any, store: Any
) -> None:
    w, bridge = fake_window, fake_window.bridge
    conversation = store.conversation_for_turn("assistant", 0.0, new=True)
    add_turn(store, conversation, "what time is it", "It is noon.")
    bridge.post(TranscriptReady(1, "what time is it", 140.0))
    bridge.post(ReplyStarted(1, conversation, 2, "assistant"))
    bridge.post(ReplyDelta(1, "It is noon.", "It is noon."))
    bridge.post(TurnFinished(1, conversation, 2, "It is noon.", "complete", "It is noon.", TurnTimings(**TIMINGS)))
    qtbot.waitUntil(lambda: len(w.chat.bubbles) == 2 and w.chat.bubbles[-1].status == "complete", timeout=2000)
    browser = open_browser(qtbot, w, 1)
    browser.select_row(0)
    for meta in (w.chat.bubbles[-1].meta, browser.messages.bubbles[-1].meta):
        assert meta.text() == "speech 0.14 s · first word 0.41 s · voice 0.78 s"
        tip = meta.toolTip().splitlines()
        assert [line.split(":")[0] for line in tip] == [
            "speech 0.14 s", "first word 0.41 s", "voice 0.78 s", "total 2.60 s"
        ]
        assert all(len(line.split(": ", 1)[1]) > 15 for line in tip)  # each one explained
