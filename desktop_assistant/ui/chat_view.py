"""The live conversation: one bubble per message, the reply growing as it streams,
and under each reply its latency ("0.9 s", the stage breakdown on hover).

Text is plain (never interpreted as HTML), selectable with mouse and keyboard,
and copyable. Interrupted and failed replies are marked.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

# Set on the ChatView. The scroll policy and the placeholder's alignment are set here (Qt applies
# `qproperty-` values by name) so that building the view uses no Qt.* enum before the first frame
# (it would cost ~13 ms, see ui/application.py).
STYLE = """
QScrollArea#chatView { qproperty-horizontalScrollBarPolicy: ScrollBarAlwaysOff; }
QLabel#chatPlaceholder { qproperty-alignment: AlignCenter; }
"""  # the bubbles' colours are the application style sheet's (resources/styles/app.qss, ui/theme.py)
STAGES = (
    ("stt_ms", "Speech to text"),
    ("llm_first_token_ms", "First word from the model"),
    ("first_audio_ms", "First sound"),
    ("total_ms", "Whole turn"),
)


def headline_ms(timings: Mapping[str, float | None]) -> float | None:
    """The one number a user cares about: time until the answer starts to be heard (or read)."""
    for key in ("first_audio_ms", "llm_first_token_ms", "total_ms"):
        value = timings.get(key)
        if value is not None:
            return float(value)
    return None


def format_seconds(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms < 10_000 else f"{ms / 1000:.0f} s"


def breakdown(timings: Mapping[str, float | None]) -> str:
    lines = [
        f"{label}: {format_seconds(float(timings[key]))}"
        for key, label in STAGES
        if timings.get(key) is not None
    ]
    return "\n".join(lines)


class MessageBubble(QFrame):
    def __init__(self, role: str, text: str = "", parent: QWidget | None = None) -> None:
        from PySide6.QtCore import Qt  # bubbles come after the first frame (see STYLE)

        super().__init__(parent)
        self.role = role
        self.status = "complete"
        self.setObjectName("userBubble" if role == "user" else "assistantBubble")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        self.body = QLabel(self)
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.body.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.body.setAccessibleName("You said" if role == "user" else "Assistant said")
        self.meta = QLabel(self)
        self.meta.setObjectName("turnMeta")
        self.meta.setAccessibleName("Turn latency")
        self.meta.hide()
        layout.addWidget(self.body)
        layout.addWidget(self.meta)
        self._text = text
        self.body.setText(text)

    @property
    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        self._text = text
        self.body.setText(text)

    def append(self, delta: str) -> None:
        self.set_text(self._text + delta)

    def finish(
        self, status: str, timings: Mapping[str, float | None] | None = None, error: str | None = None
    ) -> None:
        self.status = status
        parts: list[str] = []
        ms = headline_ms(timings or {})
        if ms is not None:
            parts.append(format_seconds(ms))
        if status == "interrupted":
            parts.append("■ interrupted")
        elif status == "failed":
            parts.append("⚠ failed" + (f": {error}" if error else ""))
        if not parts:
            self.meta.hide()
            return
        self.meta.setText("  ·  ".join(parts))
        self.meta.setToolTip(breakdown(timings or {}))
        self.meta.show()


class ChatView(QScrollArea):
    bubble_added = Signal(object)  # MessageBubble

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setAccessibleName("Conversation")
        self.setWidgetResizable(True)
        self.setStyleSheet(STYLE)
        self._inner = QWidget(self)
        self._column = QVBoxLayout(self._inner)
        self._column.setContentsMargins(8, 8, 8, 8)
        self._column.setSpacing(8)
        self._column.addStretch(1)
        self.setWidget(self._inner)
        self._bubbles: list[MessageBubble] = []
        self._notices: list[QLabel] = []
        self._reply: MessageBubble | None = None
        self._following = True
        self.verticalScrollBar().valueChanged.connect(self._user_scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._range_changed)
        self._placeholder = QLabel("Hold the button (or Space) and speak, or type below.", self._inner)
        self._placeholder.setObjectName("chatPlaceholder")
        self._placeholder.setEnabled(False)
        self._column.insertWidget(0, self._placeholder)

    @property
    def bubbles(self) -> list[MessageBubble]:
        return list(self._bubbles)

    @property
    def reply(self) -> MessageBubble | None:
        """The reply being streamed, if any."""
        return self._reply

    def messages(self) -> list[tuple[str, str, str]]:
        return [(b.role, b.text, b.status) for b in self._bubbles]

    def add_message(
        self,
        role: str,
        text: str,
        *,
        status: str = "complete",
        timings: Mapping[str, float | None] | None = None,
        error: str | None = None,
    ) -> MessageBubble:
        bubble = MessageBubble(role, text, self._inner)
        row = QHBoxLayout()
        if role == "user":
            row.addStretch(1)
            row.addWidget(bubble, 4)
        else:
            row.addWidget(bubble, 4)
            row.addStretch(1)
        self._column.insertLayout(self._column.count() - 1, row)
        self._bubbles.append(bubble)
        self._placeholder.hide()
        self.bubble_added.emit(bubble)
        if role != "user" and (status != "complete" or timings):
            bubble.finish(status, timings, error)
        self._scroll_to_end()
        return bubble

    def add_notice(self, text: str) -> QLabel:
        """A line of the app's own between the messages (not a message, not stored): e.g. whom a
        new conversation is with. Cleared with the conversation."""
        from PySide6.QtCore import Qt

        label = QLabel(text, self._inner)
        label.setObjectName("chatNotice")
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # above the empty-chat hint while it shows, else after the last message
        at = self._column.indexOf(self._placeholder) if not self._placeholder.isHidden() else -1
        self._column.insertWidget(at if at >= 0 else self._column.count() - 1, label)
        self._notices.append(label)
        self._scroll_to_end()
        return label

    def notices(self) -> list[str]:
        return [label.text() for label in self._notices]

    def begin_reply(self) -> MessageBubble:
        if self._reply is None:
            self._reply = self.add_message("assistant", "", status="streaming")
            self._reply.status = "streaming"
        return self._reply

    def append_reply(self, delta: str) -> None:
        self.begin_reply().append(delta)
        self._scroll_to_end()

    def finish_reply(
        self, status: str, timings: Mapping[str, float | None] | None = None, error: str | None = None
    ) -> MessageBubble | None:
        bubble = self._reply
        if bubble is None and status != "complete":
            bubble = self.add_message("assistant", "", status="streaming")
        self._reply = None
        if bubble is not None:
            if not bubble.text and status == "failed":
                bubble.set_text("(no reply)")
            bubble.finish(status, timings, error)
        return bubble

    def clear(self) -> None:
        self._reply = None
        self._bubbles.clear()
        self._notices.clear()
        while self._column.count() > 1:
            item = self._column.takeAt(0)
            if item.widget() is self._placeholder:
                continue
            _delete_layout_item(item)
        self._column.insertWidget(0, self._placeholder)
        self._placeholder.show()

    def _scroll_to_end(self) -> None:
        """Follow the conversation (on the next layout), unless the user scrolled up to read."""
        if self._following:
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum())

    def _user_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._following = value >= bar.maximum() - 40

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._following:
            self.verticalScrollBar().setValue(maximum)


def _delete_layout_item(item: object) -> None:
    layout = item.layout() if hasattr(item, "layout") else None
    widget = item.widget() if hasattr(item, "widget") else None
    if layout is not None:
        while layout.count():
            _delete_layout_item(layout.takeAt(0))
        layout.deleteLater()
    if widget is not None:
        widget.deleteLater()
