"""The main window: push-to-talk, state, level meter, the live conversation, a
text box, agent picker, New conversation, Stop (Esc), mute, banner and status bar.

It renders engine events (from the `EngineBridge`, on the GUI thread) and sends
commands through the `EngineController`; it never waits on the engine.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from desktop_assistant import APP_TITLE
from desktop_assistant.ui.bridge import EngineBridge
from desktop_assistant.ui.main_layout import build as build_layout
from desktop_assistant.ui.preferences import load_geometry, save_geometry, save_settings
from desktop_assistant.ui.problems import describe_problem

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QCloseEvent, QShowEvent

log = logging.getLogger(__name__)

AFTER_FIRST_FRAME_MS = 30  # what the first frame does not need starts this long after show
STATES = {
    "loading": "Loading model…",
    "ready": "Ready",
    "listening": "Listening",
    "transcribing": "Transcribing…",
    "thinking": "Thinking…",
    "speaking": "Speaking",
    "error": "Error",
}


class MainWindow(QMainWindow):
    state_changed = Signal(str)
    closed = Signal()
    first_frame_shown = Signal()  # once, ~AFTER_FIRST_FRAME_MS after the first show

    def __init__(self, app: Any, engine: Any, bridge: EngineBridge) -> None:
        super().__init__()
        self.app = app
        self.engine = engine
        self.bridge = bridge
        self.state = "loading"
        self.engine_state = "starting"  # → "ready" | "failed" once the engine's build is delivered
        self._started = False
        self._shut_down = False
        self.remember_geometry = True
        self._user_shown: set[int] = set()
        self._history: Any = None
        self._settings: Any = None
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("mainWindow")
        self.resize(760, 640)
        self._build()
        self._connect_bridge()
        app.on_settings_changed(self._settings_applied)
        geometry = load_geometry(app, "main")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._show_settings(app.settings)
        self._set_state("loading")

    # ------------------------------------------------------------ layout

    def _build(self) -> None:
        build_layout(self)  # the widgets become attributes: self.ptt, self.chat, self.banner, …

    def _actions(self) -> None:
        """The keyboard shortcuts (made after the first frame: nobody types before it)."""
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QAction, QKeySequence

        def action(text: str, keys: Any, slot: Any) -> QAction:
            act = QAction(text, self)
            act.setShortcuts(keys if isinstance(keys, list) else [QKeySequence(keys)])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.new_action = action("New conversation", "Ctrl+N", self.new_conversation)
        self.find_action = action("Search history", "Ctrl+F", lambda: self.open_history(search=True))
        self.settings_action = action("Settings", "Ctrl+,", lambda: self.open_settings())
        self.stop_action = action("Stop", "Esc", self.stop)
        self.quit_action = action("Quit", "Ctrl+Q", self.close)

    def _connect_bridge(self) -> None:
        b = self.bridge
        b.recording_started.connect(lambda e: self._set_state("listening"))
        b.recording_stopped.connect(self._on_recording_stopped)
        b.transcript_ready.connect(self._on_transcript)
        b.user_message_stored.connect(self._on_user_stored)
        b.reply_started.connect(lambda e: self._set_state("thinking"))
        b.reply_delta.connect(lambda e: self.chat.append_reply(e.text))
        b.speaking_started.connect(lambda e: self._set_state("speaking"))
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

    # ------------------------------------------------------------ commands

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        if not self._started:
            self._started = True
            # After the first frame: the engine's imports on its thread would compete for the GIL,
            # and nobody presses the push-to-talk key before the window is painted.
            QTimer.singleShot(AFTER_FIRST_FRAME_MS, self, self._after_first_frame)

    def _after_first_frame(self) -> None:
        if self._shut_down:
            return
        self._actions()
        self.ptt_key.watch()  # ~3 ms: wraps every child widget for Python
        self.first_frame_shown.emit()
        self.engine.start()  # the stored key, the agents, then the engine, on the engine's thread

    def _talk_started(self) -> None:
        self.banner.clear("audio")
        self.banner.clear("no_speech")
        self.engine.press()

    def _talk_ended(self) -> None:
        self.engine.release()

    def send_typed(self) -> None:
        text = self.text_box.text().strip()
        if not text:
            return
        self.text_box.clear()
        self.engine.send_text(text)
        self._set_state("thinking")

    def stop(self) -> None:
        self.ptt.set_listening(False)
        self.engine.stop()

    def new_conversation(self) -> None:
        self.engine.new_conversation()
        self.chat.clear()
        self._user_shown.clear()

    def show_agents(self, agents: Any) -> None:
        """Fill the agent picker (the agents are parsed after the window shows) and enable it."""
        box = self.agent_box
        blocked = box.blockSignals(True)
        box.clear()
        for agent in agents.agents.values():
            box.addItem(agent.name, agent.id)
        box.setCurrentIndex(max(0, box.findData(agents.get(self.app.settings.agent).id)))
        box.blockSignals(blocked)
        box.setEnabled(box.count() > 0)

    def _agent_chosen(self, index: int) -> None:
        agent_id = self.agent_box.itemData(index)
        if agent_id and agent_id != self.app.settings.agent:
            self.engine.set_agent(agent_id)
            self._persist(agent=agent_id)

    def _mute_toggled(self, muted: bool) -> None:
        self.engine.set_muted(muted)
        if muted != self.app.settings.speech_muted:
            self._persist(speech_muted=muted)

    def _persist(self, **changes: Any) -> None:
        try:
            save_settings(self.app, changes)
        except Exception as exc:  # noqa: BLE001 - shown, not raised
            self.show_problem(exc)

    # ------------------------------------------------------------ engine events

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_label.setText(STATES.get(state, state))
        self.state_label.setAccessibleDescription(STATES.get(state, state))
        self.ptt.set_listening(state == "listening")
        if state != "listening":
            self.level.reset()
        self.state_changed.emit(state)

    def _on_engine_ready(self, assistant: Any) -> None:
        self.engine_state = "ready"
        self._set_state("ready")
        if not self.app.settings.groq_api_key:
            self.show_problem_text(
                "No Groq API key — replies need one.",
                "Open Settings",
                "settings",
                kind="no_key",
                severity="warning",
            )
        self.status.show_network("no key" if not self.app.settings.groq_api_key else "unknown")

    def _on_conversation_loaded(self, messages: Any) -> None:
        if self.chat.bubbles:  # a turn started meanwhile: keep what is shown
            return
        for m in messages:
            timings = {
                k: getattr(m, k, None) for k in ("stt_ms", "llm_first_token_ms", "first_audio_ms", "total_ms")
            }
            self.chat.add_message(m.role, m.text, status=m.status, timings=timings, error=m.error)

    def _on_engine_failed(self, error: Any) -> None:
        self.engine_state = "failed"
        self._set_state("error")
        self.show_problem(error)

    def _on_command_failed(self, error: Any) -> None:
        self.ptt.set_listening(False)
        self._set_state("error")
        self.show_problem(error)

    def _on_recording_stopped(self, event: Any) -> None:
        self._set_state("transcribing")

    def _on_transcript(self, event: Any) -> None:
        if event.text.strip():
            self.chat.add_message("user", event.text)
            self._user_shown.add(event.turn_id)
        self._set_state("thinking")

    def _on_user_stored(self, event: Any) -> None:
        if event.turn_id not in self._user_shown:
            self.chat.add_message("user", event.text)
            self._user_shown.add(event.turn_id)

    def _on_finished(self, event: Any) -> None:
        timings = event.timings.as_dict() if hasattr(event.timings, "as_dict") else dict(event.timings or {})
        if self.chat.reply is None and event.reply:
            self.chat.begin_reply().set_text(event.reply)
        self.chat.finish_reply(event.status, timings)
        self.banner.clear("offline")
        self.status.show_network("online" if event.reply else "unknown")
        self._set_state("ready")
        if self._history is not None and self._history.isVisible():
            self._history.refresh()  # the new turn appears in an open history browser

    def _on_failed(self, event: Any) -> None:
        error = event.error
        kind = getattr(error, "kind", "")
        timings = event.timings.as_dict() if hasattr(event.timings, "as_dict") else None
        if kind == "cancelled":  # Stop / barge-in before the reply began: nothing went wrong
            if self.chat.reply is not None:
                self.chat.finish_reply("interrupted", timings)
            self._set_state("ready")
            return
        if self.chat.reply is not None or event.message_id is not None:
            self.chat.finish_reply("failed", timings, getattr(error, "message", str(error)))
        if kind == "offline":
            self.status.show_network("offline")
        elif kind == "no_key":
            self.status.show_network("no key")
        if kind == "no_speech":  # a hint, not an error: the app is ready for the next try
            self._set_state("ready")
            message, _, _, _, _ = describe_problem(error)
            self.show_problem_text(message, None, "", kind=kind, severity="info")
            return
        self._set_state("error")
        self.show_problem(error)

    def _on_notice(self, event: Any) -> None:
        severity = "info" if event.kind in ("offline_voice",) else "warning"
        self.show_problem_text(event.message, None, "", kind=event.kind, severity=severity)

    def _on_conversation_changed(self, event: Any) -> None:
        if event.conversation_id is None:
            self.chat.clear()
            self._user_shown.clear()

    def _on_model_status(self, status: Any) -> None:
        self.status.show_model(status)
        if status.state in ("loading", "downloading") and self.state in ("loading", "ready"):
            self._set_state("loading")
        elif status.state == "ready" and self.state == "loading":
            self._set_state("ready")
        elif status.state == "error":
            self.show_problem_text(
                status.message or "The speech model could not be loaded.",
                "Open Settings",
                "settings",
                kind="model",
            )

    def _on_level(self, dbfs: float) -> None:
        if self.state == "listening":
            self.level.set_level(dbfs)

    # ------------------------------------------------------------ problems

    def show_problem(self, error: Any) -> None:
        message, action, key, kind, severity = describe_problem(error)
        self.show_problem_text(message, action, key, kind=kind, severity=severity)

    def show_problem_text(
        self, message: str, action: str | None, key: str, *, kind: str = "", severity: str = "error"
    ) -> None:
        log.info("banner: %s", message)
        self.banner.show_problem(message, action, key, kind=kind, severity=severity)

    def _banner_action(self, key: str) -> None:
        if key == "settings":
            self.open_settings()
        elif key == "retry":
            self.banner.clear()

    # ------------------------------------------------------------ other windows

    def open_settings(self, page: str | None = None) -> Any:
        from desktop_assistant.ui.settings_dialog import SettingsDialog

        if self._settings is None:
            self._settings = SettingsDialog(self.app, self.engine, self.bridge, self)
        self._settings.reload()
        self._settings.show()
        self._settings.raise_()
        self._settings.activateWindow()
        return self._settings

    def open_history(self, search: bool = False) -> Any:
        from desktop_assistant.ui.history_source import HistorySource
        from desktop_assistant.ui.history_window import HistoryWindow

        if self._history is None:
            self._history = HistoryWindow(self.app, HistorySource.for_app(self.app), self.bridge)
        else:
            self._history.refresh()
        self._history.show()
        self._history.raise_()
        self._history.activateWindow()
        if search:
            self._history.focus_search()
        return self._history

    # ------------------------------------------------------------ settings

    def _settings_applied(self, old: Any, new: Any) -> None:
        self._show_settings(new)
        if new.groq_api_key and not old.groq_api_key:
            self.banner.clear("no_key")
        if new.groq_api_key != old.groq_api_key:
            self.banner.clear("auth")
            self.status.show_network("unknown" if new.groq_api_key else "no key")
        if new.input_device != old.input_device:
            self.banner.clear("audio")

    def _show_settings(self, settings: Any) -> None:
        self.ptt.set_mode(settings.ptt_mode)
        self.ptt_key.set_key(settings.ptt_key)
        self.ptt.setToolTip(
            f"Hold {settings.ptt_key} (or the button) while you speak"
            if settings.ptt_mode == "hold"
            else f"Press {settings.ptt_key} (or click) to start and again to send"
        )
        self.status.show_device(settings.input_device)
        blocked = self.mute_button.blockSignals(True)
        self.mute_button.setChecked(settings.speech_muted)
        self.mute_button.blockSignals(blocked)
        index = self.agent_box.findData(settings.agent)
        if index >= 0 and index != self.agent_box.currentIndex():
            blocked = self.agent_box.blockSignals(True)
            self.agent_box.setCurrentIndex(index)
            self.agent_box.blockSignals(blocked)

    # ------------------------------------------------------------ shutdown

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow():
            self.ptt_key.release()  # a held key's release goes to the other window
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt naming
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop input, cancel the turn, stop workers (bounded), then close other windows."""
        if self._shut_down:
            return
        self._shut_down = True
        if self.remember_geometry:
            save_geometry(self.app, "main", self.saveGeometry())
        self.ptt_key.detach()
        self.ptt.set_listening(False)
        self.engine.shutdown(timeout)
        self.bridge.close()
        for window in (self._history, self._settings):
            if window is not None:
                window.shutdown()
        log.info("main window closed")
        self.closed.emit()
