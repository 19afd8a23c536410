"""A small QPainter plot of the latency per turn over time (PySide6-Essentials has no QtCharts).

Two series, each turn one point of each it has: release (or send) → first audio, and release →
final transcript (spoken turns). A legend names them; the goal line is drawn dashed. The tooltip
(also the accessible description) gives each series' median and worst."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

GOAL_MS = 1500.0
LEGEND_H = 14.0


class LatencyPoint(NamedTuple):
    label: str  # when the turn was (the axis shows the first and last)
    first_audio_ms: float | None
    final_transcript_ms: float | None = None


#: (field of LatencyPoint, the name in the legend and the tooltip)
SERIES = (("first_audio_ms", "first audio"), ("final_transcript_ms", "final transcript"))


def summary(points: Sequence[LatencyPoint]) -> str:
    """The tooltip: per series, how many turns, the median and the worst."""
    if not points:
        return "No spoken turns yet"
    parts = [f"{len(points)} turns"]
    for field, name in SERIES:
        values = sorted(v for p in points if (v := getattr(p, field)) is not None)
        if values:
            median = values[len(values) // 2]
            parts.append(f"{name}: median {median / 1000:.2f} s, worst {values[-1] / 1000:.2f} s"
                         + (f" ({len(values)} turns)" if len(values) != len(points) else ""))
    return "; ".join(parts)


class LatencyPlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latencyPlot")
        self.setAccessibleName("Latency per turn: first audio and final transcript")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(124)
        self._points: list[LatencyPoint] = []

    @property
    def points(self) -> list[LatencyPoint]:
        return list(self._points)

    def series(self, field: str) -> list[float | None]:
        """One series' values, a turn without it None (`field`: one of SERIES)."""
        return [getattr(p, field) for p in self._points]

    def sizeHint(self) -> QSize:  # Qt naming
        return QSize(360, 134)

    def set_points(self, points: Iterable[LatencyPoint]) -> None:
        self._points = [
            LatencyPoint(p.label, _ms(p.first_audio_ms), _ms(p.final_transcript_ms))
            for p in points if p.first_audio_ms is not None or p.final_transcript_ms is not None
        ]
        self.setToolTip(summary(self._points))
        self.setAccessibleDescription(self.toolTip())
        self.update()

    def _colors(self) -> list[QColor]:
        pal = self.palette()
        return [pal.color(QPalette.ColorRole.Highlight), pal.color(QPalette.ColorRole.Text)]

    def paintEvent(self, event: object) -> None:  # Qt naming
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        frame = QRectF(self.rect()).adjusted(40, 8 + LEGEND_H, -8, -18)
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.drawRect(frame)
        if not self._points:
            painter.setPen(text)
            painter.drawText(frame, Qt.AlignmentFlag.AlignCenter, "No spoken turns yet")
            painter.end()
            return
        values = [v for p in self._points for v in (p.first_audio_ms, p.final_transcript_ms) if v is not None]
        top = max(GOAL_MS * 1.2, max(values) * 1.1)
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
        legend_x = frame.left()
        for (field, name), color in zip(SERIES, self._colors(), strict=True):
            self._draw_series(painter, frame, top, step, self.series(field), color)
            legend_x = self._draw_legend(painter, legend_x, frame.top() - LEGEND_H - 2, name, color)
        painter.setPen(text)
        painter.drawText(
            QRectF(frame.left(), frame.bottom() + 2, frame.width() / 2, 14),
            Qt.AlignmentFlag.AlignLeft,
            self._points[0].label,
        )
        painter.drawText(
            QRectF(frame.center().x(), frame.bottom() + 2, frame.width() / 2, 14),
            Qt.AlignmentFlag.AlignRight,
            self._points[-1].label,
        )
        painter.end()

    def _draw_series(self, painter: QPainter, frame: QRectF, top: float, step: float,
                     values: list[float | None], color: QColor) -> None:
        """A line through the turns that have a value (broken where one has none), a dot at each."""
        n = len(values)
        path = QPainterPath()
        dots = []
        joined = False
        for i, ms in enumerate(values):
            if ms is None:
                joined = False
                continue
            x = frame.left() + (step * i if n > 1 else frame.width() / 2)
            y = frame.bottom() - frame.height() * min(ms, top) / top
            dots.append(QPointF(x, y))
            path.lineTo(x, y) if joined else path.moveTo(x, y)
            joined = True
        painter.setPen(QPen(color, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setBrush(color)
        for dot in dots:
            painter.drawEllipse(dot, 2.5, 2.5)

    def _draw_legend(self, painter: QPainter, x: float, y: float, name: str, color: QColor) -> float:
        """A line sample in the series' colour and its name; returns where the next entry starts."""
        painter.setPen(QPen(color, 2))
        painter.drawLine(QPointF(x, y + LEGEND_H / 2), QPointF(x + 14, y + LEGEND_H / 2))
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        width = painter.fontMetrics().horizontalAdvance(name)
        painter.drawText(QRectF(x + 18, y, width + 2, LEGEND_H), Qt.AlignmentFlag.AlignVCenter, name)
        return x + 18 + width + 14


def _ms(value: float | None) -> float | None:
    return None if value is None else float(value)
