"""Saving settings from the GUI: validate, persist (secrets to the key store,
the rest to the settings file), then apply at once through `App.apply_settings`.

Persisting blocks (the disk; a keyring is waited for up to its timeout), so the window
and the Settings dialog save through a `SettingsWriter`: one thread of its own, saves in
the order asked, each applied back on the GUI thread (the settings listeners update widgets).

Also the window geometry, kept in `<config dir>/window.ini`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings

from desktop_assistant.config import SPEC, Settings, check_api_key, read_settings_file, write_settings_file
from desktop_assistant.errors import ConfigError, UserFacingError

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from desktop_assistant.app import App

log = logging.getLogger(__name__)

UNCHANGED: Any = object()


@dataclass(frozen=True)
class Stored:
    """What a save wrote: the (validated) plain settings, and the key when it changed."""

    values: dict[str, Any]
    key: Any = UNCHANGED  # the key now stored (str | None), or UNCHANGED


def save_settings(app: App, changes: Mapping[str, Any], api_key: Any = UNCHANGED) -> Settings:
    """Validate `changes` (raises ConfigError), store them, apply them; returns the new Settings.
    Blocking: the GUI saves through a `SettingsWriter` instead.

    `api_key`: a new key, None/"" to remove it, or UNCHANGED.
    """
    return apply_stored(app, store_settings(app, changes, api_key))


def store_settings(app: App, changes: Mapping[str, Any], api_key: Any = UNCHANGED) -> Stored:
    """Validate `changes` (raises ConfigError) and persist them: the settings file, and the key store
    when `api_key` is given. Nothing is half-saved. Blocking (the disk, a keyring waited for up to
    its timeout): off the GUI thread."""
    plain = {k: v for k, v in changes.items() if not SPEC[k].secret}
    new = app.settings.with_values(**plain)
    values = {k: getattr(new, k) for k in plain}
    key = UNCHANGED
    if api_key is not UNCHANGED:  # a malformed key is refused before anything is written
        key = check_api_key((api_key or "").strip() or None, "entered")
    path = app.paths.settings_file
    stored = read_settings_file(path)
    wanted = {**stored, **values}
    wrote = wanted != stored
    before = path.read_bytes() if wrote and path.is_file() else None
    if wrote:
        write_settings_file(path, {k: v for k, v in wanted.items() if k in SPEC})
    if key is not UNCHANGED:
        try:
            app.keystore.set(key)
        except ConfigError:  # nothing half-saved: the settings go back to what they were
            if wrote:
                _put_back(path, before)
            raise
    return Stored(values, key)


def apply_stored(app: App, stored: Stored) -> Settings:
    """Use what `store_settings` wrote from now on (the caller's thread runs the settings listeners:
    the GUI thread in the window). Applied over the settings as they are now."""
    new = replace(app.settings, **stored.values)
    if stored.key is not UNCHANGED:
        new = replace(new, groq_api_key=stored.key)
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


Done = Callable[[Any], None]  # called on the GUI thread with the new Settings or a UserFacingError


class SettingsWriter:
    """Saves settings off the GUI thread, one save at a time in the order asked; each is applied and
    reported (`done`) on the GUI thread through `post_call` (the bridge's)."""

    def __init__(self, app: App, post_call: Callable[..., None]) -> None:
        self.app = app
        self._post_call = post_call
        self._pool: ThreadPoolExecutor | None = None  # made on the first save
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []  # the values of saves not yet applied (GUI thread)
        self._closed = False

    def save(self, changes: Mapping[str, Any], api_key: Any = UNCHANGED, done: Done | None = None) -> None:
        """Validate, store and apply `changes` (and the key, unless UNCHANGED); `done(new Settings |
        UserFacingError)` on the GUI thread once that is over. Returns at once."""
        if self._closed:
            return
        changes = dict(changes)
        self._pending.append(changes)

        def job() -> None:
            try:
                result: Any = store_settings(self.app, changes, api_key)
            except UserFacingError as exc:
                result = exc
            except Exception as exc:  # a bug: said in the window, logged with its trace
                log.exception("saving the settings failed")
                result = UserFacingError(f"Could not save the settings: {exc}", "see the log for details")
            self._post_call(self._finish, changes, result, done)

        self._executor().submit(job)

    def expected(self, name: str) -> Any:
        """Setting `name` as it will be once the saves asked for are applied (GUI thread)."""
        for values in reversed(self._pending):
            if name in values:
                return values[name]
        return getattr(self.app.settings, name)

    @property
    def busy(self) -> bool:
        """A save is still on its way (GUI thread)."""
        return bool(self._pending)

    def _finish(self, changes: dict[str, Any], result: Any, done: Done | None) -> None:  # GUI thread
        with contextlib.suppress(ValueError):
            self._pending.remove(changes)
        if isinstance(result, Stored):
            result = apply_stored(self.app, result)
        if done is not None:
            done(result)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(1, thread_name_prefix="gui-settings-write")
            return self._pool

    def close(self) -> None:
        """No new saves; one under way finishes on its thread (its result is not applied)."""
        self._closed = True
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False)


def _window_store(app: App) -> QSettings:
    return QSettings(str(app.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)


def save_geometry(app: App, name: str, geometry: QByteArray) -> None:
    store = _window_store(app)
    store.setValue(f"{name}/geometry", geometry)
    store.sync()


def load_geometry(app: App, name: str) -> QByteArray | None:
    value = _window_store(app).value(f"{name}/geometry")
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None
