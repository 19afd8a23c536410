"""Settings as users expect it (issue 12, polish): opened from the key banner it focuses the key
field; the key's real source is named and where to get one is linked; "Open data folder" shows
the path with Copy where no file manager opens it; Apply says it saved."""

from __future__ import annotations

import os
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel

from desktop_assistant.app import App
from desktop_assistant.ui.settings_dialog import SettingsDialog
from tests.gui.gui_helpers import saved

pytestmark = pytest.mark.gui

KEY = "gsk_polishtestkey0123456789abcdef"


def test_open_settings_from_the_key_banner_focuses_the_key_field(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.banner.show_problem("No Groq API key", "Open Settings", "settings", kind="no_key")
    dialog = w.open_settings()
    dialog.tabs.setCurrentIndex(3)  # left on another page last time
    dialog.close()
    w.banner._action.click()
    assert dialog.isVisible()
    assert dialog.tabs.currentIndex() == 0
    assert dialog.focusWidget() is dialog.api_key


def test_open_settings_from_the_microphone_banner_opens_the_audio_page(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    w.banner.show_problem("Microphone unavailable", "Open Settings", "settings", kind="audio")
    w.banner._action.click()
    assert w._settings.isVisible() and w._settings.tabs.tabText(w._settings.tabs.currentIndex()) == "A&udio"


def test_a_key_from_the_environment_is_named_as_overriding_the_field(qtbot: Any, fake_window: Any) -> None:
    app = App.create(env={**os.environ, "GROQ_API_KEY": KEY}, console_log=False)
    try:
        dialog = SettingsDialog(app, fake_window.engine, fake_window.bridge)
        qtbot.addWidget(dialog)
        assert "GROQ_API_KEY" in dialog.key_where.text() and "overrides this field" in dialog.key_where.text()
        assert dialog.key_where.isEnabled()  # readable, not greyed out
    finally:
        dialog.shutdown()
        app.close()


def test_a_stored_key_names_its_store_and_where_to_get_a_key_is_linked(qtbot: Any, fake_window: Any) -> None:
    dialog = fake_window.open_settings()
    assert dialog.key_where.text().startswith("Stored in ")
    links = [label for label in dialog.findChildren(QLabel) if "console.groq.com/keys" in label.text()]
    assert len(links) == 1 and links[0].openExternalLinks()
    assert 'href="https://console.groq.com/keys"' in links[0].text()


def test_apply_confirms_and_an_edit_clears_the_confirmation(qtbot: Any, fake_window: Any) -> None:
    dialog = fake_window.open_settings()
    assert dialog.saved.isHidden()
    dialog.temperature.setValue(0.4)
    assert saved(dialog)
    assert dialog.saved.isVisible()
    qtbot.keyClicks(dialog.api_key, "g")
    assert dialog.saved.isHidden()


def test_data_folder_falls_back_to_its_path_with_copy(
    qtbot: Any, fake_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop_assistant.ui.settings_dialog as module

    opened: list[str] = []

    def no_file_manager(url: Any) -> bool:
        opened.append(url.toLocalFile())
        return False

    monkeypatch.setattr(module.QDesktopServices, "openUrl", staticmethod(no_file_manager))
    dialog = fake_window.open_settings()
    assert dialog.data_path_row.isHidden()
    assert not dialog.open_data_folder()
    path = str(fake_window.app.paths.data_dir)
    assert opened == [path]
    assert dialog.data_path_row.isVisible() and dialog.data_path.text() == path
    dialog.copy_path.click()
    assert QGuiApplication.clipboard().text() == path


def test_data_folder_opened_by_a_file_manager_shows_no_path(
    qtbot: Any, fake_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop_assistant.ui.settings_dialog as module

    monkeypatch.setattr(module.QDesktopServices, "openUrl", staticmethod(lambda _url: True))
    dialog = fake_window.open_settings()
    assert dialog.open_data_folder()
    assert dialog.data_path_row.isHidden()


@pytest.fixture
def loopback_dialog(qtbot: Any, fake_window: Any, groq_server: Any) -> Any:
    """A Settings dialog whose App talks to the loopback Groq server (no key stored)."""
    app = App.create(env={**os.environ, "GROQ_BASE_URL": groq_server.base_url}, console_log=False)
    dialog = SettingsDialog(app, fake_window.engine, fake_window.bridge)
    qtbot.addWidget(dialog)
    yield dialog
    dialog.shutdown()
    app.close()


def test_test_key_asks_groq_with_the_typed_key_and_saves_nothing(
    qtbot: Any, loopback_dialog: Any, groq_server: Any
) -> None:
    dialog = loopback_dialog
    qtbot.keyClicks(dialog.api_key, KEY)
    dialog.test_key_button.click()
    qtbot.waitUntil(lambda: dialog.key_state.text().startswith("✓"), timeout=15000)
    assert dialog.app.settings.llm_model in dialog.key_state.text()
    assert dialog.test_key_button.isEnabled()
    assert [r.headers["authorization"] for r in groq_server.received] == [f"Bearer {KEY}"]
    assert groq_server.received[0].body["max_tokens"] == 1
    assert dialog.app.settings.groq_api_key is None  # tested, not saved
    assert not dialog.app.keystore.file.exists()


def test_test_key_says_when_groq_rejects_the_key(qtbot: Any, loopback_dialog: Any, groq_server: Any) -> None:
    from tests.support.groq_server import GroqBehaviour

    groq_server.default = GroqBehaviour(status=401, error_message="Invalid API Key")
    dialog = loopback_dialog
    qtbot.keyClicks(dialog.api_key, "gsk_wrongkey")
    dialog.test_key_button.click()
    qtbot.waitUntil(lambda: dialog.key_state.text().startswith("✗"), timeout=15000)
    assert "rejected (401)" in dialog.key_state.text()
    qtbot.keyClicks(dialog.api_key, "x")  # an edit: the old verdict goes
    assert dialog.key_state.isHidden()


def test_test_key_without_any_key_says_so(qtbot: Any, loopback_dialog: Any, groq_server: Any) -> None:
    loopback_dialog.test_key_button.click()
    assert loopback_dialog.key_state.text() == "✗ Enter a key first"
    assert groq_server.received == []


def test_opening_settings_leaves_the_agents_to_the_command_thread(qtbot: Any, fake_window: Any) -> None:
    """The dialog shows the agent's language once the agents are parsed; it never parses them itself
    (YAML on the GUI thread, or a wait on the command thread parsing them at start)."""
    app = App.create(console_log=False)  # as at start, before the command thread has read the agents
    try:
        dialog = SettingsDialog(app, fake_window.engine, fake_window.bridge)
        qtbot.addWidget(dialog)
        assert not app.agents_loaded and dialog.language.text().startswith("detect automatically")
        fake_window.bridge.post_agents_loaded(app.agents)  # (parsed here, off the dialog)
        qtbot.waitUntil(lambda: dialog.language.text() == "en", timeout=5000)  # the assistant agent's
    finally:
        dialog.shutdown()
        app.close()
