"""Where windows open: every window fits the available area of its screen, dialogs open
centred on their parent, and a window asked to come forward does (also out of the tray).

The rectangles here are *frame* rectangles (the window plus the window manager's title bar
and borders), in Qt's logical pixels: with `QT_SCALE_FACTOR=2` a 1600×1000 screen is
800×500. A window whose frame is not yet known (not shown yet) is given a guessed frame.

`fit_frame` and `centred` are pure geometry (unit-tested); the rest apply them to widgets.
Nothing here uses PySide6's `Qt` namespace: the main window is sized before its first frame
(docs/ARCHITECTURE.md, Start-up).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QByteArray, QMargins, QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# A typical title bar and border in device pixels, for a window the window manager has not framed yet.
GUESSED_TITLE_PX = 32
GUESSED_BORDER_PX = 4


def fit_frame(frame: QRect, available: QRect, minimum: QSize | None = None) -> QRect:
    """`frame` moved, and shrunk if it is larger (never below `minimum`), to lie inside `available`.

    When even the minimum does not fit, the frame keeps to the top-left of `available`, so its
    title bar stays on screen.
    """
    minimum = minimum or QSize(0, 0)
    width = max(min(frame.width(), available.width()), minimum.width())
    height = max(min(frame.height(), available.height()), minimum.height())
    x = max(min(frame.x(), available.x() + available.width() - width), available.x())
    y = max(min(frame.y(), available.y() + available.height() - height), available.y())
    return QRect(x, y, width, height)


def centred(size: QSize, on: QRect, available: QRect, minimum: QSize | None = None) -> QRect:
    """A frame of `size` centred on `on` (the parent's frame), then fitted into `available`."""
    x = on.x() + (on.width() - size.width()) // 2
    y = on.y() + (on.height() - size.height()) // 2
    return fit_frame(QRect(x, y, size.width(), size.height()), available, minimum)


# ---------------------------------------------------------------- widgets


def screen_of(widget: QWidget, near: QWidget | None = None) -> Any:
    """The screen `near` (else `widget`) is mostly on, else the primary screen."""
    for candidate in (near, widget):
        if candidate is not None and candidate.isVisible():
            screen = QGuiApplication.screenAt(candidate.frameGeometry().center())
            if screen is not None:
                return screen
    return (near or widget).screen() or QGuiApplication.primaryScreen()


def frame_margins(widget: QWidget, like: QWidget | None = None) -> QMargins:
    """The window manager's frame around `widget`; for a window not framed yet, that of `like`
    (a framed window of the same app) or a guess."""
    for candidate in (widget, like):
        if candidate is not None and candidate.isVisible():
            outer, inner = candidate.frameGeometry(), candidate.geometry()
            if outer != inner:
                return QMargins(inner.left() - outer.left(), inner.top() - outer.top(),
                                outer.right() - inner.right(), outer.bottom() - inner.bottom())
    ratio = screen_of(widget, like).devicePixelRatio() or 1.0
    border, title = math.ceil(GUESSED_BORDER_PX / ratio), math.ceil(GUESSED_TITLE_PX / ratio)
    return QMargins(border, title, border, border)


def _grow(size: QSize, margins: QMargins) -> QSize:
    return QSize(size.width() + margins.left() + margins.right(), size.height() + margins.top() + margins.bottom())


def _set_frame(widget: QWidget, frame: QRect, margins: QMargins) -> None:
    """Give `widget` the frame rectangle `frame` (`move` places a window's frame, `resize` its inside)."""
    inner = frame.marginsRemoved(margins)
    if inner.size() != widget.size():
        widget.resize(inner.size())
    if frame.topLeft() != widget.pos():
        widget.move(frame.topLeft())


def _minimum(widget: QWidget) -> QSize:
    return widget.minimumSize().expandedTo(widget.minimumSizeHint())


def size_to_screen(widget: QWidget, wanted: QSize, restored: QByteArray | None = None) -> None:
    """Before the first show: `restored` geometry if any, else `wanted`, shrunk and moved to fit
    the screen (the window manager places a window that was given no position)."""
    if restored is not None and widget.restoreGeometry(restored):
        if widget.isMaximized() or widget.isFullScreen():
            return
        margins = frame_margins(widget)
        frame = QRect(widget.pos(), _grow(widget.size(), margins))
        _set_frame(widget, fit_frame(frame, screen_of(widget).availableGeometry(), _grow(_minimum(widget), margins)),
                   margins)
        return
    margins = frame_margins(widget)
    available = screen_of(widget).availableGeometry()
    fitted = fit_frame(QRect(available.topLeft(), _grow(wanted, margins)), available,
                       _grow(_minimum(widget), margins))
    widget.resize(fitted.marginsRemoved(margins).size())


def keep_on_screen(widget: QWidget) -> bool:
    """Once shown (its real frame known): move/shrink it inside its screen. True when it had to."""
    if not widget.isVisible() or widget.isMaximized() or widget.isFullScreen():
        return False
    margins = frame_margins(widget)
    frame = widget.frameGeometry()
    fitted = fit_frame(frame, screen_of(widget).availableGeometry(), _grow(_minimum(widget), margins))
    if fitted == frame:
        return False
    _set_frame(widget, fitted, margins)
    return True


def show_centred(window: QWidget, parent: QWidget) -> None:
    """Open `window` centred on `parent`, fully on the parent's screen, and bring it forward.

    A window already open is only brought forward (the user may have moved it)."""
    if not window.isVisible():
        margins = frame_margins(window, like=parent)
        available = screen_of(window, near=parent).availableGeometry()
        window.ensurePolished()
        size = window.size() if window.testAttribute(_resized()) else window.sizeHint()
        minimum = _grow(_minimum(window), margins)
        on = parent.frameGeometry() if parent.isVisible() else available
        _set_frame(window, centred(_grow(size, margins), on, available, minimum), margins)
    bring_forward(window)


def _resized() -> Any:
    from PySide6.QtCore import Qt

    return Qt.WidgetAttribute.WA_Resized


def bring_forward(window: QWidget) -> None:
    """Show `window` (also when hidden to the tray, minimised, or unmapped by another client),
    raise it and ask the window manager to activate it (_NET_ACTIVE_WINDOW on X11)."""
    from PySide6.QtCore import Qt

    handle = window.windowHandle()
    if window.isVisible() and not window.isMinimized() and handle is not None and not handle.isExposed():
        window.hide()  # unmapped behind Qt's back (it still thinks it is shown): map it again
    window.show()
    window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.raise_()
    window.activateWindow()


def describe(widget: QWidget) -> str:
    """`WxH+X+Y` of a widget on the screen, in logical pixels (for the log)."""
    top_left: QPoint = widget.mapToGlobal(QPoint(0, 0))
    return f"{widget.width()}x{widget.height()}+{top_left.x()}+{top_left.y()}"
