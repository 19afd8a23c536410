"""Screen readers and the keyboard (issue 12, item 5 and the keyboard polish), through
Qt's accessibility interfaces — the tree Qt's AT-SPI bridge gives Orca. The real bus is
walked by tests/desktop/test_desktop_accessibility.py.

- every message is readable: its accessible name is its text, its status the description;
- every control and every label with text has a name, and each name contains the label
  the user sees (WCAG 2.5.3), in the main window (with a banner), History and Settings;
- state changes and problems are announced;
- the first focus is the talk button; the conversation is one Tab stop, Up/Down move
  between messages; each shortcut is named in a tooltip and F1 lists them all.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_assistant.speech.transcript import ModelStatus
from desktop_assistant.ui.chat_view import ChatView
from tests.gui import a11y_audit as audit

pytestmark = pytest.mark.gui

QUESTION = "What is the capital of France?"
ANSWER = "Paris is the capital of France."


def fill_main_window(w: Any) -> None:
    """Everything the main window shows in use: a banner with its action, a conversation
    with an interrupted reply and its latency, and the status bar's values."""
    w.banner.show_problem("No Groq API key — replies need one.", "Open Settings", "settings", severity="warning")
    w.chat.add_message("user", QUESTION)
    w.chat.append_reply(ANSWER)
    w.chat.finish_reply("interrupted", {"first_audio_ms": 900.0})
    w.status.show_model(ModelStatus("tiny.en", "embedded", "ready"))
    w.status.show_device(None)
    w.status.show_network("online")
    QApplication.processEvents()


def problems(window: Any) -> dict[str, list[tuple[str, str, str]]]:
    found = audit.nodes(window)
    return {
        "unnamed": [(n.role, n.widget, n.visible_label) for n in audit.unnamed(found)],
        "label not in name": [(n.widget, n.name, n.visible_label) for n in audit.label_not_in_name(found)],
    }


def test_messages_are_read_as_their_text_with_their_status(qtbot: Any) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    view.add_message("user", QUESTION)
    view.append_reply("Paris")
    assert view.bubbles[1].body.accessibleName() == "Assistant said: Paris"  # follows the stream
    view.append_reply(" is the capital.")
    view.finish_reply("interrupted", {"first_audio_ms": 900.0})
    view.begin_reply()
    view.finish_reply("failed", None, "Groq rejected the API key")
    names = [b.body.accessibleName() for b in view.bubbles]
    assert names == [
        f"You said: {QUESTION}",
        "Assistant said: Paris is the capital.",
        "Assistant said: (no reply)",
    ]
    descriptions = [b.body.accessibleDescription() for b in view.bubbles]
    assert descriptions == ["", "interrupted; reply time 0.9 s", "failed: Groq rejected the API key"]


def test_main_window_names_contain_what_the_user_sees(fake_window: Any) -> None:
    w = fake_window
    fill_main_window(w)
    assert problems(w) == {"unnamed": [], "label not in name": []}
    # the ones users met: the banner's button, the state and status values, the two "Message"s
    assert w.banner._action.accessibleName() in ("", "Open Settings")
    names = {n.name for n in audit.nodes(w)}
    assert {"Open Settings", "State: Ready", "Speech: tiny.en, embedded", "Mic: default", "Groq: online"} <= names
    assert [n.name for n in audit.nodes(w)].count("Message") == 1
    for name, label in audit.combo_labels(w):  # named by their label where the platform uses the name
        assert audit.normalised(label) in audit.normalised(name)


def test_history_names_contain_what_the_user_sees(qtbot: Any, fake_window: Any, gui_app: Any) -> None:
    from desktop_assistant.history.store import app_store as history_store

    store = history_store(gui_app)
    conversation = store.conversation_for_turn("assistant", 0.0, new=True)
    store.add_message(conversation, "user", QUESTION, source="voice")
    reply = store.add_message(conversation, "assistant", "", status="streaming")
    store.update_message(reply, text=ANSWER, status="complete", timings={"first_audio_ms": 900.0})
    history = fake_window.open_history()
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=3000)
    history.select_row(0)
    qtbot.waitUntil(lambda: len(history.messages.bubbles) == 2, timeout=3000)
    assert problems(history) == {"unnamed": [], "label not in name": []}
    qtbot.keyClicks(history.search, "capital")
    qtbot.waitUntil(lambda: len(history.last_results) >= 1, timeout=3000)
    assert problems(history) == {"unnamed": [], "label not in name": []}
    names = {n.name for n in audit.nodes(history)}
    assert {f"You said: {QUESTION}", f"Assistant said: {ANSWER}"} <= names
    count = history.result_count.text()
    assert count.endswith("for “capital”") and count in names  # the count is read, not "Search result count"


def test_settings_names_contain_what_the_user_sees(qtbot: Any, fake_window: Any) -> None:
    dialog = fake_window.open_settings()
    seen = []
    for page in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(page)
        QApplication.processEvents()
        assert problems(dialog) == {"unnamed": [], "label not in name": []}, dialog.tabs.tabText(page)
        for name, label in audit.combo_labels(dialog):
            assert audit.normalised(label) in audit.normalised(name), (name, label)
        seen += [n.name for n in audit.nodes(dialog)]
    assert "New conversation after (minutes)" in seen


def test_state_changes_and_problems_are_announced(
    fake_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_assistant.ui import accessibility, banner

    said: list[tuple[str, bool]] = []
    record = lambda _widget, text, assertive=False: said.append((text, assertive))  # noqa: E731
    monkeypatch.setattr(accessibility, "announce", record)
    monkeypatch.setattr(banner, "announce", record)
    w = fake_window
    for state in ("listening", "transcribing", "thinking", "speaking", "ready", "ready", "error"):
        w._set_state(state)
    w.show_problem_text("Groq rejected the API key", "Open Settings", "settings", kind="auth")
    assert said == [
        ("Listening", False), ("Transcribing…", False), ("Thinking…", False), ("Speaking", False),
        ("Ready", False), ("Error", False), ("Groq rejected the API key", True),
    ]
    assert w.state_label.accessibleName() == "State: Error"


def test_first_focus_is_the_talk_button(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=2000)
    assert QApplication.focusWidget() is w.ptt


def tab_stops(w: Any, qtbot: Any, count: int) -> list[Any]:
    stops = []
    for _ in range(count):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        stops.append(QApplication.focusWidget())
    return stops


def test_the_conversation_is_one_tab_stop_walked_with_the_arrow_keys(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    for i in range(4):
        w.chat.add_message("user", f"question {i}")
        w.chat.add_message("assistant", f"answer {i}")
    w.activateWindow()
    w.ptt.setFocus()
    QApplication.processEvents()
    stops = tab_stops(w, qtbot, 20)  # more than once round the window
    in_chat = [s for s in stops if w.chat.isAncestorOf(s)]
    rounds = sum(1 for s in stops if s is w.ptt)
    assert rounds >= 1 and len(in_chat) == rounds  # once per round, whatever the number of messages
    assert all(s is w.chat.bubbles[-1].body for s in in_chat)  # entering lands on the last message
    while not w.chat.isAncestorOf(QApplication.focusWidget()):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)

    bodies = [b.body for b in w.chat.bubbles]
    walked = []
    for key in [Qt.Key.Key_Up] * 3 + [Qt.Key.Key_Down] + [Qt.Key.Key_Home] + [Qt.Key.Key_Up] + [Qt.Key.Key_End]:
        qtbot.keyClick(QApplication.focusWidget(), key)
        walked.append(bodies.index(QApplication.focusWidget()))
    assert walked == [6, 5, 4, 5, 0, 0, 7]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Up)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # leaves: to the stop after the conversation
    assert QApplication.focusWidget() is w.ptt
    qtbot.keyClick(w.ptt, Qt.Key.Key_Backtab)  # back in: to the message last visited
    assert QApplication.focusWidget() is bodies[6]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert not w.chat.isAncestorOf(QApplication.focusWidget())


def test_shortcuts_are_named_in_tooltips_and_listed_by_f1(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    assert "Ctrl+N" in w.new_button.toolTip() and "Ctrl+F" in w.history_button.toolTip()
    assert "Ctrl+," in w.settings_button.toolTip() and "Esc" in w.stop_button.toolTip()
    assert "F1" in w.help_button.toolTip()
    qtbot.keyClick(w, Qt.Key.Key_F1)
    dialog = w._shortcuts_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    keys = {k for _what, k in dialog.rows()}
    assert {"Space", "Ctrl+N", "Ctrl+F", "Ctrl+,", "Esc", "Ctrl+Q", "F1"} <= keys
    assert problems(dialog) == {"unnamed": [], "label not in name": []}
    dialog.close()
    w.help_button.click()
    assert dialog.isVisible()
