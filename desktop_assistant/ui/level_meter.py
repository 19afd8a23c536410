"""A horizontal input level meter (dBFS → bar), with a slowly falling peak mark.

The empty trough is the style sheet's (`QFrame#levelMeter` in app.qss); Python paints
only the bar and the peak mark. So the first frame sets no pen or brush, whose
overloads would make PySide create the `Qt` namespace (~13 ms, see ui/application.py).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QSizePolicy, QWidget

FLOOR_DB = -60.0
PEAK_FALL_DB_PER_S = 20.0


def fraction(dbfs: float) -> float:
    """-60 dBFS (or less) → 0, 0 dBFS → 1."""
    return min(1.0, max(0.0, (dbfs - FLOOR_DB) / -FLOOR_DB))


class LevelMeter(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("levelMeter")
        self.setAccessibleName("Input level")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._level = 0.0
        self._peak = 0.0
        self._peak_at = time.monotonic()

    @property
    def level(self) -> float:
        return self._level

    def sizeHint(self) -> QSize:  # Qt naming
        return QSize(200, 10)

    def set_level(self, dbfs: float) -> None:
        now = time.monotonic()
        self._level = fraction(dbfs)
        fallen = self._peak - (now - self._peak_at) * PEAK_FALL_DB_PER_S / -FLOOR_DB
        if self._level >= fallen:
            self._peak, self._peak_at = self._level, now
        self.setAccessibleDescription(f"{dbfs:.0f} dBFS")
        self.update()

    def reset(self) -> None:
        self._level = self._peak = 0.0
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt naming
        super().paintEvent(event)  # the trough (style sheet)
        if self._level <= 0 and self._peak <= 0:
            return
        from PySide6.QtCore import Qt

        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)  # inside the 1 px border
        if self._level > 0:
            fill = QRectF(rect.x(), rect.y(), rect.width() * self._level, rect.height())
            colour = pal.color(QPalette.ColorRole.Highlight) if self._level < 0.9 else QColor("#d13438")
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(fill, 3, 3)
        if self._peak > 0:
            x = rect.x() + rect.width() * self._peak
            painter.setPen(pal.color(QPalette.ColorRole.Text))
            painter.drawLine(int(x), int(rect.top()), int(x), int(rect.bottom()))
        painter.end()
