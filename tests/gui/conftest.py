"""GUI test fixtures: the App in a temp home, the main window around a recording
fake assistant (unit tests of the widgets), and helpers to wait on the GUI."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from desktop_assistant.app import App


class RecordingAssistant:
    """Records the commands the window sends (for widget unit tests only)."""

    def __init__(self, bridge: Any) -> None:
        self.bridge = bridge
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.called = threading.Condition()
        self.speak = True

    def _record(self, name: str, *args: Any) -> None:
        with self.called:
            self.calls.append((name, args))
            self.called.notify_all()

    def names(self) -> list[str]:
        with self.called:
            return [name for name, _ in self.calls]

    def push_to_talk_pressed(self) -> None:
        self._record("push_to_talk_pressed")

    def push_to_talk_released(self) -> None:
        self._record("push_to_talk_released")

    def send_text(self, text: str) -> None:
        self._record("send_text", text)

    def stop(self) -> None:
        self._record("stop")

    def new_conversation(self) -> None:
        self._record("new_conversation")

    def set_agent(self, agent_id: str) -> None:
        self._record("set_agent", agent_id)

    def close(self, timeout: float = 5.0) -> None:
        self._record("close")


@pytest.fixture
def gui_app(app_home: Any) -> Iterator[App]:
    app = App.create(console_log=False)
    yield app
    app.close()


@pytest.fixture
def fake_window(qtbot: Any, gui_app: App) -> Iterator[Any]:
    """The real main window; the engine behind it is a RecordingAssistant."""
    from desktop_assistant.ui.application import build_main_window, qt_application

    qt_application()
    holder: dict[str, RecordingAssistant] = {}

    def build(app: Any, bridge: Any) -> RecordingAssistant:
        holder["assistant"] = RecordingAssistant(bridge)
        return holder["assistant"]

    window = build_main_window(gui_app, build)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.engine.ready, timeout=5000)
    window.fake = holder["assistant"]
    yield window
    window.close()
