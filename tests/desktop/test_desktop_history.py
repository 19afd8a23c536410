"""History on a real X server (issue 12, polish): two conversations typed into the real app (the
loopback Groq answers; "New conversation", Ctrl+N, between them), History opened with Ctrl+F, a
word of the first conversation searched, and the hit opened from the keyboard. The app's log says
which message it opened at; the screenshot shows that message in view, outlined in the theme's
focus colour, and the same conversation opened from the list shows no outline."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from support.contrast import pixels

from tests.desktop.harness import Desktop, RunningApp

FIRST = ["Tell me about zeppelins", "How high did they fly", "Why did they stop", "What replaced them"]
SECOND = "What is the capital of France"
FOCUS_COLOUR = (
    "from PySide6.QtWidgets import QApplication\n"
    "from desktop_assistant.ui import theme\n"
    "app = QApplication([])\n"
    "print(theme.colours(app.palette())['focus'])\n"
)


def send(app: RunningApp, text: str, stored: int) -> None:
    app.type(text)
    app.key("Return")
    app.wait_messages(stored, timeout=60)
    app.wait_state("ready", timeout=30)


def focus_colour(app: RunningApp) -> tuple[int, int, int]:
    """The outline's colour as the app computes it: the same palette (the same X display and GTK theme)."""
    out = subprocess.run([sys.executable, "-c", FOCUS_COLOUR], env=app.env, capture_output=True, text=True,
                         timeout=60, check=True)
    value = out.stdout.strip().lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def history_window(desktop: Desktop, app: RunningApp, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        ids = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", str(app.proc.pid),
                              "--name", "^History"], env=desktop.env, capture_output=True, text=True,
                             check=False).stdout.split()
        if ids:
            return ids[0]
        assert time.monotonic() < deadline, "History did not open"
        time.sleep(0.1)


def wait_active(desktop: Desktop, window: str, timeout: float = 20.0) -> None:
    """Until `window` has the keyboard (typed keys go where the user sees them)."""
    deadline = time.monotonic() + timeout
    while desktop.active_window() != window:
        assert time.monotonic() < deadline, f"window {window} never became active"
        time.sleep(0.05)


def settled_shot(desktop: Desktop, window: str, path: Path, timeout: float = 20.0) -> np.ndarray:
    """The window's pixels once two screenshots in a row agree (scrolling and painting are done)."""
    deadline = time.monotonic() + timeout
    previous = None
    while True:
        image = pixels(desktop.screenshot(path, window=window))
        if previous is not None and previous.shape == image.shape and (previous == image).all():
            return image
        assert time.monotonic() < deadline, f"window {window} kept changing for {timeout} s"
        previous = image
        time.sleep(0.3)


def outlines(image: np.ndarray, colour: tuple[int, int, int], min_width: int = 60) -> list[tuple[int, ...]]:
    """Rectangles (x0, y0, x1, y1) drawn in `colour` (±12 per channel): a top and a bottom edge at
    least `min_width` long over the same columns, joined by a left and a right edge."""
    mask = (np.abs(image.astype(int) - np.array(colour)).max(axis=2) <= 12)
    edges: list[tuple[int, int, int]] = []  # (row, first column, last column) of long horizontal runs
    for y in range(mask.shape[0]):
        xs = np.flatnonzero(mask[y])
        if len(xs) < min_width:
            continue
        splits = np.flatnonzero(np.diff(xs) > 1)
        for run in np.split(xs, splits + 1):
            if len(run) >= min_width:
                edges.append((y, int(run[0]), int(run[-1])))
    found = []
    for i, (top, x0, x1) in enumerate(edges):
        for bottom, b0, b1 in edges[i + 1:]:
            if bottom - top < 20 or abs(b0 - x0) > 6 or abs(b1 - x1) > 6:
                continue
            # The side edges: a little outside the straight part of the top edge (the corners are rounded).
            inner = slice(top + 12, bottom - 12)
            left, right = mask[inner, max(0, x0 - 14):x0 + 2], mask[inner, x1 - 1:x1 + 15]
            if inner.start < inner.stop and left.any(axis=1).all() and right.any(axis=1).all():
                found.append((x0, top, x1, bottom))
    return found


def test_a_search_hit_opens_its_conversation_at_the_message_marked(
    desktop: Desktop, launch_app: Any, cpu_hog: None, tmp_path: Path
) -> None:
    app = launch_app(extra_env={"SPEECH_MUTED": "1"})
    app.focus()
    for n, text in enumerate(FIRST, start=1):
        send(app, text, 2 * n)
    app.key("ctrl+n")  # "New conversation"
    app.wait_log(r"state: ready")
    send(app, SECOND, 2 * len(FIRST) + 2)
    rows = app.messages()
    assert [r[1] for r in rows if r[0] == "user"] == [*FIRST, SECOND]

    app.key("ctrl+f")  # History, with its search field focused
    history = history_window(desktop, app)
    wait_active(desktop, history)
    colour = focus_colour(app)

    # The first conversation opened from the list: at its end, nothing outlined.
    app.key("Tab", "Tab")  # past the agent filter to the list: the newest conversation opens
    app.wait_log(r"history: opened conversation 2\n", timeout=30)
    app.key("Down")
    app.wait_log(r"history: opened conversation 1\n", timeout=30)
    plain = settled_shot(desktop, history, tmp_path / "history-list.png")
    assert not outlines(plain, colour), "a conversation opened from the list has a message outlined"

    # Searched: the hit opens the same conversation at the message, outlined.
    app.key("shift+Tab", "shift+Tab")
    app.type("zeppelins")
    app.wait_log(r"history: a search found 1 message\b", timeout=30)
    app.key("Tab", "Tab")  # to the results: the first (only) hit opens
    opened = app.wait_log(r"history: opened conversation (\d+) at message (\d+)", timeout=30)[-1]
    assert (int(opened[1]), int(opened[2])) == (1, 1)  # the first conversation, at its first message
    hit = settled_shot(desktop, history, tmp_path / "history-hit.png")
    marked = outlines(hit, colour)
    print(f"focus colour {colour}; outlines at {marked}; screenshots in {tmp_path}")
    assert marked, "no message outlined in the focus colour after opening the search hit"
    x0, y0, _, y1 = marked[0]
    assert x0 > hit.shape[1] * 0.3 and y1 - y0 < 120, f"the outline {marked[0]} is not a message bubble"
    assert not (hit == plain).all()
