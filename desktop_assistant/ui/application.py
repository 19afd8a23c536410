"""Start Qt, show the main window, run the event loop."""

from __future__ import annotations

import logging
import sys
from typing import Any

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desktop_assistant import APP_NAME, APP_TITLE, __version__
from desktop_assistant.paths import resource_path
from desktop_assistant.ui.qt_log import route_qt_messages

log = logging.getLogger(__name__)


def qt_application() -> QApplication:
    route_qt_messages()
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setApplicationName(APP_NAME)
    qapp.setApplicationDisplayName(APP_TITLE)
    qapp.setApplicationVersion(__version__)
    qapp.setDesktopFileName(APP_NAME)
    qapp.setWindowIcon(QIcon(str(resource_path("icons", "desktop-assistant.svg"))))
    return qapp


def build_main_window(app: Any) -> Any:
    """The main window wired to the app (used by `run` and by the smoke test)."""
    from desktop_assistant.ui.main_window import MainWindow

    return MainWindow(app)


def run(app: Any) -> int:
    qapp = qt_application()
    window = build_main_window(app)
    window.show()
    log.info("main window shown")
    return qapp.exec()
