"""X11 key autorepeat, made detectable.

On X11 a held key repeats as release/press pairs; Qt flags a pair as auto-repeat only when the
press is already queued when it handles the release, which a busy machine often misses. XKB's
"detectable auto-repeat" per-client flag makes the X server send the repeats as presses alone,
so a release is always a real one. It is set on Qt's own xcb connection (the flag is per
connection) through libxcb-xkb; elsewhere (Wayland, Windows, macOS) repeats are already flagged.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from typing import Any

log = logging.getLogger(__name__)

_USE_CORE_KBD = 0x100
_DETECTABLE_AUTO_REPEAT = 1


class _Cookie(ctypes.Structure):
    _fields_ = [("sequence", ctypes.c_uint)]


class _Reply(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("device_id", ctypes.c_uint8), ("sequence", ctypes.c_uint16),
                ("length", ctypes.c_uint32), ("supported", ctypes.c_uint32), ("value", ctypes.c_uint32),
                ("auto_ctrls", ctypes.c_uint32), ("auto_ctrls_values", ctypes.c_uint32),
                ("pad", ctypes.c_uint8 * 8)]


def enable_detectable_autorepeat(qapp: Any) -> bool:
    """Ask the X server not to send releases for repeats to this app; True when it agreed."""
    try:
        from PySide6.QtGui import QNativeInterface

        x11 = qapp.nativeInterface()
        if not isinstance(x11, QNativeInterface.QX11Application):
            return False
        connection = x11.connection()
        if not connection:
            return False
        lib = ctypes.CDLL(ctypes.util.find_library("xcb-xkb") or "libxcb-xkb.so.1")
        libc = ctypes.CDLL(None)
    except (ImportError, OSError, AttributeError) as exc:
        log.info("detectable key autorepeat unavailable: %s", exc)
        return False
    return set_detectable_autorepeat(lib, libc, connection)


def set_detectable_autorepeat(lib: Any, libc: Any, connection: Any, *, init: bool = False) -> bool:
    """The per-client flag on `connection` (a `xcb_connection_t*`) through libxcb-xkb `lib`;
    `init`: first say XkbUseExtension (a connection of our own; Qt's has said it)."""
    if init:
        use = lib.xcb_xkb_use_extension
        use.restype = _Cookie
        use.argtypes = [ctypes.c_void_p, ctypes.c_uint16, ctypes.c_uint16]
        use_reply = lib.xcb_xkb_use_extension_reply
        use_reply.restype = ctypes.c_void_p
        use_reply.argtypes = [ctypes.c_void_p, _Cookie, ctypes.c_void_p]
        answer = use_reply(connection, use(connection, 1, 0), None)
        if not answer:
            return False
        libc.free(ctypes.c_void_p(answer))
    request = lib.xcb_xkb_per_client_flags
    request.restype = _Cookie
    request.argtypes = [ctypes.c_void_p, ctypes.c_uint16, *([ctypes.c_uint32] * 5)]
    get_reply = lib.xcb_xkb_per_client_flags_reply
    get_reply.restype = ctypes.POINTER(_Reply)
    get_reply.argtypes = [ctypes.c_void_p, _Cookie, ctypes.c_void_p]
    cookie = request(connection, _USE_CORE_KBD, _DETECTABLE_AUTO_REPEAT, _DETECTABLE_AUTO_REPEAT, 0, 0, 0)
    reply = get_reply(connection, cookie, None)
    if not reply:
        log.info("detectable key autorepeat: the X server did not answer")
        return False
    flags = reply.contents
    on = bool(flags.supported & flags.value & _DETECTABLE_AUTO_REPEAT)
    libc.free(reply)
    if not init:
        log.info("detectable key autorepeat %s", "on" if on else "not supported by the X server")
    return on
