"""The Windows and macOS backend: pynput's keyboard listener behind the same interface.

pynput (an optional dependency, installed on Windows and macOS only) calls back on a thread of
its own with every key; the shortcut is "down" once all its keys are down (parsed with pynput's
`HotKey.parse`, compared after `Listener.canonical`, so left and right Ctrl are one) and "up" when
any of them is released. Held keys repeat as presses, which change nothing while it is down.
Press and release are posted to the GUI thread through a queued Qt signal. On macOS the listener
receives keys only once the user allows the app under Privacy & Security → Accessibility (Input
Monitoring): the status says so when pynput reports it is not trusted.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from desktop_assistant.ui.hotkeys.base import BackendKind, Callback, HotkeyStatus
from desktop_assistant.ui.hotkeys.shortcut import Shortcut, ShortcutError

log = logging.getLogger(__name__)

MAC_PERMISSION = ("allow Desktop Assistant in System Settings → Privacy & Security → Accessibility and "
                  "Input Monitoring, then restart it")


def _platform_name(platform: str) -> str:
    return {"win32": "Windows", "darwin": "macOS"}.get(platform, platform)


class PynputHotkey(QObject):
    kind = BackendKind.PYNPUT
    _posted = Signal(bool)  # True: press, False: release (from pynput's thread to the GUI thread)

    def __init__(self, shortcut: str, keyboard: Any = None, platform: str = sys.platform,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = shortcut
        self._keyboard = keyboard  # pynput.keyboard, or a stand-in in tests
        self._platform = platform
        self._listener: Any = None
        self._wanted: set[Any] = set()
        self._down: set[Any] = set()
        self._active = False  # pynput's thread: all keys of the shortcut are down
        self._held = False  # GUI thread: the press delivered, the release not yet
        self._on_press: Callback | None = None
        self._on_release: Callback | None = None
        self._status = HotkeyStatus(None, f"{_platform_name(platform)}: not started")
        self._posted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def status(self) -> HotkeyStatus:
        return self._status

    def start(self, on_press: Callback, on_release: Callback) -> HotkeyStatus:
        self.stop()
        self._on_press, self._on_release = on_press, on_release
        where = _platform_name(self._platform)
        try:
            shortcut = Shortcut.parse(self._text)
        except ShortcutError as exc:
            self._status = HotkeyStatus(False, f"{where}: {exc}")
            return self._status
        keyboard = self._keyboard
        if keyboard is None:
            try:
                import pynput.keyboard  # optional: Windows and macOS only

                keyboard = pynput.keyboard
            except ImportError as exc:
                self._status = HotkeyStatus(False, f"{where}: the pynput package is missing ({exc}); "
                                                   "reinstall Desktop Assistant, or `pip install pynput`")
                return self._status
        try:
            self._wanted = set(keyboard.HotKey.parse(shortcut.pynput_hotkey()))
        except ValueError as exc:
            self._status = HotkeyStatus(False, f"{where}: pynput cannot listen for {shortcut.text()} ({exc})")
            return self._status
        self._down.clear()
        self._active = False
        listener = self._listener = keyboard.Listener(on_press=self._key_down, on_release=self._key_up)
        listener.start()
        if self._platform == "darwin" and getattr(listener, "IS_TRUSTED", True) is False:
            self._status = HotkeyStatus(False, f"macOS: {shortcut.text()} cannot be heard yet — {MAC_PERMISSION}")
        else:
            self._status = HotkeyStatus(True, f"{where}: {shortcut.text()} listened for (pynput)")
        log.info("global hotkey: %s", self._status.message)
        return self._status

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
        self._active = False
        if self._held:
            self._deliver(False)

    # pynput's thread
    def _canonical(self, key: Any) -> Any:
        listener = self._listener
        return listener.canonical(key) if listener is not None else key

    def _key_down(self, key: Any) -> None:
        key = self._canonical(key)
        if key not in self._wanted:
            return
        self._down.add(key)
        if not self._active and self._down >= self._wanted:
            self._active = True
            self._posted.emit(True)

    def _key_up(self, key: Any) -> None:
        key = self._canonical(key)
        self._down.discard(key)
        if self._active and key in self._wanted:
            self._active = False
            self._posted.emit(False)

    # GUI thread
    def _deliver(self, press: bool) -> None:
        if press and not self._held:
            self._held = True
            log.info("global hotkey: pressed")
            if self._on_press is not None:
                self._on_press()
        elif not press and self._held:
            self._held = False
            log.info("global hotkey: released")
            if self._on_release is not None:
                self._on_release()
