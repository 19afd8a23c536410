"""Every window fits its screen, dialogs open centred on the main window (issue 12, item 6).

The windows are measured in a child process on an offscreen 1600x1000 screen at
`QT_SCALE_FACTOR=2` (800x500 logical pixels), the case where the main window used to open
1280 px tall with the talk button and the text box below the screen. Offscreen windows have
no window-manager frame, so the frame is the one `placement.frame_margins` guesses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, QSize

from desktop_assistant.ui.placement import centred, fit_frame

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]

SCREEN = {"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1600, "height": 1000,
                       "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}

MEASURE = r"""
import json, sys
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget
from desktop_assistant.app import App
from desktop_assistant.ui.application import build_main_window, qt_application
from desktop_assistant.ui.placement import frame_margins
from desktop_assistant.ui.preferences import save_geometry
from tests.support.stand_in_engine import StandInEngine

qapp = qt_application()
app = App.create(console_log=False)
if sys.argv[1] == "restored":  # saved on a bigger screen: 1200x900 at (300, 200)
    big = QWidget()
    big.setGeometry(300, 200, 1200, 900)
    save_geometry(app, "main", big.saveGeometry())

def frame(w):
    m, g = frame_margins(w), w.geometry()
    return [g.x() - m.left(), g.y() - m.top(), g.width() + m.left() + m.right(), g.height() + m.top() + m.bottom()]

def on_screen(w):
    p = w.mapToGlobal(QPoint(0, 0))
    return [p.x(), p.y(), w.width(), w.height()]

def minimum(w):
    m, s = frame_margins(w), w.minimumSize().expandedTo(w.minimumSizeHint())
    return [s.width() + m.left() + m.right(), s.height() + m.top() + m.bottom()]

window = build_main_window(app, lambda app, bridge: StandInEngine())
window.show()
qapp.processEvents()
out = {"available": list(qapp.primaryScreen().availableGeometry().getRect()),
       "scale": qapp.primaryScreen().devicePixelRatio(),
       "main": frame(window), "talk": on_screen(window.ptt), "text": on_screen(window.text_box)}
window.banner.show_problem("No Groq API key: replies need one (free at console.groq.com)", "Open Settings",
                           "settings", kind="no_key")
out["main_minimum"] = minimum(window)
history = window.open_history()
qapp.processEvents()
settings = window.open_settings()
qapp.processEvents()
out.update(history=frame(history), settings=frame(settings), main_after=frame(window),
           history_minimum=minimum(history), settings_minimum=minimum(settings))
print(json.dumps(out))
window.shutdown()
app.close()
"""


def _inside(rect: list[int], area: list[int]) -> bool:
    x, y, w, h = rect
    ax, ay, aw, ah = area
    return ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah


def _centre(rect: list[int]) -> tuple[float, float]:
    return rect[0] + rect[2] / 2, rect[1] + rect[3] / 2


def _measure(tmp_path: Path, mode: str) -> dict[str, Any]:
    config = tmp_path / "screen.json"
    config.write_text(json.dumps(SCREEN), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "QT_SCALE_FACTOR": "2",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", MEASURE, mode], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=90, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the geometry


def test_a_frame_inside_the_screen_is_left_alone() -> None:
    assert fit_frame(QRect(100, 50, 400, 300), QRect(0, 0, 800, 500)) == QRect(100, 50, 400, 300)


def test_a_frame_off_the_bottom_right_is_moved_on_screen() -> None:
    assert fit_frame(QRect(700, 400, 400, 300), QRect(0, 0, 800, 500)) == QRect(400, 200, 400, 300)


def test_a_frame_off_the_top_left_is_moved_on_screen_keeping_its_title_bar_visible() -> None:
    assert fit_frame(QRect(-50, -30, 400, 300), QRect(0, 24, 800, 476)) == QRect(0, 24, 400, 300)


def test_a_frame_larger_than_the_screen_shrinks_to_it() -> None:
    assert fit_frame(QRect(0, 0, 1520, 1280), QRect(0, 0, 800, 500)) == QRect(0, 0, 800, 500)


def test_a_frame_never_shrinks_below_its_minimum_and_then_keeps_to_the_top_left() -> None:
    fitted = fit_frame(QRect(200, 200, 900, 600), QRect(10, 20, 800, 500), QSize(850, 400))
    assert fitted == QRect(10, 20, 850, 500)


def test_centred_on_the_parent_when_there_is_room() -> None:
    assert centred(QSize(400, 300), QRect(100, 100, 600, 400), QRect(0, 0, 1600, 1000)) == QRect(200, 150, 400, 300)


def test_centred_but_kept_on_screen_when_the_parent_is_at_the_edge() -> None:
    rect = centred(QSize(400, 300), QRect(1400, 900, 600, 400), QRect(0, 0, 1600, 1000))
    assert rect == QRect(1200, 700, 400, 300)


# ---------------------------------------------------------------- the windows at scale 2


@pytest.fixture(scope="module")
def at_scale_2(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("scale2-home")
    old = os.environ.get("DESKTOP_ASSISTANT_HOME")
    os.environ["DESKTOP_ASSISTANT_HOME"] = str(home)
    try:
        return _measure(home, "fresh")
    finally:
        os.environ.pop("DESKTOP_ASSISTANT_HOME") if old is None else os.environ.update(DESKTOP_ASSISTANT_HOME=old)


def test_the_main_window_fits_a_1600x1000_screen_at_scale_2(at_scale_2: dict[str, Any]) -> None:
    assert at_scale_2["available"] == [0, 0, 800, 500] and at_scale_2["scale"] == 2.0
    assert _inside(at_scale_2["main"], at_scale_2["available"]), at_scale_2["main"]


def test_the_talk_button_and_text_box_are_on_screen_at_scale_2(at_scale_2: dict[str, Any]) -> None:
    assert _inside(at_scale_2["talk"], at_scale_2["available"]), at_scale_2["talk"]
    assert _inside(at_scale_2["text"], at_scale_2["available"]), at_scale_2["text"]


def test_history_and_settings_fit_and_settings_opens_centred_on_the_main_window(at_scale_2: dict[str, Any]) -> None:
    available, main = at_scale_2["available"], at_scale_2["main_after"]
    assert _inside(at_scale_2["history"], available), at_scale_2["history"]
    assert _inside(at_scale_2["settings"], available), at_scale_2["settings"]
    (mx, my), (sx, sy) = _centre(main), _centre(at_scale_2["settings"])
    assert abs(mx - sx) <= 1 and abs(my - sy) <= 1, (main, at_scale_2["settings"])


def test_every_window_s_minimum_size_fits_at_scale_2(at_scale_2: dict[str, Any]) -> None:
    _, _, width, height = at_scale_2["available"]
    for name in ("main_minimum", "history_minimum", "settings_minimum"):
        w, h = at_scale_2[name]
        assert w <= width and h <= height, (name, w, h)


def test_a_geometry_saved_on_a_bigger_screen_is_restored_on_screen(tmp_path: Path, app_home: Path) -> None:
    restored = _measure(tmp_path, "restored")
    assert _inside(restored["main"], restored["available"]), restored["main"]
    assert _inside(restored["text"], restored["available"]), restored["text"]
