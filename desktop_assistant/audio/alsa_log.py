"""alsa-lib's own messages ("ALSA lib pcm.c:…(snd_pcm_recover) underrun occurred") go to the
log instead of being written straight to the terminal's stderr, where they would break the line
a terminal command is drawing (a streamed reply, a status line).

alsa-lib prints through one process-wide hook, `snd_lib_error_set_handler`; PortAudio's ALSA
backend uses the same library, so setting it before or after PortAudio loads both work.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

# void handler(const char *file, int line, const char *function, int err, const char *fmt, ...):
# the variadic arguments are not read (ctypes cannot), so a format's arguments are not shown.
_HANDLER_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                 ctypes.c_char_p)
# alsa-lib keeps the pointer for the life of the process: so must Python (the hook is process-wide).
_installed: list[object] = []


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value else ""


def _to_log(file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None) -> None:
    log.debug("ALSA %s:%d (%s) %s%s", _text(file), line, _text(function), _text(fmt),
              f" (error {err})" if err else "")


def route_alsa_messages_to_log() -> bool:
    """Install the hook once; False when there is no alsa-lib (not Linux, or not installed)."""
    if _installed:
        return True
    name = ctypes.util.find_library("asound")
    if name is None:
        return False
    try:
        lib = ctypes.CDLL(name)
        handler = _HANDLER_TYPE(_to_log)
        if lib.snd_lib_error_set_handler(handler) != 0:
            return False
    except (OSError, AttributeError) as exc:
        log.debug("alsa-lib messages stay on stderr: %s", exc)
        return False
    _installed.append(handler)
    return True
