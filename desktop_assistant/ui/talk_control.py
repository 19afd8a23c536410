"""Talking without the window's focus: `desktop-assistant ptt …` (the command channel), the tray's
Talk and the listening indicator's Send and Stop all come here, and here become the talk button's
own gestures, so they behave exactly as holding the talk key does.

- `press`: the user holds the key (the microphone opens; a press while held does nothing).
- `release`: the user lets go (what was said is sent; a release shorter than a tap is dropped, as
  a tapped key is).
- `toggle`: press when nothing is held, else release (for key bindings that only give a press).
- `show`: the window comes forward, also out of the tray.

Qt only through the window; no engine imports.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from desktop_assistant.ui.placement import bring_forward

if TYPE_CHECKING:
    from desktop_assistant.ui.main_window import MainWindow

log = logging.getLogger(__name__)

WORDS = ("press", "release", "toggle", "show")


class TalkControl:
    """The window's talk gestures for callers that are not the talk button or key."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    @property
    def held(self) -> bool:
        """A press is held (by the key, the button, `ptt press` or a toggle) and not yet let go."""
        return self.window.ptt.active

    def press(self) -> None:
        self.window.ptt.begin()

    def release(self) -> None:
        self.window.ptt.end()

    def toggle(self) -> None:
        if self.held:
            self.release()
        else:
            self.press()

    def show(self) -> None:
        bring_forward(self.window)

    def stop(self) -> None:
        """Stop listening without sending (the window's Stop), and let go of the press that opened the
        microphone, so the next toggle starts anew (the release finds nothing left to send)."""
        self.window.stop()
        if self.held:
            self.release()

    def command(self, words: list[str]) -> str | None:
        """The channel's `ptt <word>` (GUI thread): None is "ok", else "error <reason>"."""
        word = words[0] if words else ""
        if word not in WORDS or len(words) > 1:
            return f"error ptt takes one of {', '.join(WORDS)}"
        log.info("ptt %s from another process (held: %s, state: %s)", word, self.held, self.window.state)
        if word in ("press", "toggle") and not self.held and not self.window.ptt.isEnabled():
            return "error the talk button is disabled"
        gestures = {"press": self.press, "release": self.release, "toggle": self.toggle, "show": self.show}
        gestures[word]()
        return None
