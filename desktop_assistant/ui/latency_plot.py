"""A small QPainter plot: first-audio latency per turn over time (PySide6-Essentials
has no QtCharts). Points are (label, milliseconds); the goal line is drawn dashed."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

GOAL_MS = 1500.0


class LatencyPlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latencyPlot")
        self.setAccessibleName("First-audio latency per turn")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(110)
        self._points: list[tuple[str, float]] = []

    @property
    def points(self) -> list[tuple[str, float]]:
        return list(self._points)

    def sizeHint(self) -> QSize:  # Qt naming
        return QSize(360, 120)

    def set_points(self, points: Sequence[tuple[str, float]]) -> None:
        self._points = [(label, float(ms)) for label, ms in points if ms is not None]
        if self._points:
            values = sorted(ms for _, ms in self._points)
            median = values[len(values) // 2]
            self.setToolTip(
                f"{len(values)} turns; median first audio {median / 1000:.2f} s, "
                f"worst {values[-1] / 1000:.2f} s"
            )
        else:
            self.setToolTip("No spoken turns yet")
        self.setAccessibleDescription(self.toolTip())
        self.update()

    def paintEvent(self, event: object) -> None:  # Qt naming
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        frame = QRectF(self.rect()).adjusted(40, 8, -8, -18)
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.drawRect(frame)
        if not self._points:
            painter.setPen(text)
            painter.drawText(frame, Qt.AlignmentFlag.AlignCenter, "No spoken turns yet")
            painter.end()
            return
        top = max(GOAL_MS * 1.2, max(ms for _, ms in self._points) * 1.1)
        painter.setPen(text)
        painter.drawText(
            QRectF(0, frame.top() - 6, 36, 14), Qt.AlignmentFlag.AlignRight, f"{top / 1000:.1f}s"
        )
        painter.drawText(QRectF(0, frame.bottom() - 8, 36, 14), Qt.AlignmentFlag.AlignRight, "0s")
        goal_y = frame.bottom() - frame.height() * GOAL_MS / top
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(frame.left(), goal_y), QPointF(frame.right(), goal_y))
        n = len(self._points)
        step = frame.width() / max(1, n - 1)
        path = QPainterPath()
        dots = []
        for i, (_, ms) in enumerate(self._points):
            x = frame.left() + (step * i if n > 1 else frame.width() / 2)
            y = frame.bottom() - frame.height() * min(ms, top) / top
            dots.append(QPointF(x, y))
            path.moveTo(x, y) if i == 0 else path.lineTo(x, y)
        highlight = pal.color(QPalette.ColorRole.Highlight)
        painter.setPen(QPen(highlight, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setBrush(highlight)
        for dot in dots:
            painter.drawEllipse(dot, 2.5, 2.5)
        painter.setPen(text)
        painter.drawText(
            QRectF(frame.left(), frame.bottom() + 2, frame.width() / 2, 14),
            Qt.AlignmentFlag.AlignLeft,
            self._points[0][0],
        )
        painter.drawText(
            QRectF(frame.center().x(), frame.bottom() + 2, frame.width() / 2, 14),
            Qt.AlignmentFlag.AlignRight,
            self._points[-1][0],
        )
        painter.end()
