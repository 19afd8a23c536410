"""`make run` opens a real window: start the app on a real X server (Xvfb) and screenshot it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.timeout(90)]

GRAB = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
shot = app.primaryScreen().grabWindow(0)
img = shot.toImage()
colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
shot.save(sys.argv[1])
print(len(colours))
"""


@pytest.fixture
def xvfb_display(tmp_path: Path):
    assert shutil.which("Xvfb"), "Xvfb missing: run scripts/sysdeps.sh test (make test does)"
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        display = pipe.readline().strip()
    assert display, "Xvfb did not report a display"
    yield f":{display}"
    proc.terminate()
    proc.wait(10)


def test_app_window_appears_on_a_real_x_server(xvfb_display: str, app_home: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb"}
    app = subprocess.Popen([sys.executable, "-m", "desktop_assistant"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    log_file = app_home / "logs" / "app.log"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if log_file.exists() and "main window shown" in log_file.read_text():
                break
            assert app.poll() is None, app.communicate()[1]
            time.sleep(0.1)
        else:
            pytest.fail("the main window was not shown within 60 s")
        time.sleep(1.0)  # let it paint
        shot = tmp_path / "window.png"
        grab = subprocess.run([sys.executable, "-c", GRAB, str(shot)], env=env, capture_output=True, text=True,
                              timeout=30, check=False)
        assert grab.returncode == 0, grab.stderr
        assert shot.stat().st_size > 2000
        assert int(grab.stdout.strip()) > 5, "the screen is blank: no window was drawn"
    finally:
        app.terminate()
        try:
            _, stderr = app.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            app.kill()
            _, stderr = app.communicate()
    assert app.returncode in (0, -15), stderr
