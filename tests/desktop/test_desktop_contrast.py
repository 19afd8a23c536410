"""Light and dark on the real desktop (issue 12, item 4): the real app on Xvfb with the gtk3
platform theme (GTK_THEME=Adwaita or Adwaita:dark), started without a Groq key so the
"No Groq API key" banner shows; History (Ctrl+F) and Settings (Ctrl+,) opened through the X
server. Each window is screenshot and every text found over AT-SPI is measured from the
pixels: at least 4.5:1 (WCAG 2.2 AA); the talk button's outline and the meter's trough 3:1."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from support.contrast import BOUNDARY_MINIMUM, TEXT_MINIMUM, Measure, boundary_contrast, pixels, text_contrast

from tests.desktop.harness import Desktop, RunningApp

HERE = Path(__file__).parent
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-pyatspi is for the system python
# How far inside each kind of control its text starts (past the control's own border).
INSETS = {"label": (0, 0, 0, 0), "button": (4, 4, 4, 4), "check box": (22, 1, 0, 1), "text": (4, 4, 4, 4),
          "spin box": (4, 4, 22, 4), "combo box": (4, 4, 26, 4), "tab": (5, 5, 5, 3), "list item": (2, 1, 2, 1)}


def _windows(desktop: Desktop, app: RunningApp) -> list[dict[str, Any]]:
    out = subprocess.run([SYSTEM_PYTHON, str(HERE / "atspi_texts.py"), str(app.proc.pid)], env=desktop.env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def _window(desktop: Desktop, app: RunningApp, title: str, timeout: float = 20.0) -> tuple[str, dict[str, Any]]:
    """The X window id and the AT-SPI texts of the app's window whose title starts with `title`."""
    deadline = time.monotonic() + timeout
    while True:
        found = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", str(app.proc.pid),
                                "--name", f"^{title}"], env=desktop.env, capture_output=True, text=True, check=False)
        nodes = [w for w in _windows(desktop, app) if w["title"].startswith(title)]
        if found.stdout.split() and nodes and len(nodes[0]["items"]) >= 3:
            return found.stdout.split()[0], nodes[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {title!r} window: {[w['title'] for w in _windows(desktop, app)]}")
        time.sleep(0.2)


def _stable_screenshot(desktop: Desktop, wid: str, shot: Path, timeout: float = 20.0) -> Any:
    """The window's pixels once two screenshots in a row agree (a just-mapped window is still painting)."""
    deadline = time.monotonic() + timeout
    previous = None
    while True:
        image = pixels(desktop.screenshot(shot, window=wid))
        if previous is not None and previous.shape == image.shape and (previous == image).all():
            return image
        if time.monotonic() > deadline:
            raise AssertionError(f"window {wid} kept changing for {timeout} s")
        previous = image
        time.sleep(0.3)


def _measure(desktop: Desktop, wid: str, node: dict[str, Any], shot: Path) -> tuple[list[Measure], list[Measure]]:
    image = _stable_screenshot(desktop, wid, shot)
    fx, fy = node["frame"][:2]
    texts: list[Measure] = []
    boundaries: list[Measure] = []
    for kind, name, x, y, w, h in node["items"]:
        x, y = x - fx, y - fy
        if kind == "other":
            if name == "Input level":
                boundaries.append(boundary_contrast(image, (x + w // 2, y - 2), [(x + w // 2, y + i) for i in range(3)],
                                                    "meter trough border"))
            continue
        left, top, right, bottom = (16, 16, 16, 16) if kind == "button" and h > 60 else INSETS[kind]
        measure = text_contrast(image, (x + left, y + top, w - left - right, h - top - bottom), f"{kind} {name!r}")
        if measure is not None:
            texts.append(measure)
        if kind == "button" and h > 60:  # the talk button
            boundaries.append(boundary_contrast(image, (x - 2, y + h // 2), [(x + i, y + h // 2) for i in range(3)],
                                                "talk button outline"))
    return texts, boundaries


def _stored_conversations(path: Path) -> None:
    """Two past conversations, so that History lists something."""
    from desktop_assistant.history.store import HistoryStore

    path.parent.mkdir(parents=True, exist_ok=True)
    store = HistoryStore.open(path)
    try:
        for question in ("Quick pasta recipe for two", "Why does my Python loop skip items?"):
            conversation = store.conversation_for_turn("assistant", 0.0, new=True)
            store.add_message(conversation, "user", question, source="typed")
            reply = store.add_message(conversation, "assistant", "", status="streaming")
            store.update_message(reply, text="A short answer.", status="complete", timings={"total_ms": 900.0})
    finally:
        store.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_window_reads_at_wcag_aa_on_a_light_and_a_dark_desktop(
    theme: str, desktop: Desktop, launch_app: Any, tmp_path: Path, cpu_hog: None
) -> None:
    home = tmp_path / "home"
    _stored_conversations(home / "data" / "history.db")
    app = launch_app(theme=theme, extra_env={"GROQ_API_KEY": None}, home=home)
    app.wait_log(r"banner: No Groq API key")
    results: dict[str, tuple[list[Measure], list[Measure]]] = {}
    wid, node = _window(desktop, app, "Desktop Assistant")
    results["main window with banner"] = _measure(desktop, wid, node, tmp_path / f"main-{theme}.png")
    assert any("No Groq API key" in m.name for m in results["main window with banner"][0])
    app.focus()
    app.key("ctrl+f")
    wid, node = _window(desktop, app, "History")
    results["history"] = _measure(desktop, wid, node, tmp_path / f"history-{theme}.png")
    app.key("ctrl+w")
    app.focus()
    app.key("ctrl+comma")
    wid, node = _window(desktop, app, "Settings")
    results["settings"] = _measure(desktop, wid, node, tmp_path / f"settings-{theme}.png")

    failing = []
    for window, (texts, boundaries) in results.items():
        assert len(texts) >= 5, f"{window}: too few texts found: {texts}"
        worst = min(texts, key=lambda m: m.ratio)
        edge = f", boundaries {min(boundaries, key=lambda m: m.ratio)}" if boundaries else ""
        print(f"desktop {theme}, {window}: {len(texts)} texts, minimum {worst}{edge}")
        failing += [f"{window}: {m}" for m in texts if m.ratio < TEXT_MINIMUM]
        failing += [f"{window}: {m}" for m in boundaries if m.ratio < BOUNDARY_MINIMUM]
    assert len(results["main window with banner"][1]) == 2  # the talk button and the meter were found
    assert not failing, f"{theme}: under WCAG 2.2 AA: {failing}"
