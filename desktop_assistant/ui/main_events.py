"""What the main window shows for engine events: the state label, the live
conversation, the banner (problems: cause + action) and the status bar.

`EngineEvents` is the part of `MainWindow` that connects the `EngineBridge`'s
signals (delivered on the GUI thread) and renders them; the window's commands,
other windows and shutdown stay in main_window.py.
"""

from __future__ import annotations

import logging
from typing import Any

from desktop_assistant.ui.problems import describe_problem

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


class EngineEvents:
    """The part of `MainWindow` that renders engine events.

    Uses the window's widgets (made by `main_layout.build`), its `app`, `bridge` and
    `state_changed` signal, and the `state`, `engine_state`, `_user_shown` and
    `_history` attributes the window sets up.
    """

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

    # ------------------------------------------------------------ engine events

    def _set_state(self, state: str) -> None:
        if state != self.state:
            log.info("state: %s", state)
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
