"""The main window (first version: title, agent list and status; the full
push-to-talk window arrives with the GUI issue)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from desktop_assistant import APP_TITLE


class MainWindow(QMainWindow):
    def __init__(self, app: Any) -> None:
        super().__init__()
        self.setWindowTitle(APP_TITLE)
        self.resize(720, 560)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        title = QLabel(f"<h1>{APP_TITLE}</h1>", body)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        agents = ", ".join(a.name for a in app.agents.agents.values()) or "none"
        info = QLabel(f"Agents: {agents}<br>Data: {app.paths.data_dir}", body)
        info.setAlignment(Qt.AlignmentFlag.AlignCenter)
        info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(info)
        layout.addStretch(2)
        self.setCentralWidget(body)
        self.statusBar().showMessage("Ready")
