"""The push-to-talk control: a big button (hold, or click-to-toggle) and the
push-to-talk key, both reduced to two signals: `talk_started` / `talk_ended`.

`PushToTalkKey` is an application event filter: while a widget of the main
window has focus and that widget is not a text field, holding the configured
key (default Space) talks. Auto-repeat is swallowed, so one hold is one turn.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QWidget

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # imported where used, after the first frame (see ui/application.py)
    from PySide6.QtCore import Qt, QTimer


_LABELS = {
    ("hold", False): "Hold to talk",
    ("hold", True): "Listening…\nrelease to send",
    ("toggle", False): "Click to talk",
    ("toggle", True): "Listening…\nclick to send",
}


@functools.cache
def _activate_keys() -> tuple[Qt.Key, ...]:
    """The keys that press a focused button (Qt's enums are made on first use, after the first frame)."""
    from PySide6.QtCore import Qt

    return (Qt.Key.Key_Space, Qt.Key.Key_Select)


def _is_left(event: QMouseEvent) -> bool:
    from PySide6.QtCore import Qt

    return event.button() == Qt.MouseButton.LeftButton


class PushToTalkButton(QPushButton):
    """Two separate truths: what the user holds (`held`: a physical press not yet released, or
    toggled on) and what the engine says (`set_listening`: the microphone is on). Only the user's
    gesture changes `held`, so a release always ends the press it belongs to, whatever the
    engine did meanwhile; only the engine's word makes the button say "Listening…"."""

    talk_started = Signal()
    talk_ended = Signal()

    def __init__(self, mode: str = "hold", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pushToTalk")
        # Its accessible name is its text ("Hold to talk", "Listening… release to send"): what the
        # user sees is what a screen reader says. (Focus: StrongFocus, a QPushButton's default.)
        self._mode = "hold"
        self._held = False
        self._held_since = 0.0
        self.last_hold_s = 0.0  # how long the last gesture held the button (or toggled it on)
        self._listening = False
        self.set_mode(mode)

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def active(self) -> bool:
        """The user holds the button or the key (or toggled talking on)."""
        return self._held

    @property
    def listening(self) -> bool:
        return self._listening

    def set_mode(self, mode: str) -> None:
        mode = "toggle" if mode == "toggle" else "hold"
        if self._held and mode != self._mode:  # (the same mode, shown again with other settings, keeps a press)
            self.end()
        self._mode = mode
        self.setAccessibleDescription(
            "Press and hold to speak; release to send"
            if self._mode == "hold"
            else "Click to start, click again to send"
        )
        self._refresh()

    # The mouse: one physical press is one gesture, wherever the pointer is when it is released
    # (QPushButton's own pressed/released pair repeats when the pointer leaves and comes back).
    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt naming
        super().mousePressEvent(event)
        if _is_left(event):
            self.key_pressed()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # Qt naming
        super().mouseReleaseEvent(event)
        if _is_left(event):
            self.key_released()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt naming: Space on the focused button
        if event.key() in _activate_keys():
            if not event.isAutoRepeat():
                self.key_pressed()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # Qt naming
        if event.key() in _activate_keys():
            if not event.isAutoRepeat():
                self.key_released()
            return
        super().keyReleaseEvent(event)

    # The gestures (mouse, the push-to-talk key filter, tests).
    def begin(self) -> None:
        if self._held or not self.isEnabled():
            return
        self._held = True
        self._held_since = time.monotonic()
        log.info("push-to-talk held")  # (with "let go", what the storm tests check the microphone against)
        self._refresh()
        self.talk_started.emit()

    def end(self) -> None:
        if not self._held:
            return
        self._held = False
        self.last_hold_s = time.monotonic() - self._held_since
        log.info("push-to-talk let go after %.2f s", self.last_hold_s)
        self._refresh()
        self.talk_ended.emit()

    def key_pressed(self) -> None:
        if self._mode == "hold" or not self._held:
            self.begin()
        else:
            self.end()

    def key_released(self) -> None:
        if self._mode == "hold":
            self.end()

    # The engine's word.
    def set_listening(self, listening: bool) -> None:
        """The microphone is on (or off): only the label and look change, never the user's hold."""
        self._listening = listening
        self._refresh()

    def recording_ended(self) -> None:
        """The engine closed the microphone by itself (Stop, its time limit, a failure). A toggle is
        turned off, so the next click starts anew; a held press still ends with its release."""
        if self._mode == "toggle":
            self._held = False
        self.set_listening(False)

    def set_compact(self, compact: bool) -> None:
        """One line of text in a slimmer button (app.qss), for a short window."""
        if bool(self.property("compact") == "true") == compact:
            return
        self.setProperty("compact", "true" if compact else "false")
        self._refresh()
        if self.isVisible():
            self.style().unpolish(self)
            self.style().polish(self)

    def _refresh(self) -> None:
        on = self._listening
        text = _LABELS[(self._mode, on)]
        self.setText(text.replace("\n", " ") if self.property("compact") == "true" else text)
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
    key = seq[0].key()  # type: ignore[index]  # PySide6's stubs lack QKeySequence.__getitem__ (operator[])
    return key if key != Qt.Key.Key_unknown else Qt.Key.Key_Space


_PRESS, _RELEASE = QEvent.Type.KeyPress, QEvent.Type.KeyRelease


@functools.cache
def _text_fields() -> tuple[type, ...]:
    """Widgets where the push-to-talk key types (their Python types are made on first use)."""
    from PySide6.QtWidgets import QAbstractSpinBox, QKeySequenceEdit, QPlainTextEdit, QTextEdit

    return (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QKeySequenceEdit)


# Without XKB detectable auto-repeat, an X11 key repeat arrives as a release and a press with the
# same timestamp, which Qt does not always flag (on a loaded 2-core machine: 97 of 249 releases in
# three 2.5 s holds). A release is therefore confirmed only when no press of the same key with the
# same timestamp follows within this time; in that run the press of a repeat pair reached the
# window at most 6 ms after its release.
RELEASE_CONFIRM_MS = 50


class PushToTalkKey(QObject):
    """The push-to-talk key drives `button` while a widget of `window` has focus.

    The filter sits on the window's focusable widgets (not on the whole application, which
    would run Python for every Qt event), so it sees the key before the focused widget does:
    a focused button, combo box or check box never acts on the push-to-talk key.
    Call `watch()` once the window's widgets exist (the main window does, just after its first
    frame), and again after adding focusable widgets.

    One physical hold is one press and one release, whatever the key repeat does: repeated
    presses while held are swallowed, and a release waits `confirm_ms` for the press of a repeat
    pair (on X11 without detectable auto-repeat only: `set_x11_autorepeat`).
    Printable keys typed while no text field has focus go to `type_target` (type-to-focus);
    the push-to-talk key talks unless the user is typing (a text field with text in it).
    """

    def __init__(self, window: QWidget, button: PushToTalkButton, key_name: str = "Space",
                 type_target: QLineEdit | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._button = button
        self._key_name = key_name
        self._key: Qt.Key | None = None  # parsed on first use (after the first frame)
        self._held = False
        self._watched: set[int] = set()
        self._type_target = type_target
        self.confirm_ms = 0  # elsewhere than X11 repeats are flagged (see `set_x11_autorepeat`)
        self._pending_release: QTimer | None = None
        self._release_time = -1  # the X server time of the release waiting for confirmation
        self.repeats_absorbed = 0  # release/press pairs of a key repeat that were not flagged

    def set_x11_autorepeat(self, detectable: bool) -> None:
        """On X11: with detectable auto-repeat the server sends no releases for repeats, so a
        release is real at once; without it, a release waits `RELEASE_CONFIRM_MS` for its pair."""
        self.confirm_ms = 0 if detectable else RELEASE_CONFIRM_MS

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
        self._cancel_pending()
        if self._held:
            self._held = False
            self._button.key_released()

    def set_key(self, key_name: str) -> None:
        if key_name == self._key_name:  # shown again with other settings: a key held stays held
            return
        self.release()
        self._key_name, self._key = key_name, None

    @property
    def key(self) -> Qt.Key:
        if self._key is None:
            self._key = parse_key(self._key_name)
        return self._key

    @property
    def held(self) -> bool:
        return self._held

    def detach(self) -> None:
        self._cancel_pending()
        for widget in [self._window, *self._window.findChildren(QWidget)]:
            widget.removeEventFilter(self)
        self._watched.clear()

    def _typing_in(self, receiver: QObject) -> bool:
        """The key goes to a text field the user is typing in (an empty message box is not typing)."""
        if isinstance(receiver, QLineEdit):
            return receiver is not self._type_target or bool(receiver.text())
        if isinstance(receiver, _text_fields()):
            return True
        return isinstance(receiver, QComboBox) and receiver.isEditable()

    def _applies(self, receiver: QObject) -> bool:
        if not isinstance(receiver, QWidget) or receiver.window() is not self._window:
            return False
        return not self._typing_in(receiver)  # key events are delivered to the focused widget first

    def eventFilter(self, receiver: QObject, event: QEvent) -> bool:  # Qt naming
        kind = event.type()
        if kind is not _PRESS and kind is not _RELEASE:
            return False
        assert isinstance(event, QKeyEvent)
        if event.key() != self.key or not self._applies(receiver):
            return kind is _PRESS and self._type_to_focus(receiver, event)
        if event.isAutoRepeat():
            return True
        if kind is _PRESS:
            if self._pending_release is not None:
                if event.timestamp() == self._release_time != 0:  # the press of an unflagged repeat pair
                    self._cancel_pending()
                    self.repeats_absorbed += 1
                    return True
                self._confirm_release()  # a real release, then a new press
            if not self._held:
                self._held = True
                self._button.key_pressed()
        elif self._held and self._pending_release is None:
            if self.confirm_ms <= 0:
                self._confirm_release()
            else:
                from PySide6.QtCore import QTimer

                self._release_time = event.timestamp()
                timer = self._pending_release = QTimer(self)
                timer.setSingleShot(True)
                timer.timeout.connect(self._confirm_release)
                timer.start(self.confirm_ms)
        return True

    def _confirm_release(self) -> None:
        self._cancel_pending()
        if self._held:
            self._held = False
            self._button.key_released()

    def _cancel_pending(self) -> None:
        timer, self._pending_release = self._pending_release, None
        if timer is not None:
            timer.stop()
            timer.deleteLater()

    def _type_to_focus(self, receiver: QObject, event: QKeyEvent) -> bool:
        """A printable key pressed where nothing takes text goes into the message box."""
        target = self._type_target
        if target is None or not isinstance(receiver, QWidget) or receiver.window() is not self._window:
            return False
        if receiver is target or isinstance(receiver, (*_text_fields(), QComboBox)):
            return False  # text fields type; a combo box finds items by their first letters
        text = event.text()
        if not text or not text.isprintable() or _has_command_modifier(event):
            return False
        target.setFocus()
        target.insert(text)
        return True


def _has_command_modifier(event: QKeyEvent) -> bool:
    from PySide6.QtCore import Qt

    mods = event.modifiers()
    return bool(mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                        | Qt.KeyboardModifier.MetaModifier))
