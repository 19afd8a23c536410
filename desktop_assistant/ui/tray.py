"""The tray icon: show/hide the window, new conversation, quit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from desktop_assistant import APP_TITLE
from desktop_assistant.ui.placement import bring_forward

if TYPE_CHECKING:
    from desktop_assistant.ui.main_window import MainWindow


def tray_menu(window: MainWindow) -> QMenu:
    """The tray's menu (also used on desktops without a tray, e.g. for tests)."""
    menu = QMenu(window)
    toggle = QAction("Show/Hide", menu)
    toggle.triggered.connect(lambda: toggle_window(window))
    new = QAction("New conversation", menu)
    new.triggered.connect(window.new_conversation)
    quit_ = QAction("Quit", menu)
    quit_.triggered.connect(window.close)
    for action in (toggle, new, quit_):
        menu.addAction(action)
    return menu


def toggle_window(window: MainWindow) -> None:
    if window.isVisible() and not window.isMinimized():
        window.hide()
    else:
        bring_forward(window)


def install_tray(window: MainWindow) -> QSystemTrayIcon | None:
    """A tray icon for `window`, or None when the desktop has no system tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    icon = QSystemTrayIcon(QApplication.windowIcon(), window)
    icon.setToolTip(APP_TITLE)
    icon.setContextMenu(tray_menu(window))
    icon.activated.connect(
        lambda reason: toggle_window(window) if reason == QSystemTrayIcon.ActivationReason.Trigger else None
    )
    window.closed.connect(icon.hide)
    icon.show()
    return icon
