"""Settings polish (issue 12): the sound server's device names (and recording from the one
chosen), where the key comes from, a key test against the loopback Groq server, the key field
focused when the key banner opens Settings, the data folder's path when no file manager opens
it, and Apply saying that it applied."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox

from desktop_assistant.app import App
from desktop_assistant.keystore import KeyStore
from desktop_assistant.paths import Paths
from tests.gui.conftest import RecordingAssistant
from tests.support.groq_server import MODELS_PATH, GroqBehaviour, closed_port_url

pytestmark = pytest.mark.gui

KEY = "gsk_polishtestkey0123456789"


@pytest.fixture
def window_with(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`window_with(**env)`: the real main window (a recording fake engine) in an App created
    with `env` set, as a start from a shell that exports it would be."""
    from desktop_assistant.ui.application import build_main_window, qt_application

    qt_application()
    made: list[tuple[Any, App]] = []

    def make(**env: str) -> Any:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app = App.create(console_log=False)
        window = build_main_window(app, lambda app, bridge: RecordingAssistant(bridge))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.engine_state == "ready", timeout=5000)
        made.append((window, app))
        return window

    yield make
    for window, app in made:
        window.close()
        app.close()


def _type_key(qtbot: Any, dialog: Any, key: str) -> None:
    dialog.api_key.clear()
    qtbot.keyClicks(dialog.api_key, key)


# ---------------------------------------------------------------- the key


def test_environment_key_is_named_as_overriding_the_field(qtbot: Any, window_with: Any) -> None:
    stored = KeyStore.for_paths(Paths.from_env().ensure())
    stored.set("gsk_storedkey000000000000")
    w = window_with(GROQ_API_KEY="gsk_fromenvironment0000000")
    dialog = w.open_settings()
    qtbot.waitUntil(lambda: "kept in" in dialog.key_where.text(), timeout=10000)
    assert dialog.key_where.text().startswith("From GROQ_API_KEY — overrides this field.")
    assert str(stored.file) in dialog.key_where.text()
    assert dialog.api_key.text() == "gsk_storedkey000000000000"  # the field edits the stored key
    _type_key(qtbot, dialog, KEY)
    assert dialog.apply()
    assert stored.get() == KEY
    assert w.app.settings.groq_api_key == "gsk_fromenvironment0000000"  # the environment still wins
    dialog.close()


def test_stored_key_is_named_with_its_file(qtbot: Any, window_with: Any) -> None:
    w = window_with()
    dialog = w.open_settings()
    qtbot.waitUntil(lambda: dialog.key_where.text().startswith("Not set yet"), timeout=10000)
    _type_key(qtbot, dialog, KEY)
    assert dialog.apply()
    dialog = w.open_settings()
    qtbot.waitUntil(lambda: dialog.key_where.text().startswith("Stored in"), timeout=10000)
    assert str(KeyStore.for_paths(w.app.paths).file) in dialog.key_where.text()
    assert "GROQ_API_KEY" not in dialog.key_where.text()
    assert "console.groq.com/keys" in dialog.get_key.text()  # where to get one
    dialog.close()


def test_test_key_works_rejected_and_unreachable_against_the_loopback_groq(
    qtbot: Any, window_with: Any, groq_server: Any
) -> None:
    w = window_with(GROQ_BASE_URL=groq_server.base_url)
    dialog = w.open_settings()
    _type_key(qtbot, dialog, KEY)

    def test() -> str:
        qtbot.mouseClick(dialog.test_key, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.test_key.isEnabled(), timeout=20000)
        return dialog.key_test_state.text()

    assert test() == "Key works."
    asked = [r for r in groq_server.received if r.path == MODELS_PATH]
    assert len(asked) == 1 and asked[0].headers["authorization"] == f"Bearer {KEY}"
    groq_server.queue.append(GroqBehaviour(status=401, error_message="Invalid API Key"))
    assert test().startswith("Groq rejected this key")
    w.app.apply_settings(replace(w.app.settings, groq_base_url=closed_port_url()))
    assert test().startswith("Cannot reach Groq")
    assert w.app.settings.groq_api_key is None  # testing stores nothing
    log = w.app.paths.log_file.read_text()
    assert "settings: key test: works" in log and "settings: key test: rejected" in log
    assert KEY not in log
    dialog.close()


def test_key_banner_opens_settings_on_the_key_field_focused(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    dialog = w.open_settings()
    dialog.tabs.setCurrentIndex(2)  # the user left Settings on the Audio page
    dialog.mic_button.setFocus()
    dialog.close()
    assert w.banner.isVisible() and w.banner.kind == "no_key"
    qtbot.mouseClick(w.banner._action, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.tabs.currentIndex() == 0
    assert dialog.focusWidget() is dialog.api_key
    qtbot.waitUntil(dialog.api_key.hasFocus, timeout=5000)
    dialog.close()


# ---------------------------------------------------------------- data folder, Apply


def test_open_data_folder_without_a_file_manager_shows_the_path_to_copy(
    qtbot: Any, fake_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    def no_file_manager(url: Any) -> bool:  # what Qt answers when xdg-open has no handler
        opened.append(url.toLocalFile())
        return False

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(no_file_manager))
    dialog = fake_window.open_settings()
    assert not dialog.data_path.isVisibleTo(dialog)
    qtbot.mouseClick(_button(dialog, "Open data folder"), Qt.MouseButton.LeftButton)
    folder = str(fake_window.app.paths.data_dir)
    assert opened == [folder]
    assert dialog.data_path.isVisibleTo(dialog) and dialog.data_path.text() == folder
    qtbot.mouseClick(dialog.copy_path, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == folder
    dialog.close()


def _button(dialog: Any, text: str) -> Any:
    from PySide6.QtWidgets import QPushButton

    found = [b for b in dialog.findChildren(QPushButton) if b.text() == text]
    assert len(found) == 1, [b.text() for b in dialog.findChildren(QPushButton)]
    return found[0]


def test_apply_says_it_saved_and_applied(qtbot: Any, fake_window: Any) -> None:
    dialog = fake_window.open_settings()
    assert not dialog.notice.isVisibleTo(dialog)
    dialog.temperature.setValue(0.4)
    apply = dialog.buttons.button(QDialogButtonBox.StandardButton.Apply)
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    assert fake_window.app.settings.llm_temperature == 0.4
    assert dialog.notice.isVisibleTo(dialog) and dialog.notice.text() == "Settings saved and applied."
    dialog.close()


# ---------------------------------------------------------------- devices (the PulseAudio null sinks)


@pytest.fixture
def other_sink() -> Iterator[str]:
    """A second null sink, "Other Sink", next to test-env.sh's "Virtual" (removed afterwards)."""
    from tests.support.audio import pulse_available

    assert pulse_available(), "run inside scripts/test-env.sh (make test)"
    module = subprocess.run(
        ["pactl", "load-module", "module-null-sink", "sink_name=othersink", "rate=48000",
         "sink_properties=device.description=Other-Sink"],
        capture_output=True, text=True, check=True, timeout=10,
    ).stdout.strip()
    try:
        yield "othersink"
    finally:
        subprocess.run(["pactl", "unload-module", module], check=False, timeout=10)


@pytest.mark.audio
def test_device_pickers_show_server_names_and_the_choice_records(
    qtbot: Any, fake_window: Any, other_sink: str
) -> None:
    from desktop_assistant.audio.recorder import Recorder
    from tests.support.audio import FIXTURES

    dialog = fake_window.open_settings()
    qtbot.waitUntil(lambda: dialog.input_device.count() > 2, timeout=15000)
    inputs = [dialog.input_device.itemText(i) for i in range(dialog.input_device.count())]
    outputs = [dialog.output_device.itemText(i) for i in range(dialog.output_device.count())]
    assert "Monitor of Virtual (default)" in inputs and "Monitor of Other-Sink" in inputs, inputs
    assert "Virtual (default)" in outputs and "Other-Sink" in outputs, outputs
    assert not {"pulse", "default"} & {t.removesuffix(" (default)") for t in inputs + outputs}
    dialog.input_device.setCurrentIndex(inputs.index("Monitor of Other-Sink"))
    dialog.output_device.setCurrentIndex(outputs.index("Other-Sink"))
    assert dialog.apply()
    settings = fake_window.app.settings
    assert (settings.input_device, settings.output_device) == (f"pulse:{other_sink}.monitor", f"pulse:{other_sink}")

    # The stored setting opens that source: sound played into the other sink only is heard.
    peaks: list[float] = []
    recorder = Recorder(device=settings.input_device, on_level=peaks.append)
    recorder.start()
    try:
        player = subprocess.Popen(["paplay", f"--device={other_sink}", str(FIXTURES / "fox.wav")])
        deadline = time.monotonic() + 15
        while not (peaks and max(peaks) > -35) and time.monotonic() < deadline:
            time.sleep(0.05)
        player.wait(15)
    finally:
        clip = recorder.stop()
    assert peaks and max(peaks) > -35, f"nothing heard from {settings.input_device}: {max(peaks, default=None)}"
    assert clip.duration_s > 0.5
    dialog.close()
