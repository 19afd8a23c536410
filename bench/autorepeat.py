"""Key autorepeat benchmark: physical holds of the push-to-talk key on a real X server (Xvfb +
openbox, `xset r rate 200 40`) with one core kept busy, against the recordings the app made.

Baseline in the same run: a bare PySide6 window counts the repeat pairs whose release Qt does not
flag as auto-repeat (each such release, to an app that trusts the flag, ends the press). Then the
real app: holds with XKB detectable auto-repeat (the default) and with it turned off (the 50 ms
release confirmation alone). Goal: holds == clips in both.

    scripts/test-env.sh .venv/bin/python bench/autorepeat.py [--holds 6] [--seconds 2.5] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.desktop.harness import Desktop, app_env, cpu_hog, launch  # noqa: E402
from tests.support.groq_server import GroqBehaviour, GroqServer  # noqa: E402

BARE = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])
seen = {"releases": 0, "unflagged": 0}
class Window(QWidget):
    def keyReleaseEvent(self, event):
        seen["releases"] += 1
        seen["unflagged"] += not event.isAutoRepeat()
w = Window(); w.setWindowTitle("bare-autorepeat"); w.resize(300, 200); w.show()
def done():
    print(json.dumps(seen), flush=True); app.quit()
QTimer.singleShot(int(sys.argv[1]) * 1000, done)
app.exec()
"""


def hold(desktop: Desktop, seconds: float) -> None:
    desktop.xdotool("keydown", "space")
    time.sleep(seconds)
    desktop.xdotool("keyup", "space")


def bare_window(desktop: Desktop, holds: int, seconds: float) -> dict[str, int]:
    budget = int(holds * (seconds + 0.6) + 6)
    proc = subprocess.Popen([sys.executable, "-c", BARE, str(budget)], env={**desktop.env, "QT_QPA_PLATFORM": "xcb"},
                            stdout=subprocess.PIPE, text=True)
    wid = desktop.xdotool("search", "--sync", "--name", "bare-autorepeat").split()[0]
    desktop.xdotool("windowactivate", "--sync", wid)
    for _ in range(holds):
        hold(desktop, seconds)
        time.sleep(0.5)
    out, _ = proc.communicate(timeout=budget + 30)
    seen = json.loads(out.strip().splitlines()[-1])
    # One real release per hold; the others came from the repeat.
    return {"holds": holds, "repeat_releases": seen["releases"] - holds,
            "unflagged_repeat_releases": seen["unflagged"] - holds}


def real_app(desktop: Desktop, server: GroqServer, work: Path, detectable: bool, holds: int,
             seconds: float) -> dict[str, int]:
    home = work / ("detectable" if detectable else "confirm")
    env = app_env(desktop, home, groq_url=server.base_url,
                  extra={"DA_NO_DETECTABLE_AUTOREPEAT": None if detectable else "1"})
    app = launch(desktop, home, env)
    try:
        app.focus()
        app.key("Tab")  # off the message box
        for number in range(1, holds + 1):
            hold(desktop, seconds)
            deadline = time.monotonic() + 60
            while len(re.findall(r"recording from ", app.log_text())) < number and time.monotonic() < deadline:
                time.sleep(0.1)
            app.wait_state("ready", timeout=60)
        return {"holds": holds, "clips": app.count_log(r"recording from "),
                "too_short_errors": app.count_log("too short")}
    finally:
        app.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2.5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="da-autorepeat-") as tmp, cpu_hog(1), \
            GroqServer(GroqBehaviour(reply="Yes.")) as server:
        desktop = Desktop(Path(tmp) / "desktop").start()
        try:
            result = {
                "rate": "xset r rate 200 40, one core busy",
                "bare_qt_window": bare_window(desktop, args.holds, args.seconds),
                "app_xkb_detectable": real_app(desktop, server, Path(tmp), True, args.holds, args.seconds),
                "app_release_confirm": real_app(desktop, server, Path(tmp), False, args.holds, args.seconds),
            }
        finally:
            desktop.close()
    if args.json:
        print(json.dumps(result))
    else:
        bare = result["bare_qt_window"]
        print(f"bare PySide6 window: {bare['unflagged_repeat_releases']} of {bare['repeat_releases']} repeat "
              f"releases not flagged as auto-repeat over {bare['holds']} holds ({result['rate']})")
        for name in ("app_xkb_detectable", "app_release_confirm"):
            r = result[name]
            print(f"{name}: {r['holds']} holds -> {r['clips']} clips, {r['too_short_errors']} 'too short' errors")
    ok = all(result[n]["clips"] == result[n]["holds"] for n in ("app_xkb_detectable", "app_release_confirm"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
