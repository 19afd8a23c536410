"""The push-to-talk control: a big button (hold, or click-to-toggle) and the
push-to-talk key, both reduced to two signals: `talk_started` / `talk_ended`.

`PushToTalkKey` is an application event filter: while a widget of the main
window has focus and that widget is not a text field, holding the configured
key (default Space) talks. Auto-repeat is swallowed, so one hold is one turn.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QWidget

if TYPE_CHECKING:  # imported where used, after the first frame (see ui/application.py)
    from PySide6.QtCore import Qt


_LABELS = {
    ("hold", False): "Hold to talk",
    ("hold", True): "Listening…\nrelease to send",
    ("toggle", False): "Click to talk",
    ("toggle", True): "Listening…\nclick to send",
}


class PushToTalkButton(QPushButton):
    talk_started = Signal()
    talk_ended = Signal()

    def __init__(self, mode: str = "hold", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pushToTalk")
        # Its accessible name is its text ("Hold to talk", "Listening… release to send"): what the
        # user sees is what a screen reader says. (Focus: StrongFocus, a QPushButton's default.)
        self.setMinimumSize(140, 140)
        self._mode = "hold"
        self._active = False
        self.pressed.connect(self._on_pressed)
        self.released.connect(self._on_released)
        self.set_mode(mode)

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def active(self) -> bool:
        return self._active

    def set_mode(self, mode: str) -> None:
        if self._active:
            self.end()
        self._mode = "toggle" if mode == "toggle" else "hold"
        self.setAccessibleDescription(
            "Press and hold to speak; release to send"
            if self._mode == "hold"
            else "Click to start, click again to send"
        )
        self._refresh()

    # Mouse (and Space on the focused button, which QPushButton maps to pressed/released).
    def _on_pressed(self) -> None:
        if self._mode == "hold":
            self.begin()
        elif self._active:
            self.end()
        else:
            self.begin()

    def _on_released(self) -> None:
        if self._mode == "hold":
            self.end()

    # The key filter and tests drive these.
    def begin(self) -> None:
        if self._active or not self.isEnabled():
            return
        self._active = True
        self._refresh()
        self.talk_started.emit()

    def end(self) -> None:
        if not self._active:
            return
        self._active = False
        self._refresh()
        self.talk_ended.emit()

    def key_pressed(self) -> None:
        if self._mode == "hold" or not self._active:
            self.begin()
        else:
            self.end()

    def key_released(self) -> None:
        if self._mode == "hold":
            self.end()

    def set_listening(self, listening: bool) -> None:
        """Reflect the engine's state (e.g. the recorder stopped at its time limit)."""
        if not listening and self._active:
            self._active = False
        self._refresh(listening or self._active)

    def _refresh(self, listening: bool | None = None) -> None:
        on = self._active if listening is None else listening
        self.setText(_LABELS[(self._mode, on)])
        value = "true" if on else "false"
        if self.property("listening") == value:
            return
        self.setProperty("listening", value)
        if self.isVisible():  # a hidden widget is polished when shown: re-styling it now is wasted work
            self.style().unpolish(self)
            self.style().polish(self)


def parse_key(name: str) -> Qt.Key:
    """'Space', 'F9', 'Ctrl+Space'… → the Qt key (modifiers ignored); Space when unknown."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeySequence

    seq = QKeySequence.fromString(name or "Space", QKeySequence.SequenceFormat.PortableText)
    if seq.count() == 0:
        return Qt.Key.Key_Space
    key = seq[0].key()
    return key if key != Qt.Key.Key_unknown else Qt.Key.Key_Space


_PRESS, _RELEASE = QEvent.Type.KeyPress, QEvent.Type.KeyRelease


@functools.cache
def _text_fields() -> tuple[type, ...]:
    """Widgets where the push-to-talk key types (their Python types are made on first use)."""
    from PySide6.QtWidgets import QAbstractSpinBox, QKeySequenceEdit, QPlainTextEdit, QTextEdit

    return (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QKeySequenceEdit)


class PushToTalkKey(QObject):
    """The push-to-talk key drives `button` while a widget of `window` has focus.

    The filter sits on the window's focusable widgets (not on the whole application, which
    would run Python for every Qt event), so it sees the key before the focused widget does:
    a focused button, combo box or check box never acts on the push-to-talk key.
    Call `watch()` once the window's widgets exist (the main window does, just after its first
    frame), and again after adding focusable widgets.
    """

    def __init__(self, window: QWidget, button: PushToTalkButton, key_name: str = "Space") -> None:
        super().__init__(window)
        self._window = window
        self._button = button
        self._key_name = key_name
        self._key: Qt.Key | None = None  # parsed on first use (after the first frame)
        self._held = False
        self._watched: set[int] = set()

    def watch(self, root: QWidget | None = None) -> None:
        """Filter `root` (default: the window) and its focusable children."""
        from PySide6.QtCore import Qt

        root = root or self._window
        for widget in [root, *root.findChildren(QWidget)]:
            focusable = widget is self._window or widget.focusPolicy() != Qt.FocusPolicy.NoFocus
            if focusable and id(widget) not in self._watched:
                self._watched.add(id(widget))
                widget.installEventFilter(self)

    def release(self) -> None:
        """The window lost focus while the key was held: its release will never arrive."""
        if self._held:
            self._held = False
            self._button.key_released()

    def set_key(self, key_name: str) -> None:
        if self._held:
            self._held = False
            self._button.key_released()
        self._key_name, self._key = key_name, None

    @property
    def key(self) -> Qt.Key:
        if self._key is None:
            self._key = parse_key(self._key_name)
        return self._key

    def detach(self) -> None:
        for widget in [self._window, *self._window.findChildren(QWidget)]:
            widget.removeEventFilter(self)
        self._watched.clear()

    def _applies(self, receiver: QObject) -> bool:
        if not isinstance(receiver, QWidget) or receiver.window() is not self._window:
            return False
        focus = receiver  # key events are delivered to the focused widget first
        if isinstance(focus, _text_fields()):
            return False
        return not (isinstance(focus, QComboBox) and focus.isEditable())

    def eventFilter(self, receiver: QObject, event: QEvent) -> bool:  # Qt naming
        kind = event.type()
        if kind is not _PRESS and kind is not _RELEASE:
            return False
        assert isinstance(event, QKeyEvent)
        if event.key() != self.key or not self._applies(receiver):
            return False
        if event.isAutoRepeat():
            return True
        if kind == QEvent.Type.KeyPress and not self._held:
            self._held = True
            self._button.key_pressed()
        elif kind == QEvent.Type.KeyRelease and self._held:
            self._held = False
            self._button.key_released()
        return True
