"""GUI responsiveness: the longest event-loop stall on the GUI thread during full
voice turns with the real engine (real tiny.en, a recorder fed a fixture WAV by a
sounddevice-like stream, loopback Groq streaming, loopback gTTS, the player on the
PulseAudio null sink when present), including the model load at start.

A QTimer fires every 5 ms on the GUI thread; each gap beyond its interval is a
stall. Goal: the worst stall during a turn ≤ 50 ms (start-up is reported too).

    scripts/test-env.sh .venv/bin/python bench/responsiveness.py [--turns 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

GOAL_MS = 50.0


class Probe:
    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.gaps: list[float] = []
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.gaps.append(self.clock.nsecsElapsed() / 1e6)
        self.clock.restart()

    def start(self) -> None:
        self.gaps.clear()
        self.clock.start()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return list(self.gaps)


def spin_until(qapp: Any, predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        qapp.processEvents()
        if predicate():
            return True
        time.sleep(0.002)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="da-bench-resp-")
    from tests.support.audio import FakeInputStream, fixture_samples
    from tests.support.groq_server import GroqBehaviour, GroqServer
    from tests.support.tts_server import TTSServer

    groq = GroqServer(GroqBehaviour(tokens_per_s=60)).start()
    tts = TTSServer().start()
    os.environ.update(
        {
            "DESKTOP_ASSISTANT_HOME": home,
            "HF_HUB_OFFLINE": "1",
            "GROQ_API_KEY": "gsk_benchloopback0123",
            "GROQ_BASE_URL": groq.base_url,
            "STT_MODEL": "tiny.en",
            "TTS_ENGINE": "gtts",
        }
    )
    if os.environ.get("DA_TEST_PULSE") != "1":
        os.environ["SPEECH_MUTED"] = "1"  # no sound server: measure without playback
    from desktop_assistant.app import App
    from desktop_assistant.audio.recorder import Recorder
    from desktop_assistant.ui.application import build_main_window, qt_application
    from desktop_assistant.ui.controller import build_engine

    samples = fixture_samples("fox.wav")
    streams: list[FakeInputStream] = []

    def factory(**kw: Any) -> FakeInputStream:
        streams.append(FakeInputStream(source=samples, speed=1.0, **kw))
        return streams[-1]

    def build(app: Any, bridge: Any) -> Any:
        recorder = app.part("bench-recorder", lambda: Recorder(on_level=bridge.post_level, stream_factory=factory),
                            lambda r: r.close())
        return build_engine(app, bridge, gtts_endpoint=tts.url, given={"recorder": recorder})

    app = App.create(console_log=False)
    qapp = qt_application()
    probe = Probe()
    window = build_main_window(app, build)
    window.show()
    qapp.processEvents()
    probe.start()  # from the first shown frame: building the widgets is start-up (bench/startup.py)
    ready = {"model": False}
    window.bridge.model_status.connect(
        lambda s: ready.__setitem__("model", s.state == "ready") if s.state in ("ready", "error") else None
    )
    assert spin_until(qapp, lambda: ready["model"], 60), "the model did not load"
    load_gaps = probe.stop()
    turn_gaps: list[float] = []
    turn = {"done": False}
    window.bridge.turn_finished.connect(lambda e: turn.__setitem__("done", True))
    window.bridge.turn_failed.connect(lambda e: turn.__setitem__("done", True))
    turn_ms: list[float] = []
    for _ in range(args.turns):
        probe.start()
        started = time.perf_counter()
        opened = len(streams)  # this turn's stream is the next one made (not the last turn's)
        window.ptt.begin()
        assert spin_until(
            qapp,
            lambda opened=opened: (
                len(streams) > opened
                and streams[-1].blocks_sent * streams[-1].blocksize >= 3.3 * streams[-1].samplerate
            ),
            20,
        )
        turn["done"] = False
        window.ptt.end()
        assert spin_until(qapp, lambda: turn["done"], 60), "the turn did not finish"
        turn_ms.append((time.perf_counter() - started) * 1000)
        turn_gaps.extend(probe.stop())
    messages = window.chat.messages()
    window.close()
    app.close()
    groq.stop()
    tts.stop()
    assert messages and messages[-1][2] == "complete", messages

    def figures(gaps: list[float]) -> dict[str, float]:
        p99 = statistics.quantiles(gaps, n=100)[98] if len(gaps) >= 100 else max(gaps)
        return {"ticks": len(gaps), "median_ms": round(statistics.median(gaps), 2), "p99_ms": round(p99, 2),
                "worst_ms": round(max(gaps), 2)}

    load, turns = figures(load_gaps), figures(turn_gaps)
    if args.json:
        print(json.dumps({"load": load, "turns": turns, "turn_wall_ms": round(statistics.median(turn_ms), 1),
                          "ok": turns["worst_ms"] <= GOAL_MS}))
        return 0

    def report(name: str, f: dict[str, float]) -> float:
        print(f"{name:<28} ticks {f['ticks']:5.0f}   median {f['median_ms']:5.1f} ms   "
              f"p99 {f['p99_ms']:6.1f} ms   worst {f['worst_ms']:6.1f} ms")
        return f["worst_ms"]

    print(f"GUI event-loop responsiveness (5 ms probe; goal: worst stall ≤ {GOAL_MS:.0f} ms)")
    worst_load = report("engine build + model load", load)
    worst_turn = report(f"{args.turns} voice turns", turns)
    print(
        f"turn wall time (press → finished, incl. 3.3 s of speech): "
        f"{statistics.median(turn_ms):.0f} ms median"
    )
    # The goal is about turns (what the user does); the start-up phase is reported for information:
    # its stalls come from the model load and imports on engine threads holding the GIL.
    print(
        f"responsiveness during turns: {'OK' if worst_turn <= GOAL_MS else 'over goal'}"
        f"; during start-up: {'OK' if worst_load <= GOAL_MS else 'over goal'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
