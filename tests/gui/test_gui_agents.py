"""The agent picker (issue 12 polish): each agent's one-line description is shown, and switching
agent says so in the live chat ("New conversation with Language Tutor"), as a line, not a banner."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop_assistant.assistant.events import ConversationChanged, TranscriptReady

pytestmark = pytest.mark.gui


def user_lines(window: Any) -> list[str]:
    """What the user said in the live chat (a reply's bubble shows as soon as it is awaited)."""
    return [text for role, text, _status in window.chat.messages() if role == "user"]


def loaded(qtbot: Any, window: Any) -> Any:
    qtbot.waitUntil(lambda: window.agent_box.isEnabled(), timeout=5000)
    return window.app.agents


def test_the_picker_shows_each_agents_description(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    agents = loaded(qtbot, w)
    box = w.agent_box
    tips = {box.itemData(i): box.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(box.count())}
    assert tips == {a.id: a.description for a in agents.agents.values()}
    assert all(tips.values())  # every bundled agent has one
    assert box.toolTip() == agents.get("assistant").description == box.accessibleDescription()
    box.setCurrentIndex(box.findData("tutor"))
    assert box.toolTip() == agents.get("tutor").description == box.accessibleDescription()


def test_switching_agent_says_so_in_the_chat(qtbot: Any, fake_window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_assistant.ui import accessibility

    said: list[str] = []
    monkeypatch.setattr(accessibility, "announce", lambda _widget, text, assertive=False: said.append(text))
    w = fake_window
    agents = loaded(qtbot, w)
    w.bridge.post(TranscriptReady(1, "hello", 10.0))
    qtbot.waitUntil(lambda: user_lines(w) == ["hello"], timeout=3000)
    banner = (w.banner.kind, w.banner.text)  # (the no-key banner: this test has no key)

    w.agent_box.setCurrentIndex(w.agent_box.findData("tutor"))
    tutor = agents.get("tutor")
    expected = f"New conversation with Language Tutor — {tutor.description}"
    assert tutor.name == "Language Tutor"
    assert w.chat.notices() == [expected]
    assert w.chat.messages() == []  # the old conversation's bubbles went with it
    qtbot.waitUntil(lambda: ("set_agent", ("tutor",)) in w.fake.calls, timeout=3000)  # (the command thread)
    # The engine's ConversationChanged, when it comes (it may not: saving the setting can hand the
    # engine the agent first), clears the chat again: the line stays, and is not said twice.
    w.bridge.post(ConversationChanged(0, None, "tutor"))
    w.bridge.post(TranscriptReady(2, "hi", 10.0))
    qtbot.waitUntil(lambda: user_lines(w) == ["hi"], timeout=3000)
    assert w.chat.notices() == [expected]
    assert said.count(expected) == 1  # a screen reader hears it (the line is not a Tab stop)
    notice = w.chat.findChild(QLabel, "chatNotice")
    assert notice is not None and notice.isVisibleTo(w) and notice.text() == expected
    assert (w.banner.kind, w.banner.text) == banner  # a line in the chat, not a banner

    # New conversation with the same agent clears the line and says nothing new.
    w.new_button.click()
    w.bridge.post(ConversationChanged(0, None, "tutor"))
    w.bridge.post(TranscriptReady(3, "again", 10.0))
    qtbot.waitUntil(lambda: user_lines(w) == ["again"], timeout=3000)
    assert w.chat.notices() == []

    # An agent changed elsewhere (the engine's event for another agent) is said too.
    w.bridge.post(ConversationChanged(0, None, "coder"))
    coder = f"New conversation with Code Helper — {agents.get('coder').description}"
    qtbot.waitUntil(lambda: w.chat.notices() == [coder], timeout=3000)


def test_the_notice_sits_above_the_empty_chat_hint_and_after_messages(qtbot: Any) -> None:
    from desktop_assistant.ui.chat_view import ChatView

    chat = ChatView()
    qtbot.addWidget(chat)
    layout = chat.widget().layout()

    def order() -> list[str]:
        out = []
        for item in (layout.itemAt(i) for i in range(layout.count())):
            row = item.layout()  # a message: a row with the bubble and a stretch
            widgets = [row.itemAt(j).widget() for j in range(row.count())] if row else [item.widget()]
            out += [w.objectName() for w in widgets if w is not None and not w.isHidden()]
        return out

    chat.add_notice("New conversation with Translator")
    assert order() == ["chatNotice", "chatPlaceholder"]
    chat.add_message("user", "hola")
    chat.add_notice("New conversation with Assistant")
    assert order() == ["chatNotice", "userBubble", "chatNotice"]
    assert chat.notices() == ["New conversation with Translator", "New conversation with Assistant"]
    chat.clear()
    assert chat.notices() == [] and order() == ["chatPlaceholder"]
