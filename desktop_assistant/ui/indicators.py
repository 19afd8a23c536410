"""Two small widgets of the main window that show a state: the Mute toggle and the
state label ("Thinking…" animated while the engine thinks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPainter

if TYPE_CHECKING:
    from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QLabel, QToolButton, QWidget

MUTE_TEXT = {False: "Mute speech", True: "Speech muted"}
MUTE_TIP = {
    False: "Show replies without speaking them",
    True: "Speech is muted: replies are shown, not spoken. Click to hear them again.",
}


class MuteButton(QToolButton):
    """A toggle whose look (checked fill), text and tooltip say whether speech is muted,
    however it was set: by a click or by `setChecked` (also with its signals blocked)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("muteButton")
        self.setCheckable(True)
        self._show_state()

    def checkStateSet(self) -> None:  # Qt naming: setChecked() from code
        super().checkStateSet()
        self._show_state()

    def nextCheckState(self) -> None:  # Qt naming: a click
        super().nextCheckState()
        self._show_state()

    def _show_state(self) -> None:
        muted = self.isChecked()
        self.setText(MUTE_TEXT[muted])
        self.setAccessibleName(MUTE_TEXT[muted])
        self.setToolTip(MUTE_TIP[muted])


class StateLabel(QLabel):
    """The engine's state in words. While thinking, the dots after "Thinking" count up
    (one, two, three) on a timer that runs only then; `text()` stays the plain state."""

    STEP_MS = 350

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stateLabel")
        self.setAccessibleName("State")
        self._dots = 0
        self._timer: QTimer | None = None  # made on the first "thinking", after the first frame

    @property
    def animating(self) -> bool:
        return self._timer is not None and self._timer.isActive()

    @property
    def shown_text(self) -> str:
        """What is painted now."""
        if not self.animating:
            return self.text()
        return self.text().rstrip("….") + "." * self._dots

    def follow(self, state: str) -> None:
        """Connected to the window's `state_changed`."""
        if state == "thinking":
            if self._timer is None:
                self._timer = QTimer(self)
                self._timer.setInterval(self.STEP_MS)
                self._timer.timeout.connect(self._step)
            if not self._timer.isActive():
                self._dots = 1
                self._timer.start()
        elif self._timer is not None and self._timer.isActive():
            self._timer.stop()
            self._dots = 0
        self.update()

    def _step(self) -> None:
        self._dots = self._dots % 3 + 1
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt naming
        if not self.animating:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            self.alignment(),
            self.palette(),
            self.isEnabled(),
            self.shown_text,
            self.foregroundRole(),
        )
        painter.end()
