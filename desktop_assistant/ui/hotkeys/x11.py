"""The X11 backend: a passive key grab (XGrabKey) on the X server, through libxcb with ctypes.

The grab is made on a connection of its own (Qt's connection is Qt's; a grab and its events are
per connection), whose socket a `QSocketNotifier` watches on the GUI thread: no thread, no
polling. Held keys repeat; with XKB detectable auto-repeat (asked for on this connection) the
X server sends the repeats as presses only, which are ignored while the key is held; without it a
repeat is a release and a press with the same server time, and a release is confirmed only when
no such press follows within `RELEASE_CONFIRM_MS` (as ui/ptt_button.py does for the window's key).
The shortcut is grabbed with and without CapsLock and NumLock. Another client holding the same
shortcut makes the X server refuse the grab (BadAccess): the status says so and what to do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

from desktop_assistant.ui.hotkeys.base import BackendKind, Callback, HotkeyStatus
from desktop_assistant.ui.hotkeys.shortcut import Shortcut, ShortcutError
from desktop_assistant.ui.ptt_button import RELEASE_CONFIRM_MS

log = logging.getLogger(__name__)

KEY_PRESS, KEY_RELEASE = 2, 3
BAD_ACCESS = 10
_GRAB_MODE_ASYNC = 1


class _Cookie(ctypes.Structure):
    _fields_ = [("sequence", ctypes.c_uint)]


class _ScreenIterator(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("rem", ctypes.c_int), ("index", ctypes.c_int)]


class _KeyEvent(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("detail", ctypes.c_uint8), ("sequence", ctypes.c_uint16),
                ("time", ctypes.c_uint32), ("root", ctypes.c_uint32), ("event", ctypes.c_uint32),
                ("child", ctypes.c_uint32), ("root_x", ctypes.c_int16), ("root_y", ctypes.c_int16),
                ("event_x", ctypes.c_int16), ("event_y", ctypes.c_int16), ("state", ctypes.c_uint16),
                ("same_screen", ctypes.c_uint8), ("pad", ctypes.c_uint8)]


class _Error(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("error_code", ctypes.c_uint8)]


class _Xcb:
    """The few libxcb calls the grab needs, typed once."""

    def __init__(self) -> None:
        xcb = ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
        self.keysyms = ctypes.CDLL(ctypes.util.find_library("xcb-keysyms") or "libxcb-keysyms.so.1")
        self.xkb = ctypes.CDLL(ctypes.util.find_library("xcb-xkb") or "libxcb-xkb.so.1")
        self.libc = ctypes.CDLL(None)
        self.libc.free.argtypes = [ctypes.c_void_p]
        vp = ctypes.c_void_p
        self.connect = _fn(xcb.xcb_connect, vp, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)])
        self.has_error = _fn(xcb.xcb_connection_has_error, ctypes.c_int, [vp])
        self.disconnect = _fn(xcb.xcb_disconnect, None, [vp])
        self.get_setup = _fn(xcb.xcb_get_setup, vp, [vp])
        self.roots = _fn(xcb.xcb_setup_roots_iterator, _ScreenIterator, [vp])
        self.grab_key = _fn(xcb.xcb_grab_key_checked, _Cookie, [vp, ctypes.c_uint8, ctypes.c_uint32,
                                                                 ctypes.c_uint16, ctypes.c_uint8,
                                                                 ctypes.c_uint8, ctypes.c_uint8])
        self.ungrab_key = _fn(xcb.xcb_ungrab_key, _Cookie, [vp, ctypes.c_uint8, ctypes.c_uint32, ctypes.c_uint16])
        self.request_check = _fn(xcb.xcb_request_check, ctypes.POINTER(_Error), [vp, _Cookie])
        self.flush = _fn(xcb.xcb_flush, ctypes.c_int, [vp])
        self.fd = _fn(xcb.xcb_get_file_descriptor, ctypes.c_int, [vp])
        self.poll_for_event = _fn(xcb.xcb_poll_for_event, ctypes.POINTER(_KeyEvent), [vp])
        self.symbols_alloc = _fn(self.keysyms.xcb_key_symbols_alloc, vp, [vp])
        self.symbols_free = _fn(self.keysyms.xcb_key_symbols_free, None, [vp])
        self.get_keycode = _fn(self.keysyms.xcb_key_symbols_get_keycode, ctypes.POINTER(ctypes.c_uint8),
                               [vp, ctypes.c_uint32])


def _fn(fn: Any, restype: Any, argtypes: list[Any]) -> Any:
    fn.restype = restype
    fn.argtypes = argtypes
    return fn


def taken_message(shortcut: str) -> str:
    return (f"X11: {shortcut} is already taken by another application, so it cannot be grabbed — "
            "choose another shortcut here (e.g. Ctrl+Shift+F9), or free it in that application")


class X11Grab(QObject):
    """A passive grab of one shortcut on the root window, for as long as it is started."""

    kind = BackendKind.X11

    def __init__(self, shortcut: str, display: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = shortcut
        self._display = display
        self._xcb: _Xcb | None = None
        self._conn: Any = None
        self._root = 0
        self._grabbed: list[tuple[int, int]] = []  # (keycode, modifiers)
        self._keycodes: set[int] = set()
        self._notifier: QSocketNotifier | None = None
        self._on_press: Callback | None = None
        self._on_release: Callback | None = None
        self._held = False
        self.detectable = False
        self._pending: QTimer | None = None
        self._pending_time = -1
        self.repeats_absorbed = 0
        self._status = HotkeyStatus(None, "X11: not started")

    @property
    def status(self) -> HotkeyStatus:
        return self._status

    def start(self, on_press: Callback, on_release: Callback) -> HotkeyStatus:
        self.stop()
        self._on_press, self._on_release = on_press, on_release
        self._status = self._grab()
        log.info("global hotkey: %s", self._status.message)
        return self._status

    def _grab(self) -> HotkeyStatus:
        try:
            shortcut = Shortcut.parse(self._text)
            keysym = shortcut.keysym()
        except ShortcutError as exc:
            return HotkeyStatus(False, f"X11: {exc}")
        try:
            xcb = self._xcb = self._xcb or _Xcb()
        except (OSError, AttributeError) as exc:
            return HotkeyStatus(False, f"X11: libxcb cannot be loaded ({exc}); bind `desktop-assistant ptt "
                                       "toggle` in your window manager instead")
        conn = xcb.connect(self._display.encode() if self._display else None, None)
        if not conn or xcb.has_error(conn):
            if conn:
                xcb.disconnect(conn)
            return HotkeyStatus(False, f"X11: cannot open the display {self._display or ''}".rstrip())
        self._conn = conn
        self._root = ctypes.cast(xcb.roots(xcb.get_setup(conn)).data, ctypes.POINTER(ctypes.c_uint32))[0]
        self._keycodes = self._keycodes_of(keysym)
        if not self._keycodes:
            self._close()
            return HotkeyStatus(False, f"X11: no key on this keyboard gives {shortcut.text()}")
        self.detectable = False
        if os.environ.get("DA_NO_DETECTABLE_AUTOREPEAT") != "1":  # (off to diagnose, as for the window's key)
            try:
                from desktop_assistant.ui.x11_keys import set_detectable_autorepeat

                self.detectable = set_detectable_autorepeat(xcb.xkb, xcb.libc, conn, init=True)
            except AttributeError:
                pass
        log.info("global hotkey: key repeats %s", "detectable (presses only)" if self.detectable
                 else f"as release/press pairs: a release waits {RELEASE_CONFIRM_MS} ms for its pair")
        cookies = []
        for keycode in sorted(self._keycodes):
            for mods in shortcut.x11_grab_masks():
                cookie = xcb.grab_key(conn, 1, self._root, mods, keycode, _GRAB_MODE_ASYNC, _GRAB_MODE_ASYNC)
                cookies.append((keycode, mods, cookie))
        refused = False
        for keycode, mods, cookie in cookies:
            error = xcb.request_check(conn, cookie)
            if error:
                refused = refused or error.contents.error_code == BAD_ACCESS
                log.info("X11 grab of keycode %d with modifiers 0x%x refused (error %d)",
                         keycode, mods, error.contents.error_code)
                xcb.libc.free(error)
            else:
                self._grabbed.append((keycode, mods))
        if refused or not self._grabbed:
            self._close()
            return HotkeyStatus(False, taken_message(shortcut.text()))
        self._notifier = QSocketNotifier(xcb.fd(conn), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read)
        self._read()  # events read while waiting for the replies
        return HotkeyStatus(True, f"X11: {shortcut.text()} grabbed")

    def _keycodes_of(self, keysym: int) -> set[int]:
        assert self._xcb is not None
        symbols = self._xcb.symbols_alloc(self._conn)
        if not symbols:
            return set()
        found: set[int] = set()
        codes = self._xcb.get_keycode(symbols, keysym)
        if codes:
            i = 0
            while codes[i]:
                found.add(codes[i])
                i += 1
            self._xcb.libc.free(codes)
        self._xcb.symbols_free(symbols)
        return found

    def _read(self, *_args: Any) -> None:
        xcb = self._xcb
        if xcb is None or self._conn is None:
            return
        while True:
            event = xcb.poll_for_event(self._conn)
            if not event:
                break
            kind, keycode, time = event.contents.response_type & 0x7F, event.contents.detail, event.contents.time
            xcb.libc.free(event)
            if keycode in self._keycodes:
                if kind == KEY_PRESS:
                    self.pressed(time)
                elif kind == KEY_RELEASE:
                    self.released(time)
        if xcb.has_error(self._conn):
            log.warning("global hotkey: the X connection broke")
            self._status = HotkeyStatus(False, "X11: the connection to the X server broke")
            self._close()

    # The key's gestures, with the X server's time of each event (also driven by tests).
    def pressed(self, time: int) -> None:
        if self._pending is not None:
            if time == self._pending_time:  # the press of a repeat's release/press pair
                self._cancel_pending()
                self.repeats_absorbed += 1
                return
            self._confirm_release()
        if self._held:
            self.repeats_absorbed += 1  # a repeat with detectable auto-repeat: a press alone
            return
        self._held = True
        log.info("global hotkey: pressed")
        if self._on_press is not None:
            self._on_press()

    def released(self, time: int) -> None:
        if not self._held or self._pending is not None:
            return
        if self.detectable:
            self._confirm_release()
            return
        self._pending_time = time
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.timeout.connect(self._confirm_release)
        self._pending.start(RELEASE_CONFIRM_MS)

    def _confirm_release(self) -> None:
        self._cancel_pending()
        if self._held:
            self._held = False
            log.info("global hotkey: released (%d key repeats absorbed so far)", self.repeats_absorbed)
            if self._on_release is not None:
                self._on_release()

    def _cancel_pending(self) -> None:
        timer, self._pending = self._pending, None
        if timer is not None:
            timer.stop()
            timer.deleteLater()

    def stop(self) -> None:
        self._cancel_pending()
        self._held = False
        if self._conn is not None and self._xcb is not None and self.status.ok:
            for keycode, mods in self._grabbed:
                self._xcb.ungrab_key(self._conn, keycode, self._root, mods)
            self._xcb.flush(self._conn)
        self._close()
        if self.status.ok:
            self._status = HotkeyStatus(None, "X11: stopped")

    def _close(self) -> None:
        self._grabbed.clear()
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._conn is not None and self._xcb is not None:
            self._xcb.disconnect(self._conn)
        self._conn = None
