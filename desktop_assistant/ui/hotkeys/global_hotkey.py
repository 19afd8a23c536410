"""The global push-to-talk hotkey: the backend this desktop gets (base.choose), driving the main
window's talk button — the same press/release path as the window's own key and the mouse.

Hold mode: the shortcut's press begins talking and its release ends it (sends). Toggle mode: each
press starts or ends talking; releases are ignored. `status_changed` tells Settings how it works
(or why not, and what to do) whenever that changes.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop_assistant.ui.hotkeys.base import (
    BackendKind,
    Choice,
    HotkeyBackend,
    HotkeyStatus,
    choose,
    no_backend_status,
)

if TYPE_CHECKING:
    from desktop_assistant.ui.ptt_button import PushToTalkButton

log = logging.getLogger(__name__)

OFF = HotkeyStatus(None, "Off: no global shortcut (record one above to talk from any window)")


def make_backend(choice: Choice, shortcut: str, parent: QObject | None = None) -> HotkeyBackend | None:
    if choice.kind is BackendKind.X11:
        from desktop_assistant.ui.hotkeys.x11 import X11Grab

        return X11Grab(shortcut, os.environ.get("DISPLAY"), parent)
    if choice.kind is BackendKind.PORTAL:
        from desktop_assistant.ui.hotkeys.portal import PortalShortcuts

        return PortalShortcuts(shortcut, parent)
    if choice.kind is BackendKind.PYNPUT:
        from desktop_assistant.ui.hotkeys.pynput_keys import PynputHotkey

        return PynputHotkey(shortcut, parent=parent)
    return None


class GlobalHotkey(QObject):
    status_changed = Signal(object)  # HotkeyStatus

    def __init__(self, button: PushToTalkButton, parent: QObject | None = None, *, platform: str = sys.platform,
                 qpa: str | None = None, env: Mapping[str, str] | None = None) -> None:
        super().__init__(parent)
        self._button = button
        if qpa is None:
            from PySide6.QtGui import QGuiApplication

            qpa = QGuiApplication.platformName()
        self.choice = choose(platform, qpa, os.environ if env is None else env)
        self._backend: HotkeyBackend | None = None
        self._shortcut = ""
        self.mode = "hold"
        self._status = OFF
        self._started = False

    @property
    def status(self) -> HotkeyStatus:
        return self._status

    @property
    def backend(self) -> HotkeyBackend | None:
        return self._backend

    def apply(self, shortcut: str, mode: str) -> None:
        """The settings' shortcut and mode (the same shortcut again keeps the grab and a key held)."""
        self.mode = "toggle" if mode == "toggle" else "hold"
        shortcut = shortcut.strip()
        if self._started and shortcut == self._shortcut:
            return
        self.stop()
        self._shortcut, self._started = shortcut, True
        if not shortcut:
            self._set_status(OFF)
            return
        log.info("global hotkey %s: %s backend (%s)", shortcut, self.choice.kind.value, self.choice.reason)
        self._backend = make_backend(self.choice, shortcut, self)
        if self._backend is None:
            self._set_status(no_backend_status(self.choice.reason))
            return
        if self.choice.kind is BackendKind.PORTAL:  # answers later, from the desktop's dialog
            from desktop_assistant.ui.hotkeys.portal import PortalShortcuts

            assert isinstance(self._backend, PortalShortcuts)
            status = self._backend.start(self.pressed, self.released, self._set_status)
        else:
            status = self._backend.start(self.pressed, self.released)
        self._set_status(status)

    def stop(self) -> None:
        backend, self._backend = self._backend, None
        self._started = False
        if backend is not None:
            backend.stop()
            if isinstance(backend, QObject):
                backend.deleteLater()

    def _set_status(self, status: HotkeyStatus) -> None:
        self._status = status
        self.status_changed.emit(status)

    # The shortcut's gestures (GUI thread), onto the talk button.
    def pressed(self) -> None:
        if self.mode == "toggle" and self._button.active:
            self._button.end()
        else:
            self._button.begin()

    def released(self) -> None:
        if self.mode == "hold":
            self._button.end()
