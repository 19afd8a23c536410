"""Packaged app: bundle size, file count, and process start → main window shown.

Runs the PyInstaller bundle (`make package` first) the way a user starts it — no venv on PATH,
a fresh HOME, offscreen Qt — and waits for the "main window shown" line in its log. In the
same run it times a bare PySide6 window from the venv, as the machine's baseline.
Goal (issue 7): window shown ≤ 2 s; bundle ≤ 650 MB.

    .venv/bin/python bench/frozen_startup.py [--bundle dist/desktop-assistant] [--runs 5] [--json]
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
BARE = ("import sys\nfrom PySide6.QtWidgets import QApplication, QMainWindow\n"
        "a = QApplication(sys.argv[:1]); w = QMainWindow(); w.show(); a.processEvents(); print('shown', flush=True)")


def bundle_figures(bundle: Path) -> tuple[float, int]:
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files) / 1e6, len(files)


def frozen_window_s(binary: Path, timeout: float = 30.0) -> float:
    with tempfile.TemporaryDirectory(prefix="da-bench-home-") as home:
        env = {"HOME": home, "LANG": os.environ.get("LANG", "C.UTF-8"), "PATH": "/usr/bin:/bin",
               "QT_QPA_PLATFORM": "offscreen"}
        log = Path(home, ".local", "state", "desktop-assistant", "log", "app.log")
        start = time.perf_counter()
        proc = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while time.perf_counter() - start < timeout:
                if log.exists() and "main window shown" in log.read_text(errors="replace"):
                    return time.perf_counter() - start
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited with {proc.returncode} before showing its window")
                time.sleep(0.005)
            raise RuntimeError(f"no window within {timeout:.0f} s")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def bare_window_s() -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE], env=env, check=True, capture_output=True, timeout=30)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "desktop-assistant")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    binary = args.bundle / "desktop-assistant"
    if not binary.exists():
        print(f"{binary} not found: run `make package` first", file=sys.stderr)
        return 2
    size_mb, files = bundle_figures(args.bundle)
    frozen_window_s(binary)  # warm the file cache once, not measured
    frozen = [frozen_window_s(binary) for _ in range(args.runs)]
    bare = [bare_window_s() for _ in range(args.runs)]
    result = {
        "bundle_mb": round(size_mb, 1), "bundle_files": files,
        "frozen_window_p50_s": round(statistics.median(frozen), 3), "frozen_window_max_s": round(max(frozen), 3),
        "bare_window_p50_s": round(statistics.median(bare), 3),
        "ratio_to_bare": round(statistics.median(frozen) / statistics.median(bare), 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"bundle               : {size_mb:.0f} MB in {files} files (goal ≤ 650 MB)")
        print(f"frozen window shown  : {result['frozen_window_p50_s'] * 1000:.0f} ms p50, "
              f"{result['frozen_window_max_s'] * 1000:.0f} ms max (goal ≤ 2000 ms)")
        print(f"bare PySide6 window  : {result['bare_window_p50_s'] * 1000:.0f} ms p50 (baseline, venv)  "
              f"ratio {result['ratio_to_bare']}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
