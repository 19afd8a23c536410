"""The conversation list for the history browser: a lazy Qt model that pages
through the store (newest first, `PAGE` rows at a time, only when the view
scrolls near the end), so 100 000 conversations open instantly; and a delegate
that draws a day header ("Today", "Yesterday", "Mon 3 Nov 2026") above the
first conversation of each day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop_assistant.ui import theme

if TYPE_CHECKING:
    from desktop_assistant.history.records import ConversationRecord
    from desktop_assistant.ui.history_source import HistorySource

PAGE = 200
IdRole = Qt.ItemDataRole.UserRole + 1
DayRole = Qt.ItemDataRole.UserRole + 2
AgentRole = Qt.ItemDataRole.UserRole + 3
RowRole = Qt.ItemDataRole.UserRole + 4

_Index = QModelIndex | QPersistentModelIndex


def day_label(when: datetime | None, today: date | None = None) -> str:
    if when is None:
        return "Undated"
    today = today or date.today()
    day = when.astimezone().date() if when.tzinfo else when.date()
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return day.strftime("%a %-d %b %Y")


class ConversationListModel(QAbstractListModel):
    def __init__(self, source: HistorySource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self._rows: list[ConversationRecord] = []
        self._agent: str | None = None
        self._exhausted = False
        self.pages_loaded = 0
        self.agent_names: dict[str, str] = {}  # agent id → the name users know it by

    def agent_name(self, agent_id: str) -> str:
        return self.agent_names.get(agent_id, agent_id)

    # -- loading --------------------------------------------------------------------------------
    def reload(self, agent: str | None = None) -> None:
        self.beginResetModel()
        self._agent = agent
        self._rows = []
        self._exhausted = False
        self.pages_loaded = 0
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # Qt API
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # Qt API
        if parent.isValid() or self._exhausted:
            return
        page = list(self.source.conversations(offset=len(self._rows), limit=PAGE, agent=self._agent))
        self.pages_loaded += 1
        if len(page) < PAGE:
            self._exhausted = True
        if not page:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    # -- edits ----------------------------------------------------------------------------------
    def row_of(self, conversation_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == conversation_id), -1)

    def conversation(self, row: int) -> ConversationRecord | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def remove(self, conversation_id: int) -> None:
        row = self.row_of(conversation_id)
        if row >= 0:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()

    def replace(self, row_data: ConversationRecord) -> None:
        row = self.row_of(row_data.id)
        if row >= 0:
            self._rows[row] = row_data
            index = self.index(row)
            self.dataChanged.emit(index, index)

    # -- Qt model API ---------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # Qt API
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.display_title
        if role == Qt.ItemDataRole.ToolTipRole:
            when = row.updated_at.astimezone().strftime("%Y-%m-%d %H:%M") if row.updated_at else ""
            return f"{row.display_title}\n{self.agent_name(row.agent)} · {row.message_count} messages · {when}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{row.display_title}, {day_label(row.updated_at)}, {row.message_count} messages"
        if role == IdRole:
            return row.id
        if role == DayRole:
            return day_label(row.updated_at)
        if role == AgentRole:
            return self.agent_name(row.agent)
        if role == RowRole:
            return row
        return None


class DayGroupDelegate(QStyledItemDelegate):
    """Draws a day header above the first conversation of each day, and the agent and time."""

    HEADER = 22

    def _has_header(self, index: _Index) -> bool:
        if index.row() == 0:
            return True
        above = index.model().index(index.row() - 1, 0)
        return bool(above.data(DayRole) != index.data(DayRole))

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:  # Qt API
        base = super().sizeHint(option, index)
        height = max(base.height(), 20) * 2 + 4
        return QSize(base.width(), height + (self.HEADER if self._has_header(index) else 0))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        rect = QRect(option.rect)
        pal = option.palette
        if self._has_header(index):
            header = QRect(rect.left(), rect.top(), rect.width(), self.HEADER)
            painter.save()
            font = QFont(option.font)
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(QColor(*theme.muted_text(pal)))  # secondary, and still 4.5:1
            painter.drawText(header.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, index.data(DayRole))
            painter.restore()
            rect.setTop(rect.top() + self.HEADER)
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, pal.color(QPalette.ColorRole.Highlight))
            painter.setPen(pal.color(QPalette.ColorRole.HighlightedText))
        else:
            painter.setPen(pal.color(QPalette.ColorRole.Text))
        half = rect.height() // 2
        title = option.fontMetrics.elidedText(index.data(), Qt.TextElideMode.ElideRight, rect.width() - 16)
        painter.drawText(
            QRect(rect.left() + 8, rect.top() + 2, rect.width() - 16, half),
            Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        row = index.data(RowRole)
        when = row.updated_at.astimezone().strftime("%H:%M") if row.updated_at else ""
        small = QFont(option.font)
        small.setPointSizeF(max(6.0, option.font.pointSizeF() * 0.85))
        painter.setFont(small)
        meta = f"{when} · {index.data(AgentRole)} · {row.message_count} messages"
        meta = QFontMetrics(small).elidedText(meta, Qt.TextElideMode.ElideRight, rect.width() - 16)
        painter.drawText(
            QRect(rect.left() + 8, rect.top() + half, rect.width() - 16, half - 2),
            Qt.AlignmentFlag.AlignVCenter,
            meta,
        )
        painter.restore()
