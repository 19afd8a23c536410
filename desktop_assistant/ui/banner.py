"""A non-modal message strip: the cause of a problem and the action that fixes it.

Problems are shown here, never in dialogs. `Banner.show_problem()` replaces the
current message; the close button (or `clear()`) hides it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from desktop_assistant.ui.accessibility import announce

# The banner's accessible name by severity (the message is its text; the text box is "Message").
TITLES = {"error": "Problem", "warning": "Warning", "info": "Notice"}


log = logging.getLogger(__name__)

class Banner(QFrame):
    action_triggered = Signal(str)  # the action's key, e.g. "settings"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAccessibleName(TITLES["info"])
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self._text = QLabel(self)
        self._text.setObjectName("bannerText")
        self._text.setWordWrap(True)
        self._action = QPushButton(self)  # its accessible name is its text ("Open Settings")
        self._close = QToolButton(self)
        self._close.setObjectName("bannerClose")
        self._close.setText("✕")
        self._close.setAccessibleName("Dismiss")
        self._close.setToolTip("Hide this message")
        self._close.setAutoRaise(True)
        layout.addWidget(self._text, 1)
        layout.addWidget(self._action)
        layout.addWidget(self._close)
        self._action_key = ""
        self._callback: Callable[[], None] | None = None
        self.kind = ""
        self._action.clicked.connect(self._on_action)
        self._close.clicked.connect(self.clear)
        self.hide()

    @property
    def text(self) -> str:
        return self._text.text()

    @property
    def action_text(self) -> str:
        return self._action.text() if not self._action.isHidden() else ""

    def show_problem(
        self,
        message: str,
        action_text: str | None = None,
        action_key: str = "",
        *,
        severity: str = "error",
        kind: str = "",
        callback: Callable[[], None] | None = None,
    ) -> None:
        from PySide6.QtCore import Qt  # not in __init__: see below

        self.kind = kind
        # Selectable from the first problem on. Not set in __init__: the banner is built before
        # the first frame, which uses no Qt.* enum (that would cost ~13 ms, see ui/application.py).
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._text.setText(message)
        self._action_key = action_key
        self._callback = callback
        self._action.setText(action_text or "")
        self._action.setVisible(bool(action_text))
        for widget in (self, self._text, self._close):  # app.qss colours each by severity
            widget.setProperty("severity", severity)
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self.setAccessibleName(TITLES.get(severity, TITLES["error"]))
        self.setAccessibleDescription(message)
        self._action.setAccessibleDescription(message)  # what the button fixes, read after its name
        self.show()
        announce(self._text, message, assertive=severity != "info")

    def clear(self, kind: str | None = None) -> None:
        """Hide the banner (only if it shows `kind`, when given)."""
        if kind is not None and kind != self.kind:
            return
        if self.kind:
            log.info("banner cleared (%s)", self.kind)
        self.kind = ""
        self.hide()

    def _on_action(self) -> None:
        if self._callback is not None:
            self._callback()
        self.action_triggered.emit(self._action_key)
