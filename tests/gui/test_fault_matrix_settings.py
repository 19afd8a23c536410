"""The Settings dialog's share of the fault matrix: what a user can type or meet there gets one line
in the dialog, nothing half-saved, and the dialog (and the window) keep working. The settings file,
the key file and the file systems are real (a read-only bind mount and a full tmpfs: root only, as
in CI)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from desktop_assistant.app import App
from tests.gui.gui_helpers import saved
from tests.support.faults import fill, read_only_dir, small_disk

pytestmark = [pytest.mark.gui, pytest.mark.timeout(60)]

GOOD_KEY = "gsk_settingsmatrix0123456789"


@pytest.fixture
def dialog(fake_window: Any) -> Iterator[Any]:
    d = fake_window.open_settings()
    yield d
    d.close()


def _type_key(dialog: Any, text: str) -> None:
    dialog.api_key.setText(text)  # textEdited is not emitted by setText: say it was edited, as typing does
    dialog._key_edited(text)


def _snapshot(app: App) -> tuple[Any, bytes | None, bytes | None]:
    settings = app.paths.settings_file
    key_file = app.keystore.file
    return (app.settings,
            settings.read_bytes() if settings.exists() else None,
            key_file.read_bytes() if key_file.exists() else None)


def _says(dialog: Any, *words: str) -> str:
    text = dialog.error.text()
    assert dialog.error.isVisibleTo(dialog), "no message in the dialog"
    assert "\n" not in text.strip() and "Traceback" not in text, text
    for word in words:
        assert word.lower() in text.lower(), text
    return text


def _still_usable(dialog: Any, app: App) -> None:
    """The same dialog applies a good change right after, and it reaches the app."""
    dialog.temperature.setValue(0.35)
    assert saved(dialog), dialog.error.text()
    assert app.settings.llm_temperature == pytest.approx(0.35)
    assert not dialog.error.isVisibleTo(dialog)


@pytest.mark.parametrize("key", [
    "gsk_clé0123456789",            # pasted from a page with a typographic letter
    "gsk_abc\ndef0123456789",       # two lines pasted
    "gsk_abc def0123456789",        # a space in the middle
    "gsk_abc\x1b[2J0123456789",     # a terminal escape
], ids=["non-ascii", "line-break", "inner-space", "escape"])
def test_a_malformed_key_is_refused_in_the_dialog_and_nothing_is_saved(
        dialog: Any, gui_app: App, key: str) -> None:
    before = _snapshot(gui_app)
    dialog.temperature.setValue(0.9)  # a change made together with the bad key is not half-saved either
    _type_key(dialog, key)
    assert not saved(dialog)
    _says(dialog, "key", "malformed")
    assert _snapshot(gui_app) == before
    _type_key(dialog, GOOD_KEY)
    _still_usable(dialog, gui_app)
    assert gui_app.settings.groq_api_key == GOOD_KEY


def test_a_key_pasted_with_spaces_around_it_is_kept_without_them(dialog: Any, gui_app: App) -> None:
    _type_key(dialog, f"  {GOOD_KEY}\n")
    assert saved(dialog), dialog.error.text()
    assert gui_app.settings.groq_api_key == GOOD_KEY
    assert gui_app.keystore.get() == GOOD_KEY


def test_settings_on_a_read_only_disk_are_one_line_and_the_app_keeps_its_settings(
        dialog: Any, gui_app: App) -> None:
    _still_usable(dialog, gui_app)  # a settings file exists
    with read_only_dir(gui_app.paths.config_dir) as ro:
        assert ro is not None, "a read-only bind mount needs root (CI runs as root)"
        before = _snapshot(gui_app)
        dialog.temperature.setValue(1.2)
        assert not saved(dialog)
        _says(dialog, "settings", str(gui_app.paths.settings_file), "read-only")
        assert _snapshot(gui_app) == before
    _still_usable(dialog, gui_app)


def test_settings_on_a_full_disk_keep_the_old_file_whole(dialog: Any, gui_app: App) -> None:
    config = gui_app.paths.config_dir
    with small_disk(config, size_kib=64) as disk:
        assert disk is not None, "a small tmpfs needs root (CI runs as root)"
        _still_usable(dialog, gui_app)  # the settings file now lives on the small disk
        fill(disk)
        before = _snapshot(gui_app)
        dialog.temperature.setValue(1.1)
        dialog.llm_model.setEditText("a-model-with-a-long-name-" + "x" * 3000)  # more than the last free byte
        assert not saved(dialog)
        _says(dialog, "settings", "space")
        assert _snapshot(gui_app) == before
        assert sorted(p.name for p in config.iterdir()) == ["filler", "filler-2", "settings.json"]
        (disk / "filler").unlink()
        dialog.llm_model.setEditText("llama-3.1-8b-instant")
        _still_usable(dialog, gui_app)


def test_a_settings_file_turned_into_a_folder_is_one_line(dialog: Any, gui_app: App) -> None:
    settings = gui_app.paths.settings_file
    settings.unlink(missing_ok=True)
    settings.mkdir(parents=True)
    before = gui_app.settings
    dialog.temperature.setValue(1.3)
    assert not saved(dialog)
    _says(dialog, "settings", str(settings))
    assert gui_app.settings == before and settings.is_dir()
    settings.rmdir()
    _still_usable(dialog, gui_app)


def test_a_key_file_that_cannot_be_written_is_one_line_and_the_old_key_stays(
        dialog: Any, gui_app: App) -> None:
    _type_key(dialog, GOOD_KEY)
    assert saved(dialog), dialog.error.text()
    key_file = gui_app.keystore.file
    assert key_file.exists(), "an isolated home keeps the key in its private file"
    with read_only_dir(gui_app.paths.config_dir) as ro:
        assert ro is not None, "a read-only bind mount needs root (CI runs as root)"
        _type_key(dialog, GOOD_KEY + "new")
        assert not saved(dialog)
        _says(dialog, "key", "read-only")
        assert gui_app.settings.groq_api_key == GOOD_KEY and key_file.read_text().strip() == GOOD_KEY
    _type_key(dialog, GOOD_KEY + "new")
    _still_usable(dialog, gui_app)
    assert gui_app.settings.groq_api_key == GOOD_KEY + "new"
