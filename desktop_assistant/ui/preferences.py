"""Saving settings from the GUI: validate, persist (secrets to the key store,
the rest to the settings file), then apply at once through `App.apply_settings`.

Also the window geometry, kept in `<config dir>/window.ini`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings

from desktop_assistant.config import SPEC, Settings, check_api_key, read_settings_file, write_settings_file
from desktop_assistant.errors import ConfigError

if TYPE_CHECKING:
    from desktop_assistant.app import App

UNCHANGED: Any = object()


def save_settings(app: App, changes: Mapping[str, Any], api_key: Any = UNCHANGED) -> Settings:
    """Validate `changes` (raises ConfigError), store them, apply them; returns the new Settings.

    `api_key`: a new key, None/"" to remove it, or UNCHANGED.
    """
    plain = {k: v for k, v in changes.items() if not SPEC[k].secret}
    new = app.settings.with_values(**plain)
    key = app.settings.groq_api_key
    if api_key is not UNCHANGED:  # a malformed key is refused before anything is written
        key = check_api_key((api_key or "").strip() or None, "entered")
    path = app.paths.settings_file
    stored = read_settings_file(path)
    wanted = {**stored, **{k: getattr(new, k) for k in plain}}
    wrote = wanted != stored
    before = path.read_bytes() if wrote and path.is_file() else None
    if wrote:
        write_settings_file(path, {k: v for k, v in wanted.items() if k in SPEC})
    if api_key is not UNCHANGED:
        try:
            app.keystore.set(key)
        except ConfigError:  # nothing half-saved: the settings go back to what they were
            if wrote:
                _put_back(path, before)
            raise
        new = replace(new, groq_api_key=key)
    if new != app.settings:
        app.apply_settings(new)
    return new


def _put_back(path: Path, before: bytes | None) -> None:
    """The settings file as it was before this save (`None`: there was none)."""
    with contextlib.suppress(OSError):
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)


def _window_store(app: App) -> QSettings:
    return QSettings(str(app.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)


def save_geometry(app: App, name: str, geometry: QByteArray) -> None:
    store = _window_store(app)
    store.setValue(f"{name}/geometry", geometry)
    store.sync()


def load_geometry(app: App, name: str) -> QByteArray | None:
    value = _window_store(app).value(f"{name}/geometry")
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None
