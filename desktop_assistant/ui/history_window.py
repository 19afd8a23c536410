"""The history browser: conversations (newest first, grouped by day, paged lazily),
search as you type (on a worker thread, stale answers dropped), agent filter,
the selected conversation with its timings, rename / delete / export / copy,
and a first-audio latency plot. Works with no network and no API key.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_assistant.errors import UserFacingError
from desktop_assistant.ui.chat_view import ChatView
from desktop_assistant.ui.history_model import ConversationListModel, DayGroupDelegate, IdRole
from desktop_assistant.ui.latency_plot import LatencyPlot

if TYPE_CHECKING:
    from PySide6.QtCore import QModelIndex
    from PySide6.QtGui import QCloseEvent

    from desktop_assistant.app import App
    from desktop_assistant.history.search import SearchHit
    from desktop_assistant.ui.bridge import EngineBridge
    from desktop_assistant.ui.history_source import HistorySource

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 120
EMPTY_SELECTION = "Pick a conversation on the left to read it, or search all of them (Ctrl+F)."
NO_CONVERSATIONS = "No conversations yet. What you say or type in the main window is kept here."
EXPORT_FILTERS = {"Markdown (*.md)": "md", "JSON (*.json)": "json", "Text (*.txt)": "txt"}


def snippet_html(snippet: str) -> str:
    """A search snippet with its «highlight» markers as safe HTML (everything else escaped)."""
    return html.escape(snippet).replace("«", "<b>").replace("»", "</b>")


class HistoryWindow(QWidget):
    def __init__(self, app: App, source: HistorySource, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.app = app
        self.source = source
        self.bridge = bridge
        self.setWindowTitle("History — Desktop Assistant")
        self.setObjectName("historyWindow")
        self.resize(900, 620)
        self._search_pool = ThreadPoolExecutor(1, thread_name_prefix="gui-history-search")
        self._generation = 0
        self.current_id: int | None = None
        self.last_results: list[SearchHit] = []
        self._build()
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.refresh()

    # ------------------------------------------------------------ layout

    def _build(self) -> None:
        outer = QHBoxLayout(self)
        splitter = QSplitter(self)
        left = QWidget(splitter)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(left)
        self.search.setPlaceholderText("Search (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        for clear in self.search.findChildren(QToolButton):  # Qt gives the clear button no name
            clear.setAccessibleName("Clear search")
        self.search.setAccessibleName("Search history")
        self.agent_filter = QComboBox(left)
        self.agent_filter.setAccessibleName("Filter by agent")
        self.agent_filter.addItem("All agents", None)
        for agent in self.app.agents.agents.values():
            self.agent_filter.addItem(agent.name, agent.id)
        self.agent_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.model = ConversationListModel(self.source, self)
        self.model.agent_names = {agent.id: agent.name for agent in self.app.agents.agents.values()}
        self.list = QListView(left)
        self.list.setAccessibleName("Conversations")
        self.list.setModel(self.model)
        self.list.setItemDelegate(DayGroupDelegate(self.list))
        self.list.setUniformItemSizes(False)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.selectionModel().currentChanged.connect(lambda cur, _prev: self._open_index(cur))
        self.results = QListWidget(left)
        self.results.setAccessibleName("Search results")
        self.results.setWordWrap(True)
        self.results.currentItemChanged.connect(self._open_result)
        self.stack = QStackedWidget(left)
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.results)
        self.result_count = QLabel(left)  # (accessible name: its text, "3 results for …")
        lv.addWidget(self.search)
        lv.addWidget(self.agent_filter)
        lv.addWidget(self.stack, 1)
        lv.addWidget(self.result_count)

        right = QWidget(splitter)
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Select a conversation", right)
        self.title.setObjectName("historyTitle")  # (accessible name: its text, the title)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        buttons = QHBoxLayout()
        self.rename_button = QPushButton("Rename…", right)
        self.delete_button = QPushButton("Delete…", right)
        self.export_button = QPushButton("Export…", right)
        self.copy_button = QPushButton("Copy", right)
        for button, slot in (
            (self.rename_button, self.rename_current),
            (self.delete_button, self.delete_current),
            (self.export_button, self.export_current),
            (self.copy_button, self.copy_current),
        ):
            button.setAccessibleName(button.text().rstrip("…") + " conversation")
            button.clicked.connect(lambda _c=False, s=slot: s())
            button.setEnabled(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.messages = ChatView(right)
        self.messages.setAccessibleName("Conversation messages")
        self.messages.set_placeholder(EMPTY_SELECTION)
        self.plot = LatencyPlot(right)
        self.notice = QLabel(right)
        self.notice.setWordWrap(True)
        self.notice.hide()
        rv.addWidget(self.title)
        rv.addLayout(buttons)
        rv.addWidget(self.notice)
        rv.addWidget(self.messages, 1)
        rv.addWidget(QLabel("Latency per turn (dashed: 1.5 s goal)", right))  # the legend names each line
        rv.addWidget(self.plot)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        outer.addWidget(splitter)
        find = QAction("Search", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self.focus_search)
        self.addAction(find)
        close = QAction("Close", self)
        close.setShortcut(QKeySequence("Ctrl+W"))
        close.triggered.connect(self.close)
        self.addAction(close)

    # ------------------------------------------------------------ list

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self) -> None:
        try:
            self.model.reload(self.agent_filter.currentData())
        except UserFacingError as exc:
            self._show_notice(str(exc))
            return
        if self.current_id is None:
            self.messages.set_placeholder(self._empty_text())
        if self.search.text().strip():
            self._run_search()
        self._load_plot()

    def _empty_text(self) -> str:
        if self.model.rowCount():
            return EMPTY_SELECTION
        if self.agent_filter.currentData() is not None:
            return f"No conversations with {self.agent_filter.currentText()} yet."
        return NO_CONVERSATIONS

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_conversation(index.data(IdRole))

    def open_conversation(self, conversation_id: int, message_id: int | None = None) -> None:
        try:
            detail = self.source.conversation(conversation_id)
        except UserFacingError as exc:
            self._show_notice(str(exc))
            return
        self.current_id = conversation_id
        self.title.setText(detail.title or "(untitled)")
        self.messages.clear()
        found = None
        for m in detail.messages:
            bubble = self.messages.add_message(m.role, m.text, status=m.status, timings=m.timings(), error=m.error)
            if m.id == message_id:
                found = bubble
        if found is not None:
            self.messages.show_message(found)  # a search hit: scrolled to and marked
            log.info("history: opened conversation %d at message %d", conversation_id, message_id)
        else:
            log.info("history: opened conversation %d", conversation_id)
        for button in (self.rename_button, self.delete_button, self.export_button, self.copy_button):
            button.setEnabled(True)

    def select_row(self, row: int) -> None:
        index = self.model.index(row)
        self.list.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _load_plot(self) -> None:
        try:
            points = self.source.latency_points(limit=200)
        except UserFacingError as exc:
            self._show_notice(str(exc))
            return
        self.plot.set_points(points)

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # ------------------------------------------------------------ search (worker thread)

    def _run_search(self) -> None:
        query = self.search.text().strip()
        self._generation += 1
        generation = self._generation
        if not query:
            self.stack.setCurrentWidget(self.list)
            self.result_count.clear()
            return
        agent = self.agent_filter.currentData()

        def work() -> None:
            try:
                hits: Sequence[SearchHit] | UserFacingError = self.source.search(query, limit=100, agent=agent)
            except UserFacingError as exc:
                hits = exc
            except Exception as exc:  # a search bug is shown, not raised
                log.exception("history search failed")
                hits = UserFacingError(f"Search failed: {exc}")
            self.bridge.post_call(self._show_results, generation, query, hits)

        self._search_pool.submit(work)

    def _show_results(self, generation: int, query: str, hits: Sequence[SearchHit] | UserFacingError) -> None:
        if generation != self._generation:
            return  # the user typed more meanwhile
        self.stack.setCurrentWidget(self.results)
        self.results.clear()
        if isinstance(hits, UserFacingError):
            self.result_count.setText(str(hits))
            self.last_results = []
            return
        self.last_results = list(hits)
        for hit in self.last_results:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, (hit.conversation_id, hit.message_id))
            label = QLabel(
                f"<small>{html.escape(_when(hit.created_at))} · {html.escape(hit.role)}</small><br>"
                f"{snippet_html(hit.snippet)}"
            )
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setContentsMargins(6, 3, 6, 3)
            item.setSizeHint(label.sizeHint())
            item.setText("")
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole, re.sub(r"<[^>]+>", "", snippet_html(hit.snippet))
            )
            self.results.addItem(item)
            self.results.setItemWidget(item, label)
        n = len(self.last_results)
        self.result_count.setText(f"{n} result{'s' if n != 1 else ''} for “{query}”")
        log.info("history: a search found %d message%s", n, "" if n == 1 else "s")  # (not what was searched)

    def _open_result(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        if item is not None:
            conversation_id, message_id = item.data(Qt.ItemDataRole.UserRole)
            self.open_conversation(conversation_id, message_id)

    # ------------------------------------------------------------ actions

    def rename_current(self, title: str | None = None) -> None:
        if self.current_id is None:
            return
        if title is None:
            title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=self.title.text())
            if not ok:
                return
        title = title.strip()
        if not title:
            return
        self.source.rename(self.current_id, title)
        self.title.setText(title)
        row = self.model.row_of(self.current_id)
        if row >= 0:
            self.model.replace(self.source.conversation_row(self.current_id))

    def delete_box(self) -> tuple[QMessageBox, Any]:
        """The confirmation: Delete / Cancel, Cancel the default (Enter) and the escape (Esc)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete conversation",
            f"Delete “{self.title.text()}” and all its messages? This cannot be undone.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        return box, delete

    def confirm_delete(self) -> bool:
        box, delete = self.delete_box()
        box.exec()
        confirmed = box.clickedButton() is delete
        box.deleteLater()
        return confirmed

    def delete_current(self, confirmed: bool | None = None) -> bool:
        if self.current_id is None:
            return False
        if not (confirmed if confirmed is not None else self.confirm_delete()):
            return False
        deleted = self.current_id
        self.source.delete(deleted)
        self.model.remove(deleted)
        log.info("history: deleted conversation %d", deleted)
        self.current_id = None
        self.messages.clear()
        self.messages.set_placeholder(self._empty_text())
        self.title.setText("Select a conversation")
        for button in (self.rename_button, self.delete_button, self.export_button, self.copy_button):
            button.setEnabled(False)
        if self.search.text().strip():
            self._run_search()
        self._load_plot()
        return True

    def export_current(self, path: Path | None = None, fmt: str | None = None) -> Path | None:
        if self.current_id is None:
            return None
        if path is None:
            name, chosen = QFileDialog.getSaveFileName(
                self,
                "Export conversation",
                str(Path.home() / f"conversation-{self.current_id}.md"),
                ";;".join(EXPORT_FILTERS),
            )
            if not name:
                return None
            path = Path(name)
            fmt = fmt or EXPORT_FILTERS.get(chosen)
        fmt = fmt or {".json": "json", ".txt": "txt"}.get(path.suffix.lower(), "md")
        try:
            path.write_text(self.source.export(self.current_id, fmt), encoding="utf-8")
        except (OSError, UserFacingError) as exc:
            self._show_notice(f"Export failed: {exc}")
            return None
        self._show_notice(f"Exported to {path}")
        return path

    def copy_current(self) -> str:
        if self.current_id is None:
            return ""
        text = self.source.export(self.current_id, "txt")
        QGuiApplication.clipboard().setText(text)
        return text

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt naming
        self._generation += 1
        super().closeEvent(event)

    def shutdown(self) -> None:
        self._generation += 1
        self._search_pool.shutdown(wait=False, cancel_futures=True)
        self.close()


def _when(value: datetime) -> str:
    try:
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)
