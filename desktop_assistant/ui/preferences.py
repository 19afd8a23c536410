"""Saving settings from the GUI: validate, persist (secrets to the key store,
the rest to the settings file), then apply at once through `App.apply_settings`.

Also the window geometry, kept in `<config dir>/window.ini`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from desktop_assistant.config import SPEC, read_settings_file, write_settings_file

UNCHANGED: Any = object()


def save_settings(app: Any, changes: Mapping[str, Any], api_key: Any = UNCHANGED) -> Any:
    """Validate `changes` (raises ConfigError), store them, apply them; returns the new Settings.

    `api_key`: a new key, None/"" to remove it, or UNCHANGED.
    """
    plain = {k: v for k, v in changes.items() if not SPEC[k].secret}
    new = app.settings.with_values(**plain)
    stored = read_settings_file(app.paths.settings_file)
    stored.update({k: getattr(new, k) for k in plain})
    write_settings_file(app.paths.settings_file, {k: v for k, v in stored.items() if k in SPEC})
    if api_key is not UNCHANGED:
        key = (api_key or "").strip() or None
        app.keystore.set(key)
        new = replace(new, groq_api_key=key)
    if new != app.settings:
        app.apply_settings(new)
    return new


def _window_store(app: Any) -> QSettings:
    return QSettings(str(app.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)


def save_geometry(app: Any, name: str, geometry: QByteArray) -> None:
    store = _window_store(app)
    store.setValue(f"{name}/geometry", geometry)
    store.sync()


def load_geometry(app: Any, name: str) -> QByteArray | None:
    value = _window_store(app).value(f"{name}/geometry")
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None
