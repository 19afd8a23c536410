"""The one place where engine events become Qt signals on the GUI thread.

Engine listeners run on worker and audio threads. They call `post(event)`,
`post_level(dbfs)` or `post_model_status(status)` — all thread-safe and cheap —
and the bridge re-emits each as a typed signal on the thread that owns the
bridge (the GUI thread), in the order they were posted. Level updates are
coalesced (latest value wins) and delivered at most ~30 times a second while
recording.
No widget talks to the engine's threads any other way.

Each post is a Qt posted event (`QCoreApplication.postEvent`): always queued, even
from the GUI thread, so the order is kept; and, unlike a queued connection, it
needs no `Qt.ConnectionType`, so building the bridge does not make PySide create
the `Qt` namespace before the first frame (see ui/application.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

from desktop_assistant.assistant import events as ev

log = logging.getLogger(__name__)

LEVEL_INTERVAL_MS = 33
#: Each engine event type → the bridge's signal that carries it (a test checks every type is here).
SIGNAL_FOR: dict[type[ev.Event], str] = {
    ev.RecordingStarted: "recording_started",
    ev.RecordingStopped: "recording_stopped",
    ev.RecordingCancelled: "recording_cancelled",
    ev.TranscriptPartial: "transcript_partial",
    ev.TranscriptReady: "transcript_ready",
    ev.UserMessageStored: "user_message_stored",
    ev.ReplyStarted: "reply_started",
    ev.ReplyDelta: "reply_delta",
    ev.SpeakingStarted: "speaking_started",
    ev.FragmentSpoken: "fragment_spoken",
    ev.Notice: "notice",
    ev.TurnFinished: "turn_finished",
    ev.TurnFailed: "turn_failed",
    ev.ConversationChanged: "conversation_changed",
}
# the events after which a recording's levels stop flowing (when they belong to that recording's turn)
LEVELS_END = (ev.RecordingStopped, ev.RecordingCancelled, ev.TurnFailed, ev.TurnFinished)


_DELIVERY = QEvent.Type(QEvent.registerEventType())


class _Delivery(QEvent):
    """One posted item on its way to the GUI thread."""

    def __init__(self, payload: object) -> None:
        super().__init__(_DELIVERY)
        self.payload = payload


class EngineBridge(QObject):
    # One signal per engine event type (assistant/events.py); the argument is the event itself.
    recording_started = Signal(object)
    recording_stopped = Signal(object)
    recording_cancelled = Signal(object)
    transcript_partial = Signal(object)
    transcript_ready = Signal(object)
    user_message_stored = Signal(object)
    reply_started = Signal(object)
    reply_delta = Signal(object)
    speaking_started = Signal(object)
    fragment_spoken = Signal(object)
    notice = Signal(object)
    turn_finished = Signal(object)
    turn_failed = Signal(object)
    conversation_changed = Signal(object)
    # Not turn events:
    model_status = Signal(object)  # speech.transcript.ModelStatus
    level = Signal(float)  # dBFS, coalesced
    engine_ready = Signal(object)  # the built engine (assistant)
    engine_failed = Signal(object)  # UserFacingError (or another exception) from building it
    conversation_loaded = Signal(object)  # the messages of the conversation the next turn continues
    agents_loaded = Signal(object)  # agents.AgentSet, parsed off the GUI thread after the window shows
    command_failed = Signal(object)  # UserFacingError raised by a command (e.g. no microphone)
    any_event = Signal(object)  # every engine event, after its typed signal

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._closed = threading.Event()
        self._level_lock = threading.Lock()
        self._level: float | None = None
        self._level_turn: object = None  # the turn whose recording the levels belong to
        self._level_timer = QTimer(self)
        self._level_timer.setInterval(LEVEL_INTERVAL_MS)
        self._level_timer.timeout.connect(self._flush_level)

    # ------------------------------------------------------------ any thread

    def post(self, event: object) -> None:
        """Hand an engine event to the GUI thread (non-blocking; dropped after close)."""
        if self._closed.is_set():
            return
        try:
            QCoreApplication.postEvent(self, _Delivery(event))
        except RuntimeError:  # the bridge was deleted while a worker was finishing
            self._closed.set()

    def post_level(self, dbfs: float) -> None:
        with self._level_lock:
            self._level = float(dbfs)

    def post_model_status(self, status: object) -> None:
        self.post(_Wrapped("model_status", status))

    def post_engine_ready(self, engine: object) -> None:
        self.post(_Wrapped("engine_ready", engine))

    def post_engine_failed(self, error: BaseException) -> None:
        self.post(_Wrapped("engine_failed", error))

    def post_call(self, fn: Callable[..., object], *args: object) -> None:
        """Run `fn(*args)` on the GUI thread (for results of GUI-side worker jobs)."""
        self.post(_Call(fn, args))

    def post_agents_loaded(self, agents: object) -> None:
        self.post(_Wrapped("agents_loaded", agents))

    def post_conversation_loaded(self, messages: object) -> None:
        self.post(_Wrapped("conversation_loaded", messages))

    def post_command_failed(self, error: BaseException) -> None:
        self.post(_Wrapped("command_failed", error))

    def close(self) -> None:
        self._closed.set()
        self._level_timer.stop()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # ------------------------------------------------------------ GUI thread

    def customEvent(self, event: QEvent) -> None:  # Qt naming
        if isinstance(event, _Delivery):
            self._dispatch(event.payload)

    def _dispatch(self, event: object) -> None:
        if self._closed.is_set():
            return
        if isinstance(event, _Call):
            try:
                event.fn(*event.args)
            except Exception:  # a slot bug must not stop event delivery
                log.exception("GUI callback failed")
            return
        if isinstance(event, _Wrapped):
            getattr(self, event.signal).emit(event.payload)
            return
        name = SIGNAL_FOR.get(type(event)) if isinstance(event, ev.Event) else None
        if name is None:  # a new event type nobody mapped: a bug, said loudly (and tested)
            log.error("engine event without a signal: %s", type(event).__name__)
            return
        if isinstance(event, ev.RecordingStarted):
            self._level_turn = event.turn_id
            self._level_timer.start()  # levels flow only while recording
        elif isinstance(event, LEVELS_END) and event.turn_id == self._level_turn:  # a barged-in turn ending late
            self._flush_level()  # does not freeze the meter of the recording that interrupted it
            self._level_timer.stop()
        getattr(self, name).emit(event)
        self.any_event.emit(event)

    def _flush_level(self) -> None:
        with self._level_lock:
            value, self._level = self._level, None
        if value is not None and not self._closed.is_set():
            self.level.emit(value)


class _Call:
    """`post_call`'s function and arguments, run on the GUI thread."""

    __slots__ = ("args", "fn")

    def __init__(self, fn: Callable[..., object], args: tuple[object, ...]) -> None:
        self.fn = fn
        self.args = args


class _Wrapped:
    __slots__ = ("payload", "signal")

    def __init__(self, signal: str, payload: object) -> None:
        self.signal = signal
        self.payload = payload
