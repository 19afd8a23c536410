"""SettingsWriter: saves run off the caller's thread, one at a time in the order asked, each applied
back on the thread that runs the posted calls; a save that fails applies nothing and says why; and the
window's toggles compare with the settings as they will be, not as the last finished save left them."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from desktop_assistant.app import App
from desktop_assistant.config import read_settings_file
from desktop_assistant.errors import UserFacingError
from desktop_assistant.ui import preferences
from desktop_assistant.ui.preferences import SettingsWriter

pytestmark = pytest.mark.gui

KEY = "gsk_writertestkey0123456789"


class Posted:
    """Stands in for the bridge: calls posted from the writer's thread, run here when drained."""

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]]] = queue.Queue()

    def post_call(self, fn: Callable[..., Any], *args: Any) -> None:
        self.calls.put((fn, args))

    def run_next(self, timeout: float = 20.0) -> None:
        fn, args = self.calls.get(timeout=timeout)
        fn(*args)


@pytest.fixture
def app(app_home: Any) -> Iterator[App]:
    app = App.create(console_log=False)
    yield app
    app.close()


def test_saves_run_off_the_caller_in_order_and_apply_where_the_posted_calls_run(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    stuck, store = threading.Event(), app.keystore
    real_set = store.set
    threads: list[str] = []

    def hanging_set(key: str | None) -> None:  # a keyring waiting for its unlock prompt
        threads.append(threading.current_thread().name)
        stuck.wait(20)
        real_set(key)

    monkeypatch.setattr(store, "set", hanging_set)
    posted, results = Posted(), []
    writer = SettingsWriter(app, posted.post_call)
    applied: list[tuple[Any, Any]] = []
    app.on_settings_changed(lambda old, new: applied.append((threading.current_thread().name, new)))
    writer.save({"llm_temperature": 0.4, "speech_muted": True}, KEY, results.append)
    writer.save({"speech_muted": False}, done=results.append)  # asked while the first still waits
    assert writer.busy and writer.expected("speech_muted") is False and writer.expected("llm_temperature") == 0.4
    assert app.settings.llm_temperature != 0.4 and results == []  # the caller did not wait
    stuck.set()
    posted.run_next()
    posted.run_next()
    assert threads and threads[0].startswith("gui-settings-write")
    assert [r.speech_muted for r in results] == [True, False]
    assert app.settings.llm_temperature == 0.4 and app.settings.groq_api_key == KEY and not app.settings.speech_muted
    assert [name for name, _ in applied] == [threading.current_thread().name] * 2
    assert read_settings_file(app.paths.settings_file)["speech_muted"] is False
    assert not writer.busy
    writer.close()


def test_a_save_that_fails_applies_nothing_and_says_why(app: App) -> None:
    posted, results = Posted(), []
    writer = SettingsWriter(app, posted.post_call)
    before = app.settings
    writer.save({"llm_temperature": 0.5}, "gsk_not a key", results.append)  # malformed: refused
    posted.run_next()
    assert isinstance(results[0], UserFacingError) and "malformed" in str(results[0]).lower()
    assert app.settings == before and not app.paths.settings_file.exists()
    assert writer.expected("llm_temperature") == before.llm_temperature
    writer.close()


def test_mute_clicked_twice_during_a_slow_save_ends_unmuted(
        qtbot: Any, fake_window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import Qt

    w = fake_window
    gate = threading.Event()
    real_store = preferences.store_settings

    def slow_store(*args: Any, **kw: Any) -> Any:  # a slow disk
        gate.wait(20)
        return real_store(*args, **kw)

    monkeypatch.setattr(preferences, "store_settings", slow_store)
    qtbot.mouseClick(w.mute_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(w.mute_button, Qt.MouseButton.LeftButton)
    assert not w.mute_button.isChecked()
    gate.set()
    qtbot.waitUntil(lambda: not w.settings_writer.busy, timeout=10000)
    assert w.app.settings.speech_muted is False and not w.mute_button.isChecked()
    assert read_settings_file(w.app.paths.settings_file)["speech_muted"] is False
