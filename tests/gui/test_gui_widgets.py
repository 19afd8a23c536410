"""Unit tests of the widgets: push-to-talk (mouse, key, hold, toggle), the level meter,
the banner, the chat view, the bridge's threading, shortcuts, tray menu, geometry."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeySequence

from desktop_assistant.assistant.events import (
    RecordingStarted,
    RecordingStopped,
    ReplyDelta,
    ReplyStarted,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
    TurnTimings,
)
from desktop_assistant.errors import UserFacingError
from desktop_assistant.ui.bridge import SIGNAL_FOR, EngineBridge
from desktop_assistant.ui.chat_view import ChatView, breakdown, headline_ms
from desktop_assistant.ui.level_meter import LevelMeter, fraction
from desktop_assistant.ui.ptt_button import PushToTalkButton, parse_key
from tests.support.stand_in_engine import StandInEngine

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _no_taps(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests click keys (press and release at once): here that is a hold, not a tap
    (taps are tests/gui/test_gui_ptt_states.py's)."""
    monkeypatch.setattr("desktop_assistant.ui.main_window.TAP_S", 0.0)


def wait_calls(qtbot: Any, fake: Any, names: list[str]) -> None:
    qtbot.waitUntil(lambda: fake.names() == names, timeout=3000)


# ---------------------------------------------------------------- push to talk


def test_hold_button_with_the_mouse_records_while_held(qtbot: Any) -> None:
    button = PushToTalkButton("hold")
    qtbot.addWidget(button)
    events: list[str] = []
    button.talk_started.connect(lambda: events.append("start"))
    button.talk_ended.connect(lambda: events.append("end"))
    qtbot.mousePress(button, Qt.MouseButton.LeftButton)
    assert events == ["start"] and button.active
    assert "Listening" not in button.text()  # not before the engine says the microphone is on
    button.set_listening(True)
    assert "release" in button.text()
    qtbot.mouseRelease(button, Qt.MouseButton.LeftButton)
    assert events == ["start", "end"] and not button.active


def test_toggle_mode_click_starts_and_click_stops(qtbot: Any) -> None:
    button = PushToTalkButton("toggle")
    qtbot.addWidget(button)
    events: list[str] = []
    button.talk_started.connect(lambda: events.append("start"))
    button.talk_ended.connect(lambda: events.append("end"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert events == ["start"]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert events == ["start", "end"]


def test_parse_key_names() -> None:
    assert parse_key("Space") == Qt.Key.Key_Space
    assert parse_key("F9") == Qt.Key.Key_F9
    assert parse_key("") == Qt.Key.Key_Space


def test_space_held_in_the_window_talks_but_not_in_the_text_box(qtbot: Any, fake_window: Any) -> None:
    w, fake = fake_window, fake_window.fake
    w.chat.setFocus()
    qtbot.keyPress(w.chat, Qt.Key.Key_Space)
    qtbot.keyPress(w.chat, Qt.Key.Key_Space)  # a second press while held is ignored
    assert w.ptt.active
    qtbot.keyRelease(w.chat, Qt.Key.Key_Space)
    wait_calls(qtbot, fake, ["push_to_talk_pressed", "push_to_talk_released"])
    # In the text box, Space types a space.
    w.text_box.setFocus()
    qtbot.keyClicks(w.text_box, "a b")
    assert w.text_box.text() == "a b"
    assert fake.names() == ["push_to_talk_pressed", "push_to_talk_released"]


def test_space_on_a_focused_button_or_message_talks_instead_of_clicking(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.chat.add_message("assistant", "a reply you could select")
    for widget in (w.new_button, w.chat.bubbles[-1].body):
        qtbot.keyPress(widget, Qt.Key.Key_Space)
        assert w.ptt.active
        qtbot.keyRelease(widget, Qt.Key.Key_Space)
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "push_to_talk_released"] * 2)
    assert "new_conversation" not in w.fake.names()


def test_auto_repeat_is_one_hold(qtbot: Any, fake_window: Any) -> None:
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    w = fake_window
    press = QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ", False)
    repeat = QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ", True)
    repeat_release = QKeyEvent(
        QKeyEvent.Type.KeyRelease, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ", True
    )
    release = QKeyEvent(
        QKeyEvent.Type.KeyRelease, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ", False
    )
    for event in (press, repeat_release, repeat, repeat_release, repeat):
        QApplication.sendEvent(w.chat, event)
    assert w.ptt.active
    QApplication.sendEvent(w.chat, release)
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "push_to_talk_released"])


def test_configured_key_and_toggle_mode_apply_without_restart(qtbot: Any, fake_window: Any) -> None:
    from desktop_assistant.ui.preferences import save_settings

    w = fake_window
    save_settings(w.app, {"ptt_key": "F9", "ptt_mode": "toggle"})
    assert w.ptt.mode == "toggle"
    w.chat.setFocus()
    qtbot.keyClick(w.chat, Qt.Key.Key_Space)
    assert not w.ptt.active  # Space is no longer the key
    qtbot.keyClick(w.chat, Qt.Key.Key_F9)
    assert w.ptt.active
    qtbot.keyClick(w.chat, Qt.Key.Key_F9)
    assert not w.ptt.active
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "push_to_talk_released"])


# ---------------------------------------------------------------- commands and shortcuts


def test_typing_enter_sends_the_text(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    qtbot.keyClicks(w.text_box, "hello there")
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ("send_text", ("hello there",)) in w.fake.calls, timeout=3000)
    assert w.text_box.text() == ""


def test_shortcuts_escape_stops_and_ctrl_n_starts_a_new_conversation(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.chat.add_message("user", "old")
    assert QKeySequence("Esc") in w.stop_action.shortcuts()
    w.stop_action.trigger()
    w.new_action.trigger()
    qtbot.waitUntil(lambda: set(w.fake.names()) == {"stop", "new_conversation"}, timeout=3000)
    assert w.chat.messages() == []
    assert [
        a.shortcut().toString() for a in (w.new_action, w.find_action, w.settings_action, w.quit_action)
    ] == ["Ctrl+N", "Ctrl+F", "Ctrl+,", "Ctrl+Q"]


def test_agent_picker_switches_and_persists(qtbot: Any, fake_window: Any, gui_app: Any) -> None:
    from desktop_assistant.config import read_settings_file

    w = fake_window
    index = w.agent_box.findData("tutor")
    assert index > 0
    w.agent_box.setCurrentIndex(index)
    qtbot.waitUntil(lambda: ("set_agent", ("tutor",)) in w.fake.calls, timeout=3000)
    qtbot.waitUntil(lambda: gui_app.settings.agent == "tutor", timeout=5000)  # saved off the GUI thread
    assert read_settings_file(gui_app.paths.settings_file)["agent"] == "tutor"


def test_controls_have_accessible_names(fake_window: Any) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

    w = fake_window
    unnamed = [
        c.text() if hasattr(c, "text") else type(c).__name__
        for c in w.findChildren(QAbstractButton) + w.findChildren(QComboBox) + w.findChildren(QLineEdit)
        if c.isVisibleTo(w) and not c.accessibleName() and not getattr(c, "text", lambda: "")()
    ]
    assert unnamed == []
    assert w.ptt.accessibleName() == "" and w.ptt.text() == "Hold to talk"  # named by what it shows


# ---------------------------------------------------------------- rendering events


def test_events_render_states_stream_and_latency(qtbot: Any, fake_window: Any) -> None:
    w, bridge = fake_window, fake_window.bridge
    states: list[str] = []
    w.state_changed.connect(states.append)
    bridge.post(RecordingStarted(1))
    qtbot.waitUntil(lambda: w.state == "listening", timeout=2000)
    bridge.post(TranscriptReady(1, "what time is it", 120.0))
    bridge.post(ReplyStarted(1, 1, 2, "assistant"))
    for piece in ("It is ", "noon."):
        bridge.post(ReplyDelta(1, piece, ""))
    qtbot.waitUntil(lambda: w.chat.reply is not None and w.chat.reply.text == "It is noon.", timeout=2000)
    bridge.post(
        TurnFinished(
            1, 1, 2, "It is noon.", "complete", "It is noon.", TurnTimings(120.0, 350.0, 910.0, 2400.0)
        )
    )
    qtbot.waitUntil(lambda: w.state == "ready", timeout=2000)
    assert w.chat.messages() == [
        ("user", "what time is it", "complete"),
        ("assistant", "It is noon.", "complete"),
    ]
    meta = w.chat.bubbles[-1].meta
    assert meta.text() == "speech 0.12 s · first word 0.35 s · voice 0.91 s"
    assert "speech 0.12 s: turning what you said into text" in meta.toolTip()
    assert "voice 0.91 s: from the end of your question to the first sound" in meta.toolTip()
    assert states[:3] == ["listening", "thinking", "thinking"]


def test_failed_turn_marks_the_reply_and_shows_a_banner(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.bridge.post(ReplyStarted(2, 1, 3, "assistant"))
    w.bridge.post(ReplyDelta(2, "Half", "Half"))
    w.bridge.post(
        TurnFailed(
            2, UserFacingError("Groq rejected the API key", "check it in Settings", kind="auth"), 1, 3, "Half"
        )
    )
    qtbot.waitUntil(lambda: w.state == "error", timeout=2000)
    assert w.chat.messages()[-1] == ("assistant", "Half", "failed")
    assert "failed" in w.chat.bubbles[-1].meta.text()
    assert w.banner.isVisible() and "rejected" in w.banner.text and w.banner.action_text == "Open Settings"


def test_chat_view_marks_interrupted_and_keeps_text_plain(qtbot: Any) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    view.add_message("user", "<b>not bold</b>")
    view.append_reply("Partial")
    view.finish_reply("interrupted", {"first_audio_ms": 800.0})
    assert view.bubbles[0].body.textFormat() == Qt.TextFormat.PlainText
    assert view.bubbles[0].body.text() == "<b>not bold</b>"
    assert "interrupted" in view.bubbles[1].meta.text()
    flags = view.bubbles[1].body.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByMouse
    assert flags & Qt.TextInteractionFlag.TextSelectableByKeyboard


def test_latency_helpers() -> None:
    assert headline_ms({"first_audio_ms": None, "llm_first_token_ms": 300.0}) == 300.0
    assert headline_ms({}) is None
    assert breakdown({"stt_ms": 250.0, "total_ms": 3000.0}) == (
        "speech 0.25 s: turning what you said into text\ntotal 3.00 s: the whole turn, until the reply was complete"
    )


def test_level_meter_maps_dbfs(qtbot: Any) -> None:
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.set_level(-30.0)
    assert meter.level == pytest.approx(0.5)
    assert fraction(-90) == 0.0 and fraction(3) == 1.0
    meter.show()
    meter.repaint()  # paints without error


# ---------------------------------------------------------------- bridge


def test_bridge_delivers_worker_events_in_order_on_the_gui_thread(qtbot: Any) -> None:
    bridge = EngineBridge()
    seen: list[tuple[str, bool]] = []
    gui_thread = threading.current_thread()
    bridge.reply_delta.connect(lambda e: seen.append((e.text, threading.current_thread() is gui_thread)))

    def worker() -> None:
        for i in range(200):
            bridge.post(ReplyDelta(1, str(i), ""))

    threads = [threading.Thread(target=worker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    qtbot.waitUntil(lambda: len(seen) == 200, timeout=3000)
    assert [text for text, _ in seen] == [str(i) for i in range(200)]
    assert all(on_gui for _, on_gui in seen)
    bridge.close()
    bridge.post(ReplyDelta(1, "late", ""))
    # posted events are delivered in order: once a later one through an open bridge has arrived,
    # "late" would have arrived before it
    later = EngineBridge()
    marks: list[object] = []
    later.any_event.connect(marks.append)
    later.post(ReplyDelta(1, "mark", ""))
    qtbot.waitUntil(lambda: bool(marks), timeout=3000)
    later.close()
    assert len(seen) == 200


def test_bridge_coalesces_levels(qtbot: Any) -> None:
    bridge = EngineBridge()
    levels: list[float] = []
    bridge.level.connect(levels.append)
    bridge.post(RecordingStarted(1))  # levels flow only while recording
    for value in range(-60, 0):
        bridge.post_level(float(value))
    qtbot.waitUntil(lambda: levels != [], timeout=1000)
    assert levels == [-1.0]
    bridge.close()


def test_a_barged_in_turn_ending_late_does_not_freeze_the_new_recordings_meter(qtbot: Any) -> None:
    """Turn 1 speaks, the user holds the key (turn 2 records), and only then does turn 1 report
    its end: the meter must keep moving for turn 2; turn 2's own stop ends it."""
    bridge = EngineBridge()
    levels: list[float] = []
    bridge.level.connect(levels.append)
    ended: list[object] = []
    bridge.any_event.connect(ended.append)
    bridge.post(RecordingStarted(2))
    bridge.post(TurnFinished(1, 1, 1, "Once upon", "interrupted", "", TurnTimings()))  # the barged-in turn, late
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=3000)
    bridge.post_level(-20.0)
    qtbot.waitUntil(lambda: levels == [-20.0], timeout=1000)
    bridge.post(RecordingStopped(2, 1.0))
    qtbot.waitUntil(lambda: len(ended) == 3, timeout=3000)
    assert not bridge._level_timer.isActive()  # turn 2's own stop ends its levels
    assert levels == [-20.0]
    bridge.close()


def test_every_engine_event_type_has_its_signal() -> None:
    import inspect

    from desktop_assistant.assistant import events

    kinds = {cls for _, cls in inspect.getmembers(events, inspect.isclass)
             if issubclass(cls, events.Event) and cls is not events.Event}
    assert set(SIGNAL_FOR) == kinds, f"unmapped: {kinds - set(SIGNAL_FOR)}"
    assert all(isinstance(getattr(EngineBridge, name), Signal) for name in SIGNAL_FOR.values())
    assert len(set(SIGNAL_FOR.values())) == len(SIGNAL_FOR)


def test_an_unmapped_event_is_an_error_not_a_silent_drop(qtbot: Any, caplog: pytest.LogCaptureFixture) -> None:
    from dataclasses import dataclass

    from desktop_assistant.assistant.events import Event

    @dataclass(frozen=True)
    class SomethingNew(Event):
        pass

    bridge = EngineBridge()
    seen: list[Any] = []
    bridge.any_event.connect(seen.append)
    bridge.post(SomethingNew(1))
    bridge.post(TranscriptReady(1, "x", 1.0))
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=3000)
    assert isinstance(seen[0], TranscriptReady)
    assert "engine event without a signal: SomethingNew" in caplog.text
    bridge.close()


# ---------------------------------------------------------------- desktop conventions


def test_tray_menu_actions(qtbot: Any, fake_window: Any) -> None:
    from desktop_assistant.ui.tray import tray_menu

    w = fake_window
    menu = tray_menu(w)
    actions = {a.text(): a for a in menu.actions()}
    assert list(actions) == ["Talk", "Show/Hide", "New conversation", "Quit"]
    actions["Show/Hide"].trigger()
    assert not w.isVisible()
    actions["Show/Hide"].trigger()
    assert w.isVisible()
    actions["New conversation"].trigger()
    qtbot.waitUntil(lambda: "new_conversation" in w.fake.names(), timeout=3000)


def test_window_geometry_is_remembered(qtbot: Any, gui_app: Any) -> None:
    from desktop_assistant.ui.application import build_main_window

    first = build_main_window(gui_app, lambda app, bridge: StandInEngine())
    qtbot.addWidget(first)
    first.show()
    first.resize(612, 433)
    first.move(QPoint(37, 41))
    first.close()
    second = build_main_window(gui_app, lambda app, bridge: StandInEngine())
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (612, 433)
    second.close()


def test_close_shuts_the_engine_down_in_order(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.close()
    assert w.fake.names()[-2:] == ["stop", "close"]
    assert w.bridge.closed


def test_model_download_progress_and_cancel_keep_the_window_usable(qtbot: Any, fake_window: Any) -> None:
    from desktop_assistant.speech.transcript import ModelStatus

    w = fake_window
    w.bridge.post_model_status(ModelStatus("base", "download", "downloading", 0.42, "downloading base"))
    qtbot.waitUntil(lambda: w.status.progress.isVisibleTo(w), timeout=2000)
    assert w.status.model.text() == "Speech: base, downloading 42 %"
    assert w.status.progress.value() == 42 and w.status.cancel.isVisibleTo(w)
    assert w.text_box.isEnabled() and w.ptt.isEnabled()  # usable meanwhile
    w.status.cancel.click()
    wait_calls(qtbot, w.fake, ["cancel_download"])
    w.bridge.post_model_status(ModelStatus("tiny.en", "embedded", "ready", None, "model ready"))
    qtbot.waitUntil(lambda: not w.status.progress.isVisibleTo(w), timeout=2000)
    assert w.status.model.text() == "Speech: tiny.en, embedded"


def test_offline_voice_notice_is_a_banner_not_a_dialog(qtbot: Any, fake_window: Any) -> None:
    from desktop_assistant.assistant.events import Notice

    w = fake_window
    w.bridge.post(Notice(3, "offline_voice", "Offline — speaking with the offline voice"))
    qtbot.waitUntil(lambda: w.banner.kind == "offline_voice", timeout=2000)
    assert w.banner.isVisible() and w.banner.text == "Offline — speaking with the offline voice"
    from PySide6.QtWidgets import QApplication

    assert QApplication.activeModalWidget() is None


def test_losing_focus_while_holding_the_key_ends_the_recording(
    qtbot: Any, fake_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QEvent

    w = fake_window
    qtbot.keyPress(w.chat, Qt.Key.Key_Space)
    assert w.ptt.active
    monkeypatch.setattr(w, "isActiveWindow", lambda: False)  # another window took the focus
    w.changeEvent(QEvent(QEvent.Type.ActivationChange))
    assert not w.ptt.active
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "push_to_talk_released"])


def test_a_stop_before_the_reply_is_quiet_and_no_speech_is_a_hint(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.banner.clear()  # (the no-key warning of this key-less app)
    w.bridge.post(RecordingStarted(4))
    w.bridge.post(TurnFailed(4, UserFacingError("Stopped", kind="cancelled")))
    qtbot.waitUntil(lambda: w.state == "ready", timeout=2000)
    assert not w.banner.isVisible() and w.chat.messages() == []
    w.bridge.post(
        TurnFailed(
            5, UserFacingError("I didn't hear anything", "hold the button while you speak", kind="no_speech")
        )
    )
    qtbot.waitUntil(lambda: w.banner.kind == "no_speech", timeout=2000)
    assert w.state == "ready" and "hold the button" in w.banner.text
    qtbot.mousePress(w.ptt, Qt.MouseButton.LeftButton)  # trying again clears the hint
    assert not w.banner.isVisible()
    qtbot.mouseRelease(w.ptt, Qt.MouseButton.LeftButton)


def test_chat_follows_new_text_unless_the_user_scrolled_up(qtbot: Any) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(400, 200)
    view.show()
    for i in range(30):
        view.add_message("user" if i % 2 else "assistant", f"message {i}")
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=2000)
    bar.setValue(0)  # the user reads an older message
    grown_from = bar.maximum()
    view.append_reply("new words\n" * 5)
    # the view follows the end when its range grows (rangeChanged): once it has grown, it did not
    qtbot.waitUntil(lambda: bar.maximum() > grown_from, timeout=2000)
    assert bar.value() == 0
    bar.setValue(bar.maximum())
    view.append_reply(" and more\n" * 5)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=2000)


# ---------------------------------------------------------------- the first frame's widgets (issue 6)


def test_bridge_queues_posts_from_the_gui_thread_too_in_order(qtbot: Any) -> None:
    bridge = EngineBridge()
    seen: list[str] = []
    bridge.reply_delta.connect(lambda e: seen.append(e.text))
    bridge.post(ReplyDelta(1, "a", ""))
    assert seen == []  # queued: never delivered inside post(), even on the GUI thread
    worker = threading.Thread(target=lambda: bridge.post(ReplyDelta(1, "b", "")))
    worker.start()
    worker.join()
    bridge.post(ReplyDelta(1, "c", ""))
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=2000)
    assert seen == ["a", "b", "c"]
    bridge.close()


def test_first_frame_widgets_keep_their_behaviour_without_qt_enums(qtbot: Any, fake_window: Any) -> None:
    # Set by Qt defaults and the style sheet (`qproperty-`) instead of Qt.* enums in the code.
    w = fake_window
    assert w.ptt.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert w.chat.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert w.chat._placeholder.alignment() == Qt.AlignmentFlag.AlignCenter
    w.banner.show_problem("Something to copy", None, "")
    assert w.banner._text.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse


def test_level_meter_paints_the_bar_over_the_style_sheet_trough(qtbot: Any) -> None:
    from desktop_assistant.ui.application import qt_application

    qt_application()  # the trough comes from the app's style sheet
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.resize(200, 12)
    meter.show()
    empty = meter.grab().toImage()
    meter.set_level(-30)  # half way
    full = meter.grab().toImage()
    bar = meter.palette().color(meter.palette().ColorRole.Highlight)
    assert full.pixelColor(50, 6) == bar and empty.pixelColor(50, 6) != bar
    assert full.pixelColor(150, 6) == empty.pixelColor(150, 6) != bar  # past the level: trough
    assert empty.pixelColor(0, 6) != empty.pixelColor(100, 6)  # a border around the trough
