"""The live conversation: one bubble per message, the reply growing as it streams,
and under each reply its timings, labelled ("speech 0.14 s · first word 0.41 s ·
voice 0.78 s"; what each one measures on hover). History shows stored conversations
with the same bubbles, rendered the same way.

Text is plain (never interpreted as HTML), selectable with mouse and keyboard,
and copyable. Interrupted and failed replies are marked.

For the keyboard and screen readers the conversation is one Tab stop: focus entering
it lands on the last message (or the one last visited), Up/Down (Home/End) move from
message to message, and Tab/Shift+Tab leave it. Each message's accessible name is
its text ("You said: …", "Assistant said: …"), its status and latency its description,
so a screen reader reads each message as focus reaches it.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from desktop_assistant.messages import MessageStatus, TimingKey

# Set on the ChatView. The scroll policy and the placeholder's alignment are set here (Qt applies
# `qproperty-` values by name) so that building the view uses no Qt.* enum before the first frame
# (it would cost ~13 ms, see ui/application.py).
STYLE = """
QScrollArea#chatView { qproperty-horizontalScrollBarPolicy: ScrollBarAlwaysOff; }
QLabel#chatPlaceholder { qproperty-alignment: AlignCenter; }
"""  # the bubbles' colours are the application style sheet's (resources/styles/app.qss, ui/theme.py)
SPEAKERS = {"user": "You", "assistant": "Assistant"}
READABLE_CHARS = 90
#: (timing key, its label under a reply, what it measures: the tooltip)
STAGES = (
    (TimingKey.STT_MS, "speech", "turning what you said into text"),
    (TimingKey.FINAL_TRANSCRIPT_MS, "final transcript", "from the end of your question to its final transcript"),
    (TimingKey.LLM_FIRST_TOKEN_MS, "first word", "the model's first word, after it was asked"),
    (TimingKey.FIRST_AUDIO_MS, "voice", "from the end of your question to the first sound of the reply"),
    (TimingKey.TOTAL_MS, "total", "the whole turn, until the reply was complete"),
)
# under a reply; "total" only without them (the others are in the tooltip)
SHOWN = (TimingKey.STT_MS, TimingKey.LLM_FIRST_TOKEN_MS, TimingKey.FIRST_AUDIO_MS)
NO_REPLY = "(no reply)"


def headline_ms(timings: Mapping[TimingKey, float | None]) -> float | None:
    """The one number a user cares about: time until the answer starts to be heard (or read)."""
    for key in (TimingKey.FIRST_AUDIO_MS, TimingKey.LLM_FIRST_TOKEN_MS, TimingKey.TOTAL_MS):
        value = timings.get(key)
        if value is not None:
            return float(value)
    return None


def format_seconds(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms < 10_000 else f"{ms / 1000:.0f} s"


def stage_seconds(ms: float) -> str:
    """A stage's time, to the hundredth under 10 s ("0.14 s")."""
    return f"{ms / 1000:.2f} s" if ms < 10_000 else f"{ms / 1000:.1f} s"


def timing_line(timings: Mapping[TimingKey, float | None]) -> str:
    """The labelled timings under a reply: "speech 0.14 s · first word 0.41 s · voice 0.78 s"."""
    parts = [
        f"{label} {stage_seconds(float(ms))}"
        for key, label, _ in STAGES
        if key in SHOWN and (ms := timings.get(key)) is not None
    ]
    if not parts and (total := timings.get(TimingKey.TOTAL_MS)) is not None:
        parts.append(f"total {stage_seconds(float(total))}")
    return " · ".join(parts)


def breakdown(timings: Mapping[TimingKey, float | None]) -> str:
    """The tooltip: each timing with what it measures."""
    return "\n".join(
        f"{label} {stage_seconds(float(ms))}: {meaning}"
        for key, label, meaning in STAGES
        if (ms := timings.get(key)) is not None
    )


class MessageBubble(QFrame):
    def __init__(self, role: str, text: str = "", parent: QWidget | None = None) -> None:
        from PySide6.QtCore import Qt  # bubbles come after the first frame (see STYLE)

        super().__init__(parent)
        self.role = role
        self.status: str = MessageStatus.COMPLETE
        self.setObjectName("userBubble" if role == "user" else "assistantBubble")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Height for width: as tall as the wrapped text (a Maximum policy capped it at the unwrapped height)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        self.body = QLabel(self)
        self.body.setObjectName("messageText")
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        # Not a Tab stop of its own: the ChatView is one, and moves focus between messages.
        self.body.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.meta = QLabel(self)  # (its accessible name is its text)
        self.meta.setObjectName("turnMeta")
        self.meta.setWordWrap(True)  # a failed reply's error can be long
        self.meta.hide()
        layout.addWidget(self.body)
        layout.addWidget(self.meta)
        self.set_text(text)

    @property
    def text(self) -> str:
        return self._text

    @property
    def speaker(self) -> str:
        return SPEAKERS.get(self.role, self.role.capitalize())

    def set_text(self, text: str) -> None:
        self._text = text
        self.body.setText(text)
        self.body.setAccessibleName(f"{self.speaker} said: {text}" if text else f"{self.speaker}: no text yet")

    def append(self, delta: str) -> None:
        self.set_text(self._text + delta)

    def set_live_text(self, text: str) -> None:
        """The words heard so far, while the user still speaks (not a message yet)."""
        self._text = text
        self.body.setText(f"{text} …")
        self.body.setAccessibleName(f"You are saying: {text}")
        self.body.setAccessibleDescription("live transcript, sent when you let go")

    def finish(
        self, status: str, timings: Mapping[TimingKey, float | None] | None = None, error: str | None = None
    ) -> None:
        self.status = status
        if status == MessageStatus.FAILED and not self._text:
            self.set_text(NO_REPLY)  # the same whether the reply failed live or is read back from History
        parts: list[str] = []
        ms = headline_ms(timings or {})
        line = timing_line(timings or {})
        if line:
            parts.append(line)
        if status == MessageStatus.INTERRUPTED:
            parts.append("■ interrupted")
        elif status == MessageStatus.FAILED:
            parts.append("⚠ failed" + (f": {error}" if error else ""))
        # Read after the message by a screen reader: its status first, then the time it took.
        spoken = [p.lstrip("■⚠ ") for p in parts if p[0] in "■⚠"]
        spoken += [f"reply time {format_seconds(ms)}"] if ms is not None else []
        self.body.setAccessibleDescription("; ".join(spoken))
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
        self.setAccessibleDescription("Up and Down arrow keys move between messages")
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
        self._live: MessageBubble | None = None  # the user's words while they speak
        self._current: MessageBubble | None = None  # where keyboard focus goes in the conversation
        self._following = True
        self._shown: MessageBubble | None = None
        self.verticalScrollBar().valueChanged.connect(self._user_scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._range_changed)
        self._placeholder = QLabel("Hold the button (or Space) and speak, or type below.", self._inner)
        self._placeholder.setObjectName("chatPlaceholder")
        self._placeholder.setEnabled(False)
        self._column.insertWidget(0, self._placeholder)

    def set_placeholder(self, text: str) -> None:
        """What the empty view says (the live conversation and History say different things)."""
        self._placeholder.setText(text)

    def show_message(self, bubble: MessageBubble) -> None:
        """Scroll to `bubble` (once laid out) and mark it, e.g. a search hit; stop following the end."""
        from PySide6.QtCore import QTimer

        for other in self._bubbles:
            if other.property("found"):
                other.setProperty("found", False)
                other.style().polish(other)
        bubble.setProperty("found", True)
        bubble.style().polish(bubble)
        self._following = False
        self._shown = bubble  # kept in view while the layout settles (see _range_changed)
        QTimer.singleShot(0, self, lambda: self.ensureWidgetVisible(bubble, 0, 40))

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
        status: str = MessageStatus.COMPLETE,
        timings: Mapping[TimingKey, float | None] | None = None,
        error: str | None = None,
    ) -> MessageBubble:
        bubble = MessageBubble(role, text, self._inner)
        # A readable line length when the window is maximised (about 90 characters).
        bubble.setMaximumWidth(bubble.fontMetrics().averageCharWidth() * READABLE_CHARS + 24)
        row = QHBoxLayout()
        if role == "user":
            row.addStretch(1)
            row.addWidget(bubble, 4)
        else:
            row.addWidget(bubble, 4)
            row.addStretch(1)
        self._column.insertLayout(self._column.count() - 1, row)
        self._bubbles.append(bubble)
        bubble.body.installEventFilter(self)
        self._placeholder.hide()
        self.bubble_added.emit(bubble)
        if role != "user" and (status != MessageStatus.COMPLETE or timings):
            bubble.finish(status, timings, error)
        self._scroll_to_end()
        return bubble

    def add_notice(self, text: str, *, announce: bool = True) -> QLabel:
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
        if announce and self.isVisible():
            from desktop_assistant.ui import accessibility

            # Not a Tab stop: a screen reader hears it now. From the conversation, which is showing
            # (the label is shown by the layout a moment later, and AT-SPI may drop its event).
            accessibility.announce(self, text)
        return label

    def notices(self) -> list[str]:
        return [label.text() for label in self._notices]

    # ------------------------------------------------------------ the live transcript

    @property
    def live(self) -> MessageBubble | None:
        """The bubble showing the user's words while they speak, if any."""
        return self._live

    def show_live(self, text: str) -> MessageBubble:
        """The words heard so far (each update replaces the last); a screen reader finds them as the
        bubble's name, "You are saying: …"."""
        if self._live is None:
            self._live = self.add_message("user", "")
            self._mark_live(self._live, True)
        self._live.set_live_text(text)
        self._scroll_to_end()
        return self._live

    def settle_live(self, text: str) -> MessageBubble | None:
        """The final transcript: the live bubble becomes the user's message (None: there was none)."""
        bubble, self._live = self._live, None
        if bubble is not None:
            self._mark_live(bubble, False)
            bubble.body.setAccessibleDescription("")
            bubble.set_text(text)
        return bubble

    def drop_live(self) -> None:
        """No message after all (Stop while speaking, nothing recognised): the live words go."""
        bubble, self._live = self._live, None
        if bubble is None:
            return
        if self._current is bubble:
            self._current = None
        if bubble.body.hasFocus():
            self.setFocus()
        self._bubbles.remove(bubble)
        for i in range(self._column.count()):
            item = self._column.itemAt(i)
            row = item.layout() if item is not None else None
            if row is not None and row.indexOf(bubble) >= 0:
                _delete_layout_item(self._column.takeAt(i))
                break
        if not self._bubbles and not self._notices:
            self._placeholder.show()

    @staticmethod
    def _mark_live(bubble: MessageBubble, live: bool) -> None:
        bubble.setProperty("live", live)
        bubble.style().unpolish(bubble)
        bubble.style().polish(bubble)

    def begin_reply(self) -> MessageBubble:
        """The assistant's bubble for the reply under way, shown at once ("…" until its first words)."""
        if self._reply is None:
            self._reply = self.add_message("assistant", "", status=MessageStatus.STREAMING)
            self._reply.status = MessageStatus.STREAMING
            self._reply.body.setText("…")
        return self._reply

    def append_reply(self, delta: str) -> None:
        self.begin_reply().append(delta)
        self._scroll_to_end()

    def finish_reply(
        self, status: str, timings: Mapping[TimingKey, float | None] | None = None, error: str | None = None
    ) -> MessageBubble | None:
        bubble = self._reply
        if bubble is None and status != MessageStatus.COMPLETE:
            bubble = self.add_message("assistant", "", status=MessageStatus.STREAMING)
        self._reply = None
        if bubble is not None:
            bubble.finish(status, timings, error)
        return bubble

    def clear(self) -> None:
        self._reply = None
        self._live = None
        self._current = None
        if any(b.body.hasFocus() for b in self._bubbles):
            self.setFocus()  # keep the focus in the conversation, not on a deleted message
        self._following = True
        self._shown = None
        self._bubbles.clear()
        self._notices.clear()
        while self._column.count() > 1:
            item = self._column.takeAt(0)
            if item is None:  # (never: count() > 1)
                break
            if item.widget() is self._placeholder:
                continue
            _delete_layout_item(item)
        self._column.insertWidget(0, self._placeholder)
        self._placeholder.show()

    # ------------------------------------------------------------ keyboard: one Tab stop

    def current(self) -> MessageBubble | None:
        """The message keyboard focus goes to on entering the conversation (default: the last)."""
        if self._current in self._bubbles:
            return self._current
        return self._bubbles[-1] if self._bubbles else None

    def focus_message(self, bubble: MessageBubble) -> None:
        from PySide6.QtCore import Qt

        self._current = bubble
        self.ensureWidgetVisible(bubble, 0, 8)
        bubble.body.setFocus(Qt.FocusReason.OtherFocusReason)

    def focusInEvent(self, event: QFocusEvent) -> None:  # Qt naming
        from PySide6.QtCore import Qt

        super().focusInEvent(event)
        bubble = self.current()
        if bubble is not None and event.reason() != Qt.FocusReason.MouseFocusReason:
            self.focus_message(bubble)  # (a click on the background leaves the scroll position alone)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt naming
        kind = event.type()
        bubble = watched.parent()
        if kind == QEvent.Type.FocusIn and isinstance(bubble, MessageBubble):
            self._current = bubble  # also when clicked
        elif kind == QEvent.Type.KeyPress and isinstance(bubble, MessageBubble):
            assert isinstance(event, QKeyEvent)
            return self._message_key(bubble, event)
        return False

    def _message_key(self, bubble: MessageBubble, event: QKeyEvent) -> bool:
        from PySide6.QtCore import Qt

        key, mods = event.key(), event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and not mods & Qt.KeyboardModifier.ControlModifier:
            self._leave(forward=key == Qt.Key.Key_Tab and not mods & Qt.KeyboardModifier.ShiftModifier)
            return True
        if mods != Qt.KeyboardModifier.NoModifier or bubble not in self._bubbles:
            return False
        i = self._bubbles.index(bubble)
        targets: dict[int, int] = {
            Qt.Key.Key_Up: max(0, i - 1),
            Qt.Key.Key_Down: min(len(self._bubbles) - 1, i + 1),
            Qt.Key.Key_Home: 0,
            Qt.Key.Key_End: len(self._bubbles) - 1,
        }
        target = targets.get(key)
        if target is None:
            return False
        self.focus_message(self._bubbles[target])
        return True

    def _leave(self, forward: bool) -> None:
        """Tab/Shift+Tab from a message: to the Tab stop after/before the conversation."""
        from PySide6.QtCore import Qt

        step = QWidget.nextInFocusChain if forward else QWidget.previousInFocusChain
        widget = step(self)
        while widget is not None and widget is not self:
            if (
                widget.focusPolicy() & Qt.FocusPolicy.TabFocus
                and widget.isVisible()
                and widget.isEnabled()
                and not self.isAncestorOf(widget)
                and widget.window() is self.window()
                and widget.focusProxy() is None
            ):
                widget.setFocus(Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason)
                return
            widget = step(widget)

    def _scroll_to_end(self) -> None:
        """Follow the conversation (on the next layout), unless the user scrolled up to read."""
        if self._following:
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum())

    def _user_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._following = value >= bar.maximum() - 40

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._shown is not None:
            self.ensureWidgetVisible(self._shown, 0, 40)
        elif self._following:
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
