"""The listening indicator: a small always-on-top window, "Listening…" with Send and Stop, shown
while the microphone is on and the main window cannot be seen (hidden in the tray, minimised, or
unmapped), e.g. when listening started from the tray, `desktop-assistant ptt` or a global hotkey.
The user always sees that the microphone is on, and can end it, without the main window.

It never takes the keyboard focus (the user is working in another window) and goes away when
listening ends or the main window shows again. Its colours are the recording fill of the talk
button (resources/styles/app.qss), readable in light and dark.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop_assistant.ui.talk_control import TalkControl

if TYPE_CHECKING:
    from desktop_assistant.ui.main_window import MainWindow

log = logging.getLogger(__name__)

MARGIN_PX = 12  # from the top of the screen's available area
# The main window's events after which it may have been hidden or shown again.
_VISIBILITY_EVENTS = frozenset({QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.WindowStateChange,
                                QEvent.Type.Expose})


def window_unseen(window: QWidget) -> bool:
    """The user cannot see `window`: hidden (e.g. to the tray), minimised, or not mapped on screen."""
    if not window.isVisible() or window.isMinimized():
        return True
    handle = window.windowHandle()
    return handle is not None and not handle.isExposed()


class ListeningIndicator(QFrame):
    """Follows `window`: shown exactly while its state is "listening" and it cannot be seen."""

    def __init__(self, window: MainWindow) -> None:
        from PySide6.QtCore import Qt

        super().__init__(None)  # a window of its own: it must show while the main window is hidden
        self._window = window
        self._talk = TalkControl(window)
        self.setObjectName("listeningIndicator")
        self.setWindowFlags(Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                            | Qt.WindowType.WindowStaysOnTopHint | Qt.WindowType.WindowDoesNotAcceptFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setWindowTitle("Listening")
        self.setAccessibleName("Microphone on: listening")
        self.setAccessibleDescription("Desktop Assistant is listening. Send what you said, or Stop without sending.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        self.label = QLabel("Listening…", self)
        self.label.setObjectName("listeningText")
        self.send_button = QPushButton("Send", self)
        self.send_button.setAccessibleDescription("Stop listening and send what you said")
        self.send_button.clicked.connect(self._talk.release)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setAccessibleDescription("Stop listening without sending")
        self.stop_button.clicked.connect(self._talk.stop)
        for button in (self.send_button, self.stop_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a click must not take the focus from the user's window
        layout.addWidget(self.label)
        layout.addSpacing(8)
        layout.addWidget(self.send_button)
        layout.addWidget(self.stop_button)
        window.state_changed.connect(lambda _state: self.follow())
        window.installEventFilter(self)
        self._watched_handle: QObject | None = None
        window.closed.connect(self.close)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt naming
        if event.type() in _VISIBILITY_EVENTS:
            QTimer.singleShot(0, self, self.follow)  # once Qt has updated what the event changes
        return False

    def follow(self) -> None:
        """Show or hide for the window's state and visibility now."""
        self._watch_handle()
        wanted = self._window.state == "listening" and window_unseen(self._window)
        if wanted and not self.isVisible():
            self._place()
            self.show()
            log.info("listening indicator shown (the main window is not visible)")
        elif not wanted and self.isVisible():
            self.hide()
            log.info("listening indicator hidden")

    def _watch_handle(self) -> None:
        """The window's native window tells when it is unmapped behind Qt's back (its expose events)."""
        handle = self._window.windowHandle()
        if handle is not None and handle is not self._watched_handle:
            handle.installEventFilter(self)
            self._watched_handle = handle

    def _place(self) -> None:
        self.adjustSize()
        screen = self._window.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        self.move(area.x() + (area.width() - self.width()) // 2, area.y() + MARGIN_PX)


def install_indicator(window: MainWindow) -> ListeningIndicator:
    indicator = ListeningIndicator(window)
    indicator.follow()
    return indicator
