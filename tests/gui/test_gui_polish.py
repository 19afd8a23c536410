"""Visual polish (issue 12): the talk button keeps its size and shows a microphone, Mute
shows its state however it was set, and "Thinking…" moves only while the engine thinks."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from support.contrast import background_of, pixels

pytestmark = pytest.mark.gui


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def test_the_talk_button_keeps_its_size_and_place_while_listening(fake_window: Any) -> None:
    ptt, label = fake_window.ptt, fake_window.state_label
    _settle()
    idle = (ptt.geometry(), label.geometry(), ptt.text())
    from desktop_assistant.assistant.events import RecordingStarted

    fake_window._on_recording_started(RecordingStarted(1))  # the engine says the microphone is on
    _settle()
    listening = (ptt.geometry(), label.geometry(), ptt.text())
    assert idle[2] != listening[2]  # the label did change ("Listening…\nrelease to send")
    assert listening[:2] == idle[:2], f"layout jumped: {idle[:2]} -> {listening[:2]}"
    assert not ptt.icon().isNull()  # the microphone glyph (a picture: no font needed)


def test_mute_shows_its_state_when_clicked_and_when_set_from_settings(qtbot: Any, fake_window: Any) -> None:
    from PySide6.QtCore import Qt

    mute = fake_window.mute_button

    def look() -> tuple[str, str, tuple[int, int, int]]:
        _settle()
        image = pixels(mute.grab().toImage())
        return mute.text(), mute.toolTip(), background_of(image[4:-4, 4:-4])

    off = look()
    qtbot.mouseClick(mute, Qt.MouseButton.LeftButton)
    clicked = look()
    assert mute.isChecked() and "muted" in clicked[0].lower() and "muted" in clicked[1].lower()
    assert clicked[0] != off[0] and clicked[1] != off[1] and clicked[2] != off[2]  # text, tooltip, fill
    qtbot.mouseClick(mute, Qt.MouseButton.LeftButton)
    assert look() == off
    qtbot.waitUntil(lambda: not fake_window.settings_writer.busy, timeout=5000)  # the clicks' saves are applied
    blocked = mute.blockSignals(True)  # as the window does when Settings turns muting on
    mute.setChecked(True)
    mute.blockSignals(blocked)
    assert look() == clicked
    assert mute.accessibleName() == mute.text()


def test_thinking_is_animated_only_while_thinking(qtbot: Any, fake_window: Any) -> None:
    label = fake_window.state_label
    fake_window._set_state("thinking")
    assert label.text() == "Thinking…"  # what is read (and tested elsewhere) stays the same
    seen = set()

    def frames() -> bool:
        seen.add(pixels(label.grab().toImage()).tobytes())
        return len(seen) >= 3

    qtbot.waitUntil(frames, timeout=5000)  # the dots move: three different pictures
    assert label.animating
    fake_window._set_state("ready")
    assert not label.animating  # no timer left running
    assert label.text() == "Ready"
