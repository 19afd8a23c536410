"""The status bar: speech model and its source (with a download progress bar and
Cancel), the input device, and whether Groq is reachable."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

if TYPE_CHECKING:
    from desktop_assistant.speech.transcript import ModelStatus

log = logging.getLogger(__name__)

def describe_model(status: ModelStatus) -> str:
    """ModelStatus → 'tiny.en, embedded' / 'base, downloading 42 %' / 'small, loading…'."""
    name = status.name or "model"
    state, source, progress = status.state, status.source, status.progress
    if state == "ready":
        return f"{name}, {source}" if source else name
    if state == "downloading":
        return (
            f"{name}, downloading {progress * 100:.0f} %" if progress is not None else f"{name}, downloading…"
        )
    if state == "loading":
        return f"{name}, loading…"
    if state == "error":
        return f"{name}: {status.message or 'failed to load'}"
    return name


NETWORK_TEXT = {
    "online": "Groq: online",
    "offline": "Groq: offline",
    "no key": "Groq: no API key",
    "auth": "Groq: key rejected",
    "rate_limit": "Groq: busy (rate limit)",
    "server": "Groq: server error",
    "timeout": "Groq: not answering",
    "unknown": "Groq: not contacted yet",
}


class StatusBar(QStatusBar):
    cancel_download = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The labels' accessible names are their text ("Speech: tiny.en, embedded"), so a screen
        # reader reads the values; the tooltips (their accessible descriptions) say what they are.
        self.model = QLabel("Speech model: starting…", self)
        self.model.setToolTip("Speech recognition model")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(140)
        self.progress.setAccessibleName("Model download progress")
        self.cancel = QToolButton(self)
        self.cancel.setObjectName("cancelDownload")
        self.cancel.setText("Cancel")
        self.cancel.setAccessibleName("Cancel model download")
        self.cancel.clicked.connect(self.cancel_download)
        self.device = QLabel(self)
        self.device.setToolTip("Microphone used for push-to-talk")
        self.network = QLabel(self)
        self.network.setToolTip("Groq, the language model that writes the replies")
        self.addWidget(self.model)
        self.addWidget(self.progress)
        self.addWidget(self.cancel)
        self.addPermanentWidget(self.device)
        self.addPermanentWidget(self.network)
        self.progress.hide()
        self.cancel.hide()

    def show_model(self, status: ModelStatus) -> None:
        self.model.setText(f"Speech: {describe_model(status)}")
        downloading = status.state == "downloading"
        self.progress.setVisible(downloading)
        self.cancel.setVisible(downloading)
        progress = status.progress
        if downloading:
            if progress is None:
                self.progress.setRange(0, 0)
            else:
                self.progress.setRange(0, 100)
                self.progress.setValue(int(progress * 100))

    def show_device(self, device: object) -> None:
        self.device.setText(f"Mic: {device}" if device not in (None, "") else "Mic: default")

    def show_network(self, state: str) -> None:
        """What the last contact with Groq showed (a failure's kind, 'online', or 'unknown': not yet tried)."""
        text = NETWORK_TEXT.get(state, NETWORK_TEXT["unknown"])
        if text != self.network.text():
            log.info("connection: %s", text)
        self.network.setText(text)
