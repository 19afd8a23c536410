"""`desktop-assistant screenshot DIR` renders the windows to PNGs (a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

pytestmark = [pytest.mark.gui, pytest.mark.timeout(90)]


def test_screenshot_command_writes_five_real_pngs(tmp_path: Path, app_home: Path) -> None:
    out = tmp_path / "shots"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "desktop_assistant", "screenshot", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    for name in ("main-window.png", "main-window-banner.png", "main-window-live.png", "history.png", "settings.png"):
        image = QImage(str(out / name))
        assert not image.isNull() and image.width() >= 500 and image.height() >= 400, name
        colours = {image.pixel(x, y) for x in range(0, image.width(), 9) for y in range(0, image.height(), 9)}
        assert len(colours) > 20, f"{name} looks blank"
    # the user's own history and settings were not touched
    assert not (app_home / "data" / "history.db").exists()
    assert not (app_home / "config" / "window.ini").exists()
