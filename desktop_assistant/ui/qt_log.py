"""Route Qt's own messages (qDebug/qWarning/…) into Python logging."""

from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

log = logging.getLogger("qt")
_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
# Harmless platform-plugin chatter (offscreen/minimal platforms) kept out of the console.
_QUIET = ("This plugin does not support propagateSizeHints()",)


def _handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    where = f" ({context.category})" if context.category and context.category != "default" else ""
    level = logging.DEBUG if message.startswith(_QUIET) else _LEVELS.get(kind, logging.WARNING)
    log.log(level, "%s%s", message, where)


def route_qt_messages() -> None:
    qInstallMessageHandler(_handler)
