"""The main window's small promises: Stop is enabled only when something can be stopped, the
reply's bubble is there as soon as a message is sent, and lines stay readable when maximised."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desktop_assistant.assistant.events import RecordingCancelled, RecordingStarted, UserMessageStored


def post(qtbot: Any, w: Any, event: Any) -> None:
    """Post as the engine does, and return once the window has handled it (posted events arrive in order)."""
    with qtbot.waitSignal(w.bridge.any_event, timeout=2000, check_params_cb=lambda seen: seen is event):
        w.bridge.post(event)


def test_stop_is_enabled_only_when_something_can_be_stopped(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    assert w.state == "ready" and not w.stop_button.isEnabled()
    post(qtbot, w, RecordingStarted(1))
    assert w.stop_button.isEnabled()
    post(qtbot, w, RecordingCancelled(1, "stopped"))
    assert not w.stop_button.isEnabled()
    w.text_box.setText("hello")
    w.send_typed()
    assert w.state == "thinking" and w.stop_button.isEnabled()


def test_a_typed_message_and_its_reply_bubble_show_at_once(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.text_box.setText("what time is it")
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    assert [(b.role, b.text) for b in w.chat.bubbles] == [("user", "what time is it"), ("assistant", "")]
    assert w.chat.reply is w.chat.bubbles[-1] and w.chat.reply.body.text() == "…"
    post(qtbot, w, UserMessageStored(1, 1, 1, "what time is it"))  # the engine stored it: no second bubble
    assert [b.role for b in w.chat.bubbles] == ["user", "assistant"]
    w.chat.append_reply("It is noon.")
    assert w.chat.reply.body.text() == "It is noon."


def test_lines_stay_readable_in_a_maximised_window(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.resize(1600, 900)
    bubble = w.chat.add_message("assistant", "word " * 400)
    qtbot.waitUntil(lambda: bubble.width() > 0, timeout=2000)
    chars_per_line = bubble.body.width() / bubble.fontMetrics().averageCharWidth()
    assert chars_per_line <= 95, chars_per_line


def test_a_short_window_gets_the_slim_talk_button(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.resize(760, 330)
    qtbot.waitUntil(lambda: w.ptt.property("compact") == "true" and w.ptt.height() <= 50, timeout=2000)
    assert "\n" not in w.ptt.text()
    qtbot.waitUntil(lambda: w.chat.height() >= 90, timeout=2000)  # the conversation keeps its room
    w.resize(760, 640)
    qtbot.waitUntil(lambda: w.ptt.property("compact") == "false" and w.ptt.height() >= 80, timeout=2000)


def test_a_typed_message_the_engine_cannot_take_goes_back_into_the_box(qtbot: Any, fake_window: Any) -> None:
    from desktop_assistant.errors import UserFacingError

    w = fake_window
    w.text_box.setText("is it going to rain")
    w.send_typed()
    assert w.text_box.text() == ""
    w.bridge.post_command_failed(UserFacingError("The assistant is still starting", "try again in a moment",
                                                 kind="starting"))
    qtbot.waitUntil(lambda: w.text_box.text() == "is it going to rain", timeout=2000)  # nothing typed is lost
    assert w.chat.reply is None and w.chat.bubbles[-1].status == "failed"
    assert w.banner.isVisible() and "still starting" in w.banner.text
