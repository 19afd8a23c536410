"""`desktop-assistant --smoke-test`: prove an installed (or frozen) app works, end to end, offline.

Steps: the embedded model loads (from the bundle when frozen) and transcribes a bundled sample
with the VAD filter; the agents load; a temporary database takes a turn; the main window shows
(offscreen unless a display platform is set). Exits 0 within 30 s, or prints the failing step and
its cause and exits 1 (3 when the time limit is hit).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop_assistant.paths import bundle_root, is_frozen, resource_path

LIMIT_S = 30.0
EXPECTED_WORDS = ("smoke", "test")


def process_age_s() -> float | None:
    """Seconds since this process started (Linux /proc), for the 'window shown' figure."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat: start time in clock ticks after boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _say(text: str) -> None:
    stream = sys.stdout or sys.__stdout__
    if stream is not None:
        print(text, file=stream, flush=True)


def _watchdog() -> None:
    def expire() -> None:
        _say(f"smoke test FAILED: not finished within {LIMIT_S:.0f} s")
        os._exit(3)

    timer = threading.Timer(LIMIT_S, expire)
    timer.daemon = True
    timer.start()


def _step(name: str, fn: Callable[[], str]) -> None:
    started = time.perf_counter()
    detail = fn()
    _say(f"ok   {name:<12} {time.perf_counter() - started:6.2f} s  {detail}")


def _transcribe(app: Any) -> str:
    from desktop_assistant.audio.clip import AudioClip
    from desktop_assistant.audio.decode import decode_file
    from desktop_assistant.engine import Engine
    from desktop_assistant.speech.models import embedded_model_dir

    model_dir = embedded_model_dir()
    if is_frozen() and not str(model_dir).startswith(str(bundle_root())):
        raise RuntimeError(f"the embedded model was not found inside the bundle (got {model_dir})")
    settings = app.settings.with_values(stt_model=str(model_dir))
    transcriber = Engine(app).speech_model(settings)
    transcriber.start()
    try:
        clip = AudioClip(decode_file(resource_path("samples", "smoke-test.wav")))
        transcript = transcriber.transcribe(clip, language="en", timeout=20)
    finally:
        transcriber.close()
    words = transcript.text.lower()
    if not all(w in words for w in EXPECTED_WORDS):
        raise RuntimeError(f"unexpected transcript {transcript.text!r}")
    return f"{transcript.text!r} ({transcript.stt_ms:.0f} ms, {model_dir})"


def _agents(app: Any) -> str:
    if app.agents.errors:
        raise RuntimeError("; ".join(e.message for e in app.agents.errors))
    if not app.agents.agents:
        raise RuntimeError("no agents found")
    return ", ".join(app.agents.agents)


def _database() -> str:
    from desktop_assistant.history.store import HistoryStore
    from desktop_assistant.messages import MessageStatus, TimingKey

    with tempfile.TemporaryDirectory(prefix="da-smoke-") as tmp:
        db = Path(tmp) / "history.db"
        store = HistoryStore.open(db)
        try:
            conversation = store.conversation_for_turn("assistant", 3600)
            store.add_message(conversation, "user", "smoke test question", source="typed")
            reply = store.add_message(conversation, "assistant", "", status=MessageStatus.STREAMING)
            store.update_message(reply, text="smoke test answer", status=MessageStatus.COMPLETE,
                                 timings={TimingKey.TOTAL_MS: 1.0})
        finally:
            store.close()
        store = HistoryStore.open(db)
        try:
            texts = [m.text for m in store.recent_messages(conversation, 10)]
        finally:
            store.close()
    if texts != ["smoke test question", "smoke test answer"]:
        raise RuntimeError(f"the turn did not read back: {texts}")
    return "wrote and read back a turn"


def _window(app: Any) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop_assistant.ui.application import build_main_window, qt_application

    qapp = qt_application()
    window = build_main_window(app)
    window.show()
    qapp.processEvents()
    if not window.isVisible():
        raise RuntimeError("the main window did not become visible")
    age = process_age_s()
    window.close()
    qapp.processEvents()
    return f"window shown {age:.2f} s after process start" if age is not None else "window shown"


def run_smoke_test(app: Any, args: argparse.Namespace) -> int:
    _watchdog()
    _say(f"Desktop Assistant smoke test ({'frozen bundle' if is_frozen() else 'source'})")
    steps: list[tuple[str, Callable[[], str]]] = [
        ("speech", lambda: _transcribe(app)),
        ("agents", lambda: _agents(app)),
        ("database", _database),
        ("window", lambda: _window(app)),
    ]
    for name, fn in steps:
        try:
            _step(name, fn)
        except Exception as exc:  # noqa: BLE001 - the smoke test reports every failure as its cause
            _say(f"FAIL {name:<12} {type(exc).__name__}: {exc}")
            return 1
    _say("smoke test passed")
    return 0
