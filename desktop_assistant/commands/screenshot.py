"""`desktop-assistant screenshot DIR`: render the main window (with a sample
conversation, then with the "No Groq API key" banner, then listening with the words heard
so far in the live bubble), the history browser (over a
temporary sample history) and the Settings dialog to PNG files in DIR. Offscreen
unless a display platform is set; the colours are the platform theme's (light or
dark: scripts/screenshots.sh renders both). The user's own history, settings and
window geometry are not touched.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.messages import MessageStatus

SIZE = (860, 660)
SAMPLE = [
    (
        "What's the weather usually like in Lisbon in May?",
        "Lisbon in May is mild and sunny: around 22 °C in the afternoon, cooler evenings, and only a few "
        "rainy days. Bring a light jacket for the wind by the river.",
        {"stt_ms": 310.0, "llm_first_token_ms": 420.0, "first_audio_ms": 910.0, "total_ms": 5200.0},
    ),
    (
        "And what should I not miss there?",
        "Take tram 28 up to Alfama, watch the sunset from a miradouro, and try a pastel de nata in Belém.",
        {"stt_ms": 280.0, "llm_first_token_ms": 520.0, "first_audio_ms": 1120.0, "total_ms": 4100.0},
    ),
]
LIVE_TURN = 99
LIVE_WORDS = "And is the sea warm enough to swim"
HISTORY = [
    ("assistant", "Quick pasta recipe for two"),
    ("assistant", "Set a reminder for the dentist"),
    ("translator", "Translate 'good morning' to Japanese"),
    ("coder", "Why does my Python loop skip items?"),
    ("tutor", "Explain photosynthesis simply"),
    ("assistant", "What's the weather usually like in Lisbon in May?"),
]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("screenshot", help="render the main window, history browser and settings to PNGs")
    p.add_argument(
        "dir", type=Path,
        help="folder for main-window.png, main-window-banner.png, main-window-live.png, history.png, settings.png"
    )
    p.set_defaults(func=run)


class _NoEngine:
    """The screenshots show widgets only: no audio, model or network is started (it stands in for
    the built engine, with no assistant: the window is never asked to send it anything here)."""

    assistant = None

    def apply_settings(self, old: Any, new: Any) -> list[str]:
        return []

    def current_conversation(self) -> list[Any]:
        return []


def _fill_history(store: Any) -> None:
    for n, (agent, question) in enumerate(HISTORY):
        conversation = store.conversation_for_turn(agent, 0.0, new=True)
        store.add_message(conversation, "user", question, source="voice")
        reply = store.add_message(conversation, "assistant", "", status=MessageStatus.STREAMING)
        text = SAMPLE[0][1] if n == len(HISTORY) - 1 else f"Here is a short answer about: {question.lower()}"
        store.update_message(
            reply,
            text=text,
            status=MessageStatus.COMPLETE,
            timings={
                "stt_ms": 300.0 + 20 * n,
                "llm_first_token_ms": 380.0 + 35 * n,
                "first_audio_ms": 820.0 + 90 * (n % 4),
                "total_ms": 4000.0,
            },
        )


def run(app: Any, args: argparse.Namespace) -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out: Path = args.dir
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserFacingError(f"Cannot create {out}: {exc.strerror}", kind=ErrorKind.INPUT) from None

    from desktop_assistant.assistant.events import RecordingCancelled, RecordingStarted, TranscriptPartial
    from desktop_assistant.history.store import HistoryStore
    from desktop_assistant.messages import TimingKey
    from desktop_assistant.speech.transcript import ModelStatus
    from desktop_assistant.ui.application import build_main_window, qt_application
    from desktop_assistant.ui.history_source import HistorySource
    from desktop_assistant.ui.history_window import HistoryWindow
    from desktop_assistant.ui.settings_dialog import SettingsDialog

    qapp = qt_application()
    window = build_main_window(app, lambda _app, _bridge: _NoEngine())
    window.remember_geometry = False
    window.resize(*SIZE)
    window.show()
    while window.engine_state == "starting":  # let the (empty) engine's start be delivered first
        qapp.processEvents()
    for question, answer, timings in SAMPLE:
        window.chat.add_message("user", question)
        window.chat.add_message("assistant", answer, timings={TimingKey(k): v for k, v in timings.items()})
    window.banner.clear()
    window._set_state("ready")
    window.status.show_model(ModelStatus("tiny.en", "embedded", "ready"))
    window.status.show_network("online")
    written = [_save(qapp, window, out / "main-window.png")]
    window.banner.show_problem(
        "No Groq API key — replies need one.", "Open Settings", "settings", kind=ErrorKind.NO_KEY, severity="warning"
    )
    written.append(_save(qapp, window, out / "main-window-banner.png"))
    window.banner.clear()
    # listening, the words so far in the live bubble (as the engine's events would put them there)
    window.bridge.post(RecordingStarted(LIVE_TURN))
    window.bridge.post(TranscriptPartial(LIVE_TURN, LIVE_WORDS, 4))
    written.append(_save(qapp, window, out / "main-window-live.png"))
    window.bridge.post(RecordingCancelled(LIVE_TURN, "stopped"))
    qapp.processEvents()

    with tempfile.TemporaryDirectory(prefix="da-screenshot-") as tmp:
        store = HistoryStore.open(Path(tmp) / "history.db")
        try:
            _fill_history(store)
            history = HistoryWindow(app, HistorySource(store), window.bridge)
            history.resize(*SIZE)
            history.show()
            history.select_row(0)
            written.append(_save(qapp, history, out / "history.png"))
            history.shutdown()
        finally:
            store.close()

    dialog = SettingsDialog(app, window.engine, window.bridge, window)
    dialog.api_key.setText("gsk_example_key_not_real")
    dialog.show()
    dialog.resize(560, 460)
    written.append(_save(qapp, dialog, out / "settings.png"))
    dialog.shutdown()
    window.close()
    qapp.processEvents()
    for path in written:
        print(path)
    return 0


def _save(qapp: Any, widget: Any, path: Path) -> Path:
    for _ in range(5):
        qapp.processEvents()
    if not widget.grab().save(str(path)):
        raise UserFacingError(f"Cannot write {path}")
    return path
