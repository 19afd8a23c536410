"""Windows on a real X server (issue 12, items 6 and 9): at QT_SCALE_FACTOR=2 on the 1600x1000
screen every window fits and the talk button and text box are drawn on screen; Settings opens
centred on the main window after History; a second start brings the running window forward
(from behind another window, minimised, or unmapped as when hidden to the tray) and exits."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from tests.desktop.harness import SCREEN

GEOMETRY_LOG = (r"main window frame .* \(scale (?P<scale>[\d.]+)\); "
                r"talk button (?P<talk>\d+x\d+\+-?\d+\+-?\d+), text box (?P<text>\d+x\d+\+-?\d+\+-?\d+)")
OTHER_WINDOW = """
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
label = QLabel("another application")
label.setWindowTitle("Another application")
label.resize(500, 300)
label.show()
app.exec()
"""


def frame_of(desktop: Any, window: str) -> tuple[int, int, int, int]:
    """The window's frame on the screen (x, y, w, h) in device pixels: its client area from
    xwininfo grown by the window manager's _NET_FRAME_EXTENTS (xdotool's getwindowgeometry
    misreports the position of a reparented window)."""
    info = desktop.run("xwininfo", "-id", window)
    x, y, w, h = (int(re.search(rf"{label}:\s+(-?\d+)", info).group(1))
                  for label in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height"))
    extents = desktop.run("xprop", "-id", window, "_NET_FRAME_EXTENTS")
    numbers = [int(n) for n in re.findall(r"\d+", extents.split("=", 1)[-1])] if "=" in extents else []
    left, right, top, bottom = numbers if len(numbers) == 4 else (0, 0, 0, 0)
    return x - left, y - top, w + left + right, h + top + bottom


def settled_frame(desktop: Any, window: str, timeout: float = 5.0) -> tuple[int, int, int, int]:
    """The frame once two readings agree (a window manager may still be placing a new window)."""
    deadline = time.monotonic() + timeout
    last = frame_of(desktop, window)
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = frame_of(desktop, window)
        if now == last:
            return now
        last = now
    return last


def on_screen(rect: tuple[int, int, int, int]) -> bool:
    x, y, w, h = rect
    return x >= 0 and y >= 0 and x + w <= SCREEN[0] and y + h <= SCREEN[1]


def centre(rect: tuple[int, int, int, int]) -> tuple[float, float]:
    return rect[0] + rect[2] / 2, rect[1] + rect[3] / 2


def device_rect(logged: str, scale: float) -> tuple[int, int, int, int]:
    w, h, x, y = (int(n) for n in re.findall(r"-?\d+", logged))
    return round(x * scale), round(y * scale), round(w * scale), round(h * scale)


def colours_in(shot: QImage, rect: tuple[int, int, int, int]) -> int:
    x, y, w, h = rect
    return len({shot.pixel(px, py) for px in range(x, x + w, 2) for py in range(y, y + h, 2)})


def find_window(desktop: Any, pid: int, title: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        ids = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", str(pid), "--name", title],
                             env=desktop.env, capture_output=True, text=True, check=False).stdout.split()
        if ids:
            return ids[0]
        assert time.monotonic() < deadline, f"no window {title!r} appeared"
        time.sleep(0.1)


def wait_active(desktop: Any, window: str, timeout: float) -> float:
    """Seconds until `window` is the active window (AssertionError after `timeout`)."""
    start = time.monotonic()
    while True:
        active = subprocess.run(["xdotool", "getactivewindow"], env=desktop.env, capture_output=True, text=True,
                                check=False).stdout.strip()
        if active == window:
            return time.monotonic() - start
        assert time.monotonic() - start < timeout, f"active window {active or 'none'}, not {window}"
        time.sleep(0.02)


def map_state(desktop: Any, window: str) -> str:
    return re.search(r"Map State:\s+(\w+)", desktop.run("xwininfo", "-id", window)).group(1)


# ---------------------------------------------------------------- item 6


def test_at_scale_2_the_window_fits_and_the_talk_button_and_text_box_are_drawn(
    desktop: Any, launch_app: Any, tmp_path: Path
) -> None:
    app = launch_app(scale=2)
    frame = frame_of(desktop, app.window_id)
    print(f"scale 2: main window frame {frame}")
    assert on_screen(frame), f"main window frame {frame} is not inside the {SCREEN} screen"
    logged = app.wait_log(GEOMETRY_LOG)[0]
    scale = float(logged["scale"])
    assert scale == 2.0
    shot = QImage(str(desktop.screenshot(tmp_path / "scale2.png")))
    for name in ("talk", "text"):
        rect = device_rect(logged[name], scale)
        assert on_screen(rect), f"the {name} widget {rect} is off the screen"
        # Drawn where the user can see it: the button's ring and label, the box's border and placeholder.
        assert colours_in(shot, rect) >= 3, f"nothing drawn at the {name} widget {rect}"


@pytest.mark.parametrize("scale", [None, 2], ids=["scale-1", "scale-2"])
def test_settings_opened_after_history_is_centred_on_the_main_window_and_on_screen(
    desktop: Any, launch_app: Any, scale: float | None
) -> None:
    app = launch_app(scale=scale)
    app.focus()
    app.key("ctrl+f")
    history = find_window(desktop, app.proc.pid, "^History")
    app.focus()
    app.key("ctrl+comma")
    settings = find_window(desktop, app.proc.pid, "^Settings")
    main_frame = frame_of(desktop, app.window_id)
    history_frame, settings_frame = frame_of(desktop, history), settled_frame(desktop, settings)
    print(f"scale {scale or 1}: main {main_frame}, History {history_frame}, Settings {settings_frame}")
    assert on_screen(main_frame), main_frame
    assert on_screen(history_frame), f"History {history_frame} is not inside the {SCREEN} screen"
    assert on_screen(settings_frame), f"Settings {settings_frame} is not inside the {SCREEN} screen"
    (mx, my), (sx, sy) = centre(main_frame), centre(settings_frame)
    assert abs(mx - sx) <= 6 and abs(my - sy) <= 6, (main_frame, settings_frame)


# ---------------------------------------------------------------- item 9


def second_start(app: Any) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    second = subprocess.run([sys.executable, "-m", "desktop_assistant"], env=app.env, capture_output=True,
                            text=True, timeout=30, check=False)
    return second, time.monotonic() - start


def test_a_second_start_brings_the_window_forward_and_exits_at_once(
    desktop: Any, launch_app: Any, cpu_hog: None
) -> None:
    app = launch_app()
    other = subprocess.Popen([sys.executable, "-c", OTHER_WINDOW], env=app.env)
    try:
        other_id = find_window(desktop, other.pid, "^Another application$")
        desktop.xdotool("windowactivate", "--sync", other_id)
        hidden = {
            "behind another window": lambda: None,
            "minimised": lambda: desktop.xdotool("windowminimize", "--sync", app.window_id),
            # What hiding to the tray does to the X window (openbox has no tray to click).
            "unmapped": lambda: desktop.xdotool("windowunmap", "--sync", app.window_id),
        }
        for how, hide in hidden.items():
            desktop.xdotool("windowactivate", "--sync", other_id)
            hide()
            assert wait_active(desktop, other_id, 10) >= 0
            second, took = second_start(app)
            assert second.returncode == 0, (how, second.stderr)
            assert took < 5, f"{how}: the second start took {took:.2f} s"
            raised = wait_active(desktop, app.window_id, 5)
            print(f"{how}: the second start exited after {took:.2f} s; the window active {raised:.2f} s later")
            assert map_state(desktop, app.window_id) == "IsViewable", how
        assert app.proc.poll() is None and app.count_log("main window shown") == 1
    finally:
        other.kill()
        other.wait(10)
