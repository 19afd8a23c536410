"""Start-up order (issue 6): the first frame is built from what it needs only; the agents,
the stored key, the shortcuts, the key filter and the tray come just after it, off the
GUI thread where they block, and the window is fully usable once they have."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from desktop_assistant.app import App
from tests.support.stand_in_engine import StandInAssistant, StandInEngine

pytestmark = pytest.mark.gui

KEY = "stored-key-for-the-gui-test-0123"  # not gsk_-shaped: redacted only once registered

# Runs in a child process: this one has long since created every PySide type and enum.
FIRST_FRAME = """
import json, sys
import PySide6.QtCore as QtCore
from desktop_assistant.app import App
from desktop_assistant.ui.application import build_main_window, qt_application
from tests.support.stand_in_engine import StandInEngine

app = App.create(console_log=False)
qapp = qt_application()
window = build_main_window(app, lambda app, bridge: StandInEngine())
window.show()
qapp.processEvents()
at_first_frame = {
    "qt_namespace": "Qt" in vars(QtCore),
    "yaml": "yaml" in sys.modules,
    "agents_loaded": app.agents_loaded,
    "shortcuts": len(window.actions()),
}
done = []
window.bridge.engine_ready.connect(lambda _: (done.append(1), qapp.quit()))
QtCore.QTimer.singleShot(10000, qapp.quit)
qapp.exec()
print(json.dumps({
    "first_frame": at_first_frame,
    "ready": bool(done),
    "qt_namespace": "Qt" in vars(QtCore),
    "agents": window.agent_box.count(),
    "shortcuts": len(window.actions()),
}))
window.shutdown()
app.close()
"""


def test_the_first_frame_parses_no_yaml_and_creates_no_qt_namespace(app_home: Path) -> None:
    # PySide6 builds all 93 enums of the `Qt` namespace (~1200 members) on its first use: ~13 ms,
    # a tenth of the start-up. The window's first frame does without; what uses it comes after.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    first_frame = {"qt_namespace": False, "yaml": False, "agents_loaded": False, "shortcuts": 0}
    assert result["first_frame"] == first_frame
    assert result["ready"] and result["qt_namespace"]  # and all of it right after the first frame
    assert result["agents"] >= 3 and result["shortcuts"] == 6  # and F1, the list of them


def test_the_agents_are_parsed_off_the_gui_thread_and_fill_the_picker(
    qtbot: Any, app_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop_assistant.agents as agents_module
    from desktop_assistant.ui.application import build_main_window, qt_application

    loaded_on: list[threading.Thread] = []
    real_load = agents_module.load_agents

    def load(*dirs: Path) -> Any:
        loaded_on.append(threading.current_thread())
        return real_load(*dirs)

    monkeypatch.setattr(agents_module, "load_agents", load)
    app = App.create({"agent": "tutor"}, console_log=False)
    commands: list[str] = []

    class Engine(StandInAssistant):
        def set_agent(self, agent_id: str) -> None:
            commands.append(agent_id)

    qt_application()
    window = build_main_window(app, lambda app, bridge: StandInEngine(Engine()))
    qtbot.addWidget(window)
    try:
        assert not app.agents_loaded and loaded_on == []  # building the window parsed nothing
        assert window.agent_box.count() == 0 and not window.agent_box.isEnabled()
        window.show()
        qtbot.waitUntil(lambda: window.agent_box.isEnabled(), timeout=5000)
        names = [window.agent_box.itemText(i) for i in range(window.agent_box.count())]
        assert names == [agent.name for agent in app.agents.agents.values()] and len(names) >= 3
        assert window.agent_box.currentData() == "tutor"  # the configured agent is the one shown
        assert len(loaded_on) == 1 and loaded_on[0] is not threading.main_thread()
        qtbot.waitUntil(lambda: window.engine_state == "ready", timeout=5000)
        assert commands == []  # filling the picker is not choosing an agent
        window.agent_box.setCurrentIndex(window.agent_box.findData("coder"))
        qtbot.waitUntil(lambda: commands == ["coder"], timeout=3000)
    finally:
        window.close()
        app.close()


def test_the_stored_key_is_read_after_the_window_shows_off_the_gui_thread(
    qtbot: Any, app_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_assistant.keystore import KeyStore
    from desktop_assistant.paths import Paths
    from desktop_assistant.ui.application import build_main_window, qt_application

    KeyStore.for_paths(Paths.from_env().ensure()).set(KEY)  # an isolated home keeps it in a file
    read_on: list[threading.Thread] = []
    real_get = KeyStore.get

    def get(self: KeyStore) -> str | None:
        read_on.append(threading.current_thread())
        return real_get(self)

    monkeypatch.setattr(KeyStore, "get", get)
    app = App.create(console_log=False, read_stored_key=False)  # as the GUI entry point does
    qt_application()
    window = build_main_window(app, lambda app, bridge: StandInEngine())
    qtbot.addWidget(window)
    try:
        assert app.settings.groq_api_key is None and read_on == []
        window.show()
        qtbot.waitUntil(lambda: window.engine_state == "ready", timeout=5000)
        assert app.settings.groq_api_key == KEY
        assert len(read_on) == 1 and read_on[0] is not threading.main_thread()
        assert window.status.network.text() == "Groq: not contacted yet"  # not "no API key"
        assert not (window.banner.isVisible() and window.banner.kind == "no_key")
        import logging

        logging.getLogger("test").warning("the key is %s", KEY)
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert KEY not in app.paths.log_file.read_text()  # registered with the redactor
    finally:
        window.close()
        app.close()


def test_shortcuts_and_the_tray_come_just_after_the_first_frame(
    qtbot: Any, gui_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_assistant.ui import tray
    from desktop_assistant.ui.application import build_main_window, qt_application

    trays: list[Any] = []
    monkeypatch.setattr(tray, "install_tray", lambda window: trays.append(window) or "tray")
    qt_application()
    window = build_main_window(gui_app, lambda app, bridge: StandInEngine())
    qtbot.addWidget(window)
    try:
        assert window.actions() == [] and window.tray is None and trays == []
        with qtbot.waitSignal(window.first_frame_shown, timeout=3000):
            window.show()
        assert [a.text() for a in window.actions()] == [
            "New conversation", "Search history", "Settings", "Stop", "Quit", "Keyboard shortcuts"
        ]
        assert trays == [window] and window.tray == "tray"
        qtbot.waitUntil(lambda: window.engine_state == "ready", timeout=5000)
        window.chat.setFocus()
        from PySide6.QtCore import Qt

        qtbot.keyPress(window.chat, Qt.Key.Key_Space)  # the key filter is on
        assert window.ptt.active
        qtbot.keyRelease(window.chat, Qt.Key.Key_Space)
        assert not window.ptt.active
    finally:
        window.close()


def test_a_window_closed_before_its_first_frame_starts_nothing(qtbot: Any, gui_app: App) -> None:
    from desktop_assistant.ui.application import build_main_window, qt_application

    built: list[Any] = []
    qt_application()
    window = build_main_window(gui_app, lambda app, bridge: built.append(1) or StandInEngine())
    qtbot.addWidget(window)
    window.show()
    window.close()  # before the after-first-frame timer
    qtbot.wait(150)
    assert built == [] and window.actions() == [] and window.engine_state == "starting"
