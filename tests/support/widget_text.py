"""Where a window draws text: (name, rectangle in the window's pixels) for every visible
label, button, field, tab, list row and plot label, for `support.contrast` to measure.

Disabled controls are left out (WCAG exempts inactive components); disabled labels are
kept, since the app uses them for hints. Rectangles are inset past the controls' own
borders so that only the text and its background are inside.
"""

from __future__ import annotations

from typing import Any

Rect = tuple[int, int, int, int]


def _rect(widget: Any, window: Any, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0) -> Rect:
    from PySide6.QtCore import QPoint

    origin = widget.mapTo(window, QPoint(0, 0))
    r = widget.rect()
    return (origin.x() + left, origin.y() + top, r.width() - left - right, r.height() - top - bottom)


def _name(widget: Any, text: str) -> str:
    return f"{type(widget).__name__}#{widget.objectName() or '-'} {text[:30]!r}"


def _shown(widget: Any, window: Any) -> bool:
    return widget.isVisibleTo(window) and widget.isVisible() and widget.width() > 4 and widget.height() > 4


def text_rects(window: Any, skip: set[Any] | frozenset[Any] = frozenset()) -> list[tuple[str, Rect]]:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSpinBox,
        QCheckBox,
        QComboBox,
        QLabel,
        QLineEdit,
        QListView,
        QPushButton,
        QTabBar,
        QWidget,
    )

    found: list[tuple[str, Rect]] = []
    for w in window.findChildren(QWidget):
        if w in skip or not _shown(w, window):
            continue
        if isinstance(w, QLabel) and w.text().strip() and w.pixmap().isNull():
            found.append((_name(w, w.text()), _rect(w, window)))
        elif isinstance(w, QCheckBox) and w.isEnabled() and w.text():
            found.append((_name(w, w.text()), _rect(w, window, left=22, top=1, bottom=1)))
        elif isinstance(w, QAbstractButton) and w.isEnabled() and w.text():
            inset = 16 if isinstance(w, QPushButton) and w.objectName() == "pushToTalk" else 4
            found.append((_name(w, w.text()), _rect(w, window, inset, inset, inset, inset)))
        elif isinstance(w, QLineEdit) and w.isEnabled() and (w.text() or w.placeholderText()):
            if not isinstance(w.parent(), QAbstractSpinBox | QComboBox):
                found.append((_name(w, w.text() or w.placeholderText()), _rect(w, window, 4, 4, 4, 4)))
        elif isinstance(w, QComboBox) and w.isEnabled() and w.currentText():
            found.append((_name(w, w.currentText()), _rect(w, window, 4, 4, 26, 4)))
        elif isinstance(w, QAbstractSpinBox) and w.isEnabled():
            found.append((_name(w, w.text()), _rect(w, window, 4, 4, 22, 4)))
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                tab = w.tabRect(i)
                x, y, _, _ = _rect(w, window)
                inside = (x + tab.x() + 5, y + tab.y() + 5, tab.width() - 10, tab.height() - 8)
                found.append((f"tab {w.tabText(i)!r}", inside))
        elif isinstance(w, QListView) and w.model() is not None and type(w).__name__ == "QListView":
            found.extend(_list_rows(w, window))
        elif w.objectName() == "latencyPlot":
            x, y, width, height = _rect(w, window)
            found.append(("latency plot: axis labels", (x, y, 38, height)))
            found.append(("latency plot: legend", (x + 40, y + 8, width - 48, 14)))
            found.append(("latency plot: time labels", (x + 40, y + height - 17, width - 48, 16)))
    return found


def _list_rows(view: Any, window: Any) -> list[tuple[str, Rect]]:
    """The history list: each row's day header (when it has one) and its two lines."""
    from PySide6.QtCore import QPoint

    origin = view.viewport().mapTo(window, QPoint(0, 0))
    rows: list[tuple[str, Rect]] = []
    model = view.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        r = view.visualRect(index)
        if r.bottom() > view.viewport().height():
            break
        delegate = view.itemDelegate()
        header = delegate.HEADER if hasattr(delegate, "_has_header") and delegate._has_header(index) else 0
        x, y, width = origin.x() + r.x() + 2, origin.y() + r.y(), r.width() - 4
        if header:
            rows.append((f"list row {row}: day", (x, y, width, header)))
        rows.append((f"list row {row}", (x, y + header, width, r.height() - header)))
    return rows
