"""Text from outside the app (a model's reply, stored messages, the command line, stdin) made safe
for a terminal, and checked before it is stored.

`inert()` shows control characters as visible escapes (`\\x1b`, `\\r`, …) so a reply cannot clear
the screen, retitle the window or move the cursor; newlines and tabs stay as they are.
`undecodable()` finds text that arrived as bytes that are not UTF-8 (Python keeps them as lone
surrogates, which cannot be stored or printed).
"""

from __future__ import annotations

import contextlib
import re
import sys

# C0 controls except \t and \n, DEL, the C1 controls (U+0080–U+009F: U+009B is a one-character CSI)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def inert(text: str) -> str:
    """`text` with every control character except newline and tab shown as `\\xNN`."""
    if not _CONTROL.search(text):  # the usual case: nothing to do
        return text
    return _CONTROL.sub(_visible, text)


def undecodable(text: str) -> bool:
    """True when `text` carries bytes that were not valid UTF-8 (decoded with surrogateescape)."""
    return _SURROGATE.search(text) is not None


def shown_bytes(text: str) -> str:
    """`text` for an error message: the undecodable bytes as `\\xNN`, control characters inert."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no byte became
        return inert(text.encode("utf-8", "backslashreplace").decode("ascii"))
    return inert(raw.decode("utf-8", "backslashreplace"))


def tolerant_stdin() -> None:
    """Read bytes on stdin that are not UTF-8 as surrogates (see `undecodable`) instead of failing
    the read, so one bad line is refused and the next one is read."""
    reconfigure = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):  # a stream that cannot change: reads stay strict
            reconfigure(errors="surrogateescape")
