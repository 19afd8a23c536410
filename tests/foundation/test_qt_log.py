"""Qt's own messages end up in the app's logging."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import qWarning

from desktop_assistant.ui.qt_log import route_qt_messages

pytestmark = pytest.mark.gui


def test_qt_warnings_are_routed_into_logging(caplog: pytest.LogCaptureFixture, qapp) -> None:
    route_qt_messages()
    with caplog.at_level(logging.DEBUG, logger="qt"):
        qWarning("a warning from inside Qt")
        qWarning("This plugin does not support propagateSizeHints()")
    levels = {r.getMessage(): r.levelno for r in caplog.records if r.name == "qt"}
    assert levels["a warning from inside Qt"] == logging.WARNING
    assert levels["This plugin does not support propagateSizeHints()"] == logging.DEBUG
