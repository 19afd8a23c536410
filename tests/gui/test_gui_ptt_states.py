"""Units of the push-to-talk state (offscreen; the real gestures are in tests/desktop): the user's
hold and the engine's word are separate, stale events of a barged-in turn never change the state,
a tap is dropped quietly, unflagged X11 repeat pairs are one hold, and problems clear when a turn
succeeds. The engine behind the window is a RecordingAssistant; events are posted as the engine does."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from desktop_assistant.assistant.events import (
    RecordingCancelled,
    RecordingStarted,
    RecordingStopped,
    TurnFailed,
    TurnFinished,
    TurnTimings,
)
from desktop_assistant.errors import UserFacingError


def wait_calls(qtbot: Any, fake: Any, names: list[str]) -> None:
    qtbot.waitUntil(lambda: fake.names() == names, timeout=3000)


def post(qtbot: Any, w: Any, event: Any) -> None:
    """Post as the engine does, and return once the window has handled it (posted events arrive in order)."""
    with qtbot.waitSignal(w.bridge.any_event, timeout=2000, check_params_cb=lambda seen: seen is event):
        w.bridge.post(event)


def key(kind: QEvent.Type, timestamp: int, repeat: bool = False) -> QKeyEvent:
    event = QKeyEvent(kind, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ", repeat)
    event.setTimestamp(timestamp)
    return event


def finished(turn_id: int, status: str = "complete") -> TurnFinished:
    return TurnFinished(turn_id, 1, 1, "It is sunny.", status, "It is sunny.", TurnTimings())


def test_a_stale_turn_ending_after_a_barge_in_does_not_end_the_hold(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    qtbot.keyPress(w.chat, Qt.Key.Key_Space)
    qtbot.wait(350)  # a real hold, not a tap
    post(qtbot, w, RecordingStarted(2))
    assert w.state == "listening" and w.ptt.listening
    # The reply that the press barged in on (turn 1) reports its end after the new recording began.
    post(qtbot, w, TurnFailed(1, UserFacingError("cancelled", kind="cancelled")))
    post(qtbot, w, finished(1, "interrupted"))
    assert w.state == "listening" and w.ptt.active and w.ptt.listening
    qtbot.keyRelease(w.chat, Qt.Key.Key_Space)
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "push_to_talk_released"])
    post(qtbot, w, RecordingStopped(2, 1.0))
    assert w.state == "transcribing" and not w.ptt.listening


def test_engine_state_changes_never_clear_what_the_user_holds(qtbot: Any, fake_window: Any) -> None:
    from desktop_assistant.speech.transcript import ModelStatus

    w = fake_window
    qtbot.keyPress(w.chat, Qt.Key.Key_Space)
    qtbot.wait(350)
    w.bridge.post_model_status(ModelStatus("tiny.en", "embedded", "loading", None, "loading"))
    post(qtbot, w, RecordingStarted(1))
    w.bridge.post_model_status(ModelStatus("tiny.en", "embedded", "loading", None, "loading"))
    qtbot.waitUntil(lambda: w.status.model.text() == "Speech: tiny.en, loading…", timeout=2000)
    assert w.ptt.active and w.state == "listening"
    qtbot.keyRelease(w.chat, Qt.Key.Key_Space)
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "push_to_talk_released"])


def test_stop_while_listening_turns_the_indicator_off(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    post(qtbot, w, RecordingStarted(1))
    assert w.state_label.text() == "Listening" and "Listening" in w.ptt.text()
    w.stop()
    wait_calls(qtbot, w.fake, ["stop"])
    assert w.state == "listening"  # until the engine says the microphone is off
    post(qtbot, w, RecordingCancelled(1, "stopped"))
    assert w.state == "ready" and not w.ptt.listening and "Listening" not in w.ptt.text()


def test_a_tap_is_dropped_quietly(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.banner.clear()
    qtbot.keyPress(w.chat, Qt.Key.Key_Space)
    qtbot.keyRelease(w.chat, Qt.Key.Key_Space)
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "cancel_recording"])
    post(qtbot, w, RecordingStarted(1))
    post(qtbot, w, RecordingCancelled(1, "tap"))
    assert w.state == "ready" and not w.banner.isVisible()


def test_unflagged_x11_repeat_pairs_are_one_hold(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.ptt_key.set_x11_autorepeat(False)  # a server without detectable auto-repeat
    send = QApplication.sendEvent
    send(w.chat, key(QEvent.Type.KeyPress, 1000))
    for t in range(1200, 1400, 25):  # repeat pairs Qt did not flag: release and press share a time
        send(w.chat, key(QEvent.Type.KeyRelease, t))
        send(w.chat, key(QEvent.Type.KeyPress, t))
    qtbot.wait(120)
    assert w.ptt.active and w.ptt_key.repeats_absorbed == 8
    send(w.chat, key(QEvent.Type.KeyRelease, 1500))
    assert w.ptt.active  # not before the confirmation time
    qtbot.waitUntil(lambda: not w.ptt.active, timeout=1000)
    # A new press at another time right after a release is a new gesture, not a repeat.
    send(w.chat, key(QEvent.Type.KeyPress, 2000))
    send(w.chat, key(QEvent.Type.KeyRelease, 2400))
    send(w.chat, key(QEvent.Type.KeyPress, 2410))
    assert w.ptt.active
    send(w.chat, key(QEvent.Type.KeyRelease, 2800))
    qtbot.waitUntil(lambda: not w.ptt.active, timeout=1000)
    pressed = [n for n in w.fake.names() if n == "push_to_talk_pressed"]
    assert len(pressed) == 3


def test_typing_where_no_text_field_has_focus_goes_to_the_message_box(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.new_button.setFocus()
    qtbot.keyClicks(w.new_button, "hi")  # to the focused button: redirected, and the box takes the focus
    assert w.text_box.hasFocus()
    qtbot.keyClicks(w.text_box, " there")  # (qtbot sends to a widget; a real keyboard to the focus)
    assert w.text_box.text() == "hi there" and w.text_box.hasFocus()
    assert "push_to_talk_pressed" not in w.fake.names()
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    wait_calls(qtbot, w.fake, ["send_text"])
    # The message box is empty again: holding Space there talks.
    qtbot.keyPress(w.text_box, Qt.Key.Key_Space)
    assert w.ptt.active and w.text_box.text() == ""


def test_problems_clear_when_a_later_turn_succeeds(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    post(qtbot, w, TurnFailed(1, UserFacingError("That was too short", "hold the button while you speak",
                                                 kind="input")))
    assert w.banner.isVisible() and w.state == "error"
    post(qtbot, w, finished(2))
    assert not w.banner.isVisible() and w.state == "ready"


def test_the_connection_label_names_the_real_cause(qtbot: Any, fake_window: Any, gui_app: Any) -> None:
    w = fake_window
    post(qtbot, w, TurnFailed(1, UserFacingError("Groq rejected the API key", kind="auth")))
    assert w.status.network.text() == "Groq: key rejected" and w.state == "error"
    old = gui_app.settings
    w._settings_applied(old, dataclasses.replace(old, groq_api_key="gsk_fixedkey0123456789"))
    assert w.state == "ready" and w.status.network.text() == "Groq: not contacted yet"
