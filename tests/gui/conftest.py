"""GUI test fixtures: the App in a temp home, the main window around a recording
fake assistant (unit tests of the widgets), and helpers to wait on the GUI."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from desktop_assistant.app import App
from tests.support.stand_in_engine import StandInEngine


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

    def cancel_recording(self, reason: str = "tap") -> None:
        self._record("cancel_recording", reason)

    def new_conversation(self) -> None:
        self._record("new_conversation")

    def set_agent(self, agent_id: str) -> None:
        self._record("set_agent", agent_id)

    def cancel_download(self) -> None:
        self._record("cancel_download")

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

    def build(app: Any, bridge: Any) -> StandInEngine:
        holder["assistant"] = RecordingAssistant(bridge)
        return StandInEngine(holder["assistant"])

    window = build_main_window(gui_app, build)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.engine_state == "ready", timeout=5000)
    window.fake = holder["assistant"]
    yield window
    window.close()


# ---------------------------------------------------------------- the real engine


@pytest.fixture
def engine_window(
    qtbot: Any,
    app_home: Any,
    monkeypatch: pytest.MonkeyPatch,
    groq_server: Any,
    tts_server: Any,
    transcriber: Any,
) -> Iterator[Any]:
    """`engine_window(key=..., stream_factory=..., input_device=...)` → the main window around the REAL
    engine: real recorder (a fake stream when `stream_factory` is given, else the PulseAudio null
    sink), the shared real tiny.en, the loopback Groq and TTS servers, a real SQLite history."""
    from desktop_assistant.ui.application import build_main_window, qt_application
    from desktop_assistant.ui.controller import build_engine

    qt_application()
    made: list[tuple[Any, App]] = []

    def make(
        key: str | None = "gsk_loopbacktestkey0123456789", stream_factory: Any = None, **env: str
    ) -> Any:
        if key:
            monkeypatch.setenv("GROQ_API_KEY", key)
        monkeypatch.setenv("GROQ_BASE_URL", groq_server.base_url)
        monkeypatch.setenv("TTS_ENGINE", "gtts")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app = App.create(console_log=False)

        def build(app: App, bridge: Any) -> Any:
            transcriber.on_status = bridge.post_model_status
            bridge.post_model_status(transcriber.status)
            given: dict[str, Any] = {"transcriber": transcriber}  # shared: not closed per test
            if stream_factory is not None:
                from desktop_assistant.audio.recorder import Recorder

                recorder = Recorder(device=None, on_level=bridge.post_level, stream_factory=stream_factory)
                app.part("test-recorder", lambda: recorder, lambda r: r.close())
                given["recorder"] = recorder
            return build_engine(app, bridge, gtts_endpoint=tts_server.url, given=given)

        window = build_main_window(app, build)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.engine_state != "starting", timeout=20000)
        assert window.engine.assistant is not None, window.engine.error
        made.append((window, app))
        return window

    yield make
    for window, app in made:
        window.close()
        app.close()
    transcriber.on_status = None
