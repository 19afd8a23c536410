"""Start-up benchmark: process start → main window shown (offscreen), against a bare
PySide6 window in the same run; and process start → speech model ready.

Goal: the app's window within 1.5× the bare window's time; the STT model (embedded
tiny.en) ready ≤ 3 s after launch. Each is the median of --runs processes.

    scripts/test-env.sh .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
qapp = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(760, 640); w.show(); qapp.processEvents()
print("shown", flush=True)
"""

APP = """
import sys
from desktop_assistant.app import App
from desktop_assistant.ui.application import build_main_window, qt_application
app = App.create(console_log=False)
qapp = qt_application()
window = build_main_window(app)
window.show(); qapp.processEvents()
print("shown", flush=True)
def status(s):
    if s.state == "ready":
        print("model-ready", flush=True); window.close(); qapp.quit()
    elif s.state == "error":
        print("model-error " + s.message, flush=True); window.close(); qapp.quit()
window.bridge.model_status.connect(status)
window.bridge.engine_failed.connect(lambda e: (print("engine-failed", e, flush=True), qapp.quit()))
qapp.exec()
window.shutdown(); app.close()
"""


def launch(code: str, env: dict[str, str], markers: tuple[str, ...]) -> dict[str, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    seen: dict[str, float] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        word = line.split()[0] if line.strip() else ""
        if word in ("model-error", "engine-failed"):
            proc.kill()
            raise SystemExit(f"start-up failed: {line.strip()}")
        if word in markers:
            seen[word] = time.perf_counter() - started
        if len(seen) == len(markers):
            break
    proc.wait(timeout=30)
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HF_HUB_OFFLINE": "1", "STT_MODEL": "tiny.en"}
    # An installed app (pip, PyInstaller) runs from bytecode; a checkout under PYTHONDONTWRITEBYTECODE
    # would compile every module at each start, which no user sees. The warm-up run writes the bytecode.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    bare, shown, ready = [], [], []
    with tempfile.TemporaryDirectory(prefix="da-bench-startup-") as home:
        env["DESKTOP_ASSISTANT_HOME"] = home
        launch(APP, env, ("shown", "model-ready"))  # warm the file cache once, not measured
        for _ in range(args.runs):
            bare.append(launch(BARE, env, ("shown",))["shown"])
            got = launch(APP, env, ("shown", "model-ready"))
            shown.append(got["shown"])
            ready.append(got["model-ready"])
    b, s, r = statistics.median(bare), statistics.median(shown), statistics.median(ready)
    ratio = s / b
    ok = ratio <= 1.5 and r <= 3.0
    if args.json:
        print(json.dumps({"bare_shown_ms": round(b * 1000, 1), "app_shown_ms": round(s * 1000, 1),
                          "shown_ratio": round(ratio, 3), "model_ready_ms": round(r * 1000, 1), "ok": ok}))
        return 0
    print(f"bare PySide6 window shown : {b * 1000:7.0f} ms (median of {args.runs})")
    print(f"app main window shown     : {s * 1000:7.0f} ms  = {ratio:.2f}× bare (goal ≤ 1.5×)")
    print(f"speech model ready        : {r * 1000:7.0f} ms after launch (goal ≤ 3000 ms)")
    print("startup: " + ("OK" if ok else "over goal"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
