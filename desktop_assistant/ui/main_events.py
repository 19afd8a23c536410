"""What the main window shows for engine events: the state label, the live
conversation, the banner (problems: cause + action) and the status bar.

`EngineEvents` is the part of `MainWindow` that connects the `EngineBridge`'s
signals (delivered on the GUI thread) and renders them; the window's commands,
other windows and shutdown stay in main_window.py.

Turn ids only grow, and the newest turn owns the state shown. Events of an older
turn (one that a press barged in on, finishing after the new recording started)
still finish its bubble but never change the state, so the screen says
"Listening" exactly while the engine says the microphone is on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from desktop_assistant.errors import ErrorKind, NoticeKind, UserFacingError
from desktop_assistant.messages import MessageStatus
from desktop_assistant.ui.problems import describe_problem

if TYPE_CHECKING:
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLineEdit, QPushButton

    from desktop_assistant.agents import AgentSet
    from desktop_assistant.app import App
    from desktop_assistant.assistant.conductor import Assistant
    from desktop_assistant.assistant.events import (
        ConversationChanged,
        Notice,
        RecordingCancelled,
        RecordingStarted,
        RecordingStopped,
        TranscriptPartial,
        TranscriptReady,
        TurnFailed,
        TurnFinished,
        UserMessageStored,
    )
    from desktop_assistant.history.records import MessageRecord
    from desktop_assistant.speech.transcript import ModelStatus
    from desktop_assistant.ui.banner import Banner
    from desktop_assistant.ui.bridge import EngineBridge
    from desktop_assistant.ui.chat_view import ChatView
    from desktop_assistant.ui.history_window import HistoryWindow
    from desktop_assistant.ui.indicators import StateLabel
    from desktop_assistant.ui.level_meter import LevelMeter
    from desktop_assistant.ui.ptt_button import PushToTalkButton
    from desktop_assistant.ui.status_bar import StatusBar

    _Window = QObject  # for the checker: the window's signals are bound on a QObject
else:
    _Window = object

log = logging.getLogger(__name__)

STATES = {
    "loading": "Loading model…",
    "ready": "Ready",
    "listening": "Listening",
    "transcribing": "Transcribing…",
    "thinking": "Thinking…",
    "speaking": "Speaking",
    "error": "Error",
}

# States in which Stop has something to stop (the microphone, a turn in progress).
STOPPABLE = frozenset({"listening", "transcribing", "thinking", "speaking"})
# Problems that a later successful turn does not fix: they stay until their own cause is fixed.
LASTING_PROBLEMS = frozenset({ErrorKind.MODEL, NoticeKind.NO_OUTPUT, ErrorKind.CONFIG, ErrorKind.SETTINGS})
# Groq failure kinds → what the status bar says about the connection.
NETWORK_FOR_KIND: dict[str, str] = {ErrorKind.OFFLINE: "offline", ErrorKind.NO_KEY: "no key", ErrorKind.AUTH: "auth",
                    ErrorKind.RATE_LIMIT: "rate_limit", ErrorKind.SERVER: "server", ErrorKind.TIMEOUT: "timeout",
                    ErrorKind.CUT: "server"}


class EngineEvents(_Window):
    """The part of `MainWindow` that renders engine events.

    Uses the window's widgets (made by `main_layout.build`), its `app`, `bridge` and
    `state_changed` signal, and the `state`, `engine_state`, `_user_shown` and
    `_history` attributes the window sets up (declared here for the type checker).
    """

    # set up by MainWindow.__init__
    app: App
    bridge: EngineBridge
    state: str
    engine_state: str
    _user_shown: set[int]
    _history: HistoryWindow | None
    state_changed: Signal
    show_agents: Callable[[AgentSet], None]
    # made by main_layout.build
    chat: ChatView
    ptt: PushToTalkButton
    banner: Banner
    status: StatusBar
    level: LevelMeter
    state_label: StateLabel
    stop_button: QPushButton
    text_box: QLineEdit

    _recording_id: int | None = None  # the turn whose recording is on (RecordingStarted → Stopped/Cancelled)
    _waiting_for_audio: float | None = None  # when the shown recording started, until its first level arrives
    _latest_turn = 0
    _banner_turn = 0  # the newest turn when the banner's problem was shown
    _typed_pending = 0  # typed messages shown at once whose UserMessageStored has not come yet
    _last_typed = ""  # the last message typed (given back if the engine cannot take it)
    _live_turn: int | None = None  # the turn whose words the live bubble shows

    def _connect_bridge(self) -> None:
        b = self.bridge
        b.recording_started.connect(self._on_recording_started)
        b.recording_stopped.connect(self._on_recording_stopped)
        b.recording_cancelled.connect(self._on_recording_cancelled)
        b.transcript_partial.connect(self._on_partial)
        b.transcript_ready.connect(self._on_transcript)
        b.user_message_stored.connect(self._on_user_stored)
        b.reply_started.connect(lambda e: self._turn_state(e.turn_id, "thinking"))
        b.reply_delta.connect(lambda e: self.chat.append_reply(e.text))
        b.speaking_started.connect(lambda e: self._turn_state(e.turn_id, "speaking"))
        b.notice.connect(self._on_notice)
        b.turn_finished.connect(self._on_finished)
        b.turn_failed.connect(self._on_failed)
        b.conversation_changed.connect(self._on_conversation_changed)
        b.model_status.connect(self._on_model_status)
        b.level.connect(self._on_level)
        b.engine_ready.connect(self._on_engine_ready)
        b.engine_failed.connect(self._on_engine_failed)
        b.command_failed.connect(self._on_command_failed)
        b.conversation_loaded.connect(self._on_conversation_loaded)
        b.agents_loaded.connect(self.show_agents)

    # ------------------------------------------------------------ state

    def _set_state(self, state: str) -> None:
        if state != self.state:
            log.info("state: %s", state)
        self.state = state
        self.state_label.setText(STATES.get(state, state))  # its name and announcement: accessibility.show_state
        listening = self._recording_id is not None
        self.ptt.set_listening(listening)
        self.stop_button.setEnabled(listening or state in STOPPABLE)
        if not listening:
            self.level.reset()
        self.state_changed.emit(state)

    def _is_current(self, turn_id: int) -> bool:
        """The event belongs to the newest turn, and no newer turn is recording."""
        if turn_id < self._latest_turn:
            return False
        self._latest_turn = turn_id
        return self._recording_id is None or self._recording_id == turn_id

    def _turn_state(self, turn_id: int, state: str) -> None:
        if self._is_current(turn_id):
            self._set_state(state)

    # ------------------------------------------------------------ the microphone

    def _on_recording_started(self, event: RecordingStarted) -> None:
        self._latest_turn = max(self._latest_turn, event.turn_id)
        self._recording_id = event.turn_id
        self._waiting_for_audio = time.monotonic()
        self._set_state("listening")

    def _recording_over(self, turn_id: int) -> bool:
        """The microphone of `turn_id` is off; True if it was the recording shown."""
        if turn_id != self._recording_id:
            return False
        self._recording_id = None
        self.ptt.recording_ended()
        return True

    def _on_recording_stopped(self, event: RecordingStopped) -> None:
        if self._recording_over(event.turn_id):
            self._set_state("transcribing")

    def _on_partial(self, event: TranscriptPartial) -> None:
        """The words so far while the user speaks: in the live bubble (only the recording shown)."""
        if event.turn_id != self._recording_id:
            return
        if self._live_turn not in (None, event.turn_id):  # an older turn's words, barged in on
            self.chat.drop_live()
        self._live_turn = event.turn_id
        self.chat.show_live(event.text)
        log.info("live transcript %d of turn %d (%d words)", event.seq, event.turn_id, len(event.text.split()))

    def _drop_live(self, turn_id: int) -> None:
        if self._live_turn == turn_id:
            self._live_turn = None
            self.chat.drop_live()

    def _on_recording_cancelled(self, event: RecordingCancelled) -> None:
        """Stop while listening, or a tap too short to be speech (dropped quietly)."""
        self._drop_live(event.turn_id)
        if self._recording_over(event.turn_id):
            log.info("recording cancelled (%s, %.2f s)", event.reason, event.duration_s)
            self._set_state("ready")

    # ------------------------------------------------------------ engine events

    def _on_engine_ready(self, assistant: Assistant) -> None:
        self.engine_state = "ready"
        if self._recording_id is None:
            self._set_state("ready")
        if not self.app.settings.groq_api_key:
            self.show_problem_text(
                "No Groq API key — replies need one.",
                "Open Settings",
                "settings",
                kind=ErrorKind.NO_KEY,
                severity="warning",
            )
        self.status.show_network("no key" if not self.app.settings.groq_api_key else "unknown")

    def _on_conversation_loaded(self, messages: Sequence[MessageRecord]) -> None:
        if self.chat.bubbles:  # a turn started meanwhile: keep what is shown
            return
        for m in messages:
            timings = m.timings()
            self.chat.add_message(m.role, m.text, status=m.status, timings=timings, error=m.error)

    def _on_engine_failed(self, error: BaseException) -> None:
        self.engine_state = "failed"
        self._set_state("error")
        self.show_problem(error)

    def _on_command_failed(self, error: BaseException) -> None:
        if self._recording_id is None:
            self.ptt.recording_ended()  # e.g. no microphone: a toggle must not stay on
            self._set_state("error")
        if self._typed_pending and self.chat.reply is not None and not self.chat.reply.text:
            # A typed message the engine could not take (e.g. still starting): its bubbles say so,
            # and the words go back into an empty message box, so nothing typed is lost.
            self._typed_pending -= 1
            self.chat.finish_reply(MessageStatus.FAILED, None, _said(error))
            if not self.text_box.text() and self._last_typed:
                self.text_box.setText(self._last_typed)
        self.show_problem(error)

    def _on_transcript(self, event: TranscriptReady) -> None:
        if event.text.strip():
            if self._live_turn == event.turn_id:  # the live bubble becomes the message
                self._live_turn = None
                self.chat.settle_live(event.text)
            else:
                self.chat.add_message("user", event.text)
            self._user_shown.add(event.turn_id)
            if self._is_current(event.turn_id):
                self.chat.begin_reply()  # the reply's bubble is there at once
        self._turn_state(event.turn_id, "thinking")

    def _on_user_stored(self, event: UserMessageStored) -> None:
        if event.turn_id in self._user_shown:
            return
        self._user_shown.add(event.turn_id)
        if self._typed_pending:  # a typed message: shown when it was sent
            self._typed_pending -= 1
            return
        self.chat.add_message("user", event.text)

    def _on_finished(self, event: TurnFinished) -> None:
        timings = event.timings.as_dict()
        if self.chat.reply is None and event.reply:
            self.chat.begin_reply().set_text(event.reply)
        self.chat.finish_reply(event.status, timings)
        if not self._is_current(event.turn_id):
            return
        if event.status == MessageStatus.COMPLETE:
            self._clear_old_problems(event.turn_id)
            self.status.show_network("online")
        self._set_state("ready")
        if self._history is not None and self._history.isVisible():
            self._history.refresh()  # the new turn appears in an open history browser

    def _clear_old_problems(self, turn_id: int) -> None:
        """A turn went through: what went wrong before it is over (not what it met itself)."""
        kind = self.banner.kind
        if kind and kind not in LASTING_PROBLEMS and self._banner_turn < turn_id:
            self.banner.clear()

    def _on_failed(self, event: TurnFailed) -> None:
        error = event.error
        kind = error.kind
        self._drop_live(event.turn_id)  # (nothing heard, Stop before the transcript: no message)
        timings = event.timings.as_dict()
        unseen = event.turn_id > self._latest_turn  # e.g. a press whose recording could not start
        self._recording_over(event.turn_id)
        current = self._is_current(event.turn_id)
        if unseen and self._recording_id is None:
            self.ptt.recording_ended()  # a toggle must not stay on for a microphone that never opened
        if kind == ErrorKind.CANCELLED:  # Stop / barge-in before the reply began: nothing went wrong
            if self.chat.reply is not None:
                self.chat.finish_reply(MessageStatus.INTERRUPTED, timings)
            if current:
                self._set_state("ready")
            return
        if self.chat.reply is not None or event.message_id is not None:
            self.chat.finish_reply(MessageStatus.FAILED, timings, error.message)
        if kind in NETWORK_FOR_KIND:
            self.status.show_network(NETWORK_FOR_KIND[kind])
        if kind == ErrorKind.NO_SPEECH:  # a hint, not an error: the app is ready for the next try
            if current:
                self._set_state("ready")
            message, _, _, _, _ = describe_problem(error)
            self.show_problem_text(message, None, "", kind=kind, severity="info")
            return
        if current:
            self._set_state("error")
        self.show_problem(error)

    def _on_notice(self, event: Notice) -> None:
        severity = "info" if event.kind == NoticeKind.OFFLINE_VOICE else "warning"
        self.show_problem_text(event.message, None, "", kind=event.kind, severity=severity)

    def _on_conversation_changed(self, event: ConversationChanged) -> None:
        if event.conversation_id is None:
            self.chat.clear()
            self._live_turn = None
            self._user_shown.clear()

    def _on_model_status(self, status: ModelStatus) -> None:
        self.status.show_model(status)
        if status.state in ("loading", "downloading") and self.state in ("loading", "ready"):
            self._set_state("loading")
        elif status.state == "ready":
            if self.state == "loading":
                self._set_state("ready")
            if status.problem:  # another model serves (offline, …): say why and what to do
                self.show_problem_text(status.problem, "Open Settings", "settings", kind=ErrorKind.MODEL,
                                       severity="warning")
            else:
                self.banner.clear(ErrorKind.MODEL)
        elif status.state == "error":
            if self.state == "loading":
                self._set_state("ready")  # typing still works; the banner says what to do about speech
            self.show_problem_text(
                status.message or "The speech model could not be loaded.",
                "Open Settings",
                "settings",
                kind=ErrorKind.MODEL,
            )

    def _on_level(self, dbfs: float) -> None:
        if self._recording_id is not None:
            self.level.set_level(dbfs)
            if self._waiting_for_audio is not None:  # a microphone slow to deliver shows up in the log
                log.info("microphone: first audio %.0f ms after the recording started",
                         (time.monotonic() - self._waiting_for_audio) * 1000)
                self._waiting_for_audio = None

    # ------------------------------------------------------------ problems

    def show_problem(self, error: BaseException) -> None:
        message, action, key, kind, severity = describe_problem(error)
        self.show_problem_text(message, action, key, kind=kind, severity=severity)

    def show_problem_text(
        self, message: str, action: str | None, key: str, *, kind: str = "", severity: str = "error"
    ) -> None:
        log.info("banner: %s", message)
        self._banner_turn = self._latest_turn
        self.banner.show_problem(message, action, key, kind=kind, severity=severity)


def _said(error: BaseException) -> str:
    """An error's own words (a `UserFacingError`'s message, else its text)."""
    return error.message if isinstance(error, UserFacingError) else str(error)
