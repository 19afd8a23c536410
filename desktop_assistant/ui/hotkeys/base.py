"""What every global-hotkey backend is, and which one this desktop gets.

A backend is started with two callbacks, `on_press` and `on_release`, called on the GUI thread
(a backend whose library calls from its own thread posts them over), and has a `status`: whether
the shortcut works and a sentence for Settings → Controls saying how, or why not and what to do.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

Callback = Callable[[], None]
# What a compositor binding runs when no backend can give press and release (issue's `ptt` command).
PTT_COMMAND = "desktop-assistant ptt toggle"


class BackendKind(enum.Enum):
    X11 = "x11"  # a passive key grab on the X server
    PORTAL = "portal"  # org.freedesktop.portal.GlobalShortcuts (Wayland)
    PYNPUT = "pynput"  # Windows and macOS
    NONE = "none"  # nothing can listen: the user binds the `ptt` command


@dataclass(frozen=True)
class HotkeyStatus:
    ok: bool | None  # None: still being set up (the portal's dialog is open)
    message: str  # for Settings: "X11: Ctrl+Alt+Space grabbed"


class HotkeyBackend(Protocol):
    kind: BackendKind

    def start(self, on_press: Callback, on_release: Callback) -> HotkeyStatus: ...

    def stop(self) -> None: ...

    @property
    def status(self) -> HotkeyStatus: ...


@dataclass(frozen=True)
class Choice:
    kind: BackendKind
    reason: str  # why this backend, in words (logged; Settings shows the backend's status)


def choose(platform: str, qpa: str, env: Mapping[str, str]) -> Choice:
    """The backend for `platform` (sys.platform), Qt's platform plugin `qpa` and the environment.

    A Wayland session gets the portal even when the app runs on XWayland (`qpa` "xcb"): an X
    grab there sees keys only while an X window has focus, which is no global hotkey at all.
    `DA_HOTKEY_BACKEND` (x11, portal, pynput, none) overrides the choice, to diagnose."""
    forced = env.get("DA_HOTKEY_BACKEND", "").strip().lower()
    if forced:
        try:
            return Choice(BackendKind(forced), f"DA_HOTKEY_BACKEND={forced}")
        except ValueError:
            pass
    if qpa in ("offscreen", "minimal", "vnc"):  # no keyboard of a desktop (tests, servers)
        return Choice(BackendKind.NONE, f"the {qpa} platform has no desktop keyboard")
    if platform == "win32" or platform == "darwin":
        return Choice(BackendKind.PYNPUT, "Windows" if platform == "win32" else "macOS")
    wayland = qpa.startswith("wayland") or env.get("XDG_SESSION_TYPE", "").lower() == "wayland" \
        or bool(env.get("WAYLAND_DISPLAY"))
    if wayland:
        return Choice(BackendKind.PORTAL, "a Wayland session" + (" (the window on XWayland)" if qpa == "xcb" else ""))
    if qpa == "xcb":
        return Choice(BackendKind.X11, "an X11 session")
    return Choice(BackendKind.NONE, f"the {qpa or 'unknown'} platform has no global shortcuts")


def no_backend_status(reason: str) -> HotkeyStatus:
    return HotkeyStatus(False, f"No global shortcut here ({reason}): bind `{PTT_COMMAND}` to a key in your "
                               "desktop's keyboard settings")
