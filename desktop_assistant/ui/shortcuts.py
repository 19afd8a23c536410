"""Making the main window's keyboard shortcuts discoverable: each button's tooltip names
its key, and F1 (or the "?" button) opens a list of every key the window answers to.

`install_shortcut_help(window)` runs once the window's actions exist (they are made just
after the first frame, see main_window.py `_actions`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# window attribute of a button → (window attribute of its action, what the tooltip says it does)
BUTTON_ACTIONS = {
    "new_button": ("new_action", "Start a new conversation"),
    "history_button": ("find_action", "Open the history; its key opens it at the search field"),
    "settings_button": ("settings_action", "Open the settings"),
    "stop_button": ("stop_action", "Stop listening or speaking"),
}
# Keys that are not actions: handled by widgets (push-to-talk, the text box, the conversation).
OTHER_KEYS = (
    ("Send the typed message", "Enter (in the text box)"),
    ("Move between messages in the conversation", "Up / Down, Home / End"),
    ("Move between controls", "Tab / Shift+Tab"),
)


def keys_of(action: Any) -> str:
    from PySide6.QtGui import QKeySequence

    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())


def shortcut_rows(window: Any) -> list[tuple[str, str]]:
    """(what, keys) for every shortcut of the window, push-to-talk first."""
    settings = window.app.settings
    talk = "hold it while you speak" if settings.ptt_mode == "hold" else "press to start, again to send"
    rows = [(f"Talk: {talk} (not while typing in a text field)", settings.ptt_key)]
    if settings.global_hotkey:
        how = "hold it while you speak" if settings.global_hotkey_mode == "hold" else "press to start, again to send"
        rows.append((f"Talk from any window, also with this one hidden: {how}", settings.global_hotkey))
    rows += [(a.text(), keys_of(a)) for a in window.actions() if a.shortcuts()]
    rows += list(OTHER_KEYS)
    return rows


def install_shortcut_help(window: Any) -> None:
    """Tooltips naming each button's key, and F1 for the list of shortcuts."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction, QKeySequence

    for button_name, (action_name, what) in BUTTON_ACTIONS.items():
        keys = keys_of(getattr(window, action_name))
        getattr(window, button_name).setToolTip(f"{what} ({keys})")
    window.help_action = QAction("Keyboard shortcuts", window)
    window.help_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
    window.help_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    window.help_action.triggered.connect(lambda: show_shortcuts(window))
    window.addAction(window.help_action)
    window.help_button.setToolTip(f"Keyboard shortcuts ({keys_of(window.help_action)})")


def show_shortcuts(window: Any) -> ShortcutsDialog:
    dialog = getattr(window, "_shortcuts_dialog", None)
    if dialog is None:
        dialog = window._shortcuts_dialog = ShortcutsDialog(window)
    dialog.fill(shortcut_rows(window))
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


class ShortcutsDialog(QDialog):
    """A two-column table (what it does, keys), read row by row by a screen reader."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcutsDialog")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Keys the main window answers to:", self))
        self.table = QTableWidget(0, 2, self)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def fill(self, rows: list[tuple[str, str]]) -> None:
        self.table.setRowCount(len(rows))
        for i, (what, keys) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(what))
            self.table.setItem(i, 1, QTableWidgetItem(keys))
        self.table.resizeColumnToContents(0)
        self.table.setCurrentCell(0, 0)
        self.table.setFocus()

    def rows(self) -> list[tuple[str, str]]:
        return [(self._text(i, 0), self._text(i, 1)) for i in range(self.table.rowCount())]

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""
