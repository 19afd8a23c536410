"""A second start of the window says the app is running and exits; the first keeps going."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_assistant.instance import InstanceLock

pytestmark = [pytest.mark.gui, pytest.mark.timeout(90)]


def test_lock_is_exclusive_and_freed_with_the_holder(tmp_path: Path) -> None:
    first, second = InstanceLock(tmp_path / "window.lock"), InstanceLock(tmp_path / "window.lock")
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_lock_of_a_killed_process_does_not_block(tmp_path: Path) -> None:
    code = ("import sys, time\nfrom pathlib import Path\nfrom desktop_assistant.instance import InstanceLock\n"
            "assert InstanceLock(Path(sys.argv[1])).acquire()\nprint('held', flush=True)\ntime.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "window.lock")], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert not InstanceLock(tmp_path / "window.lock").acquire()
    holder.kill()
    holder.wait(10)
    holder.stdout.close()
    assert InstanceLock(tmp_path / "window.lock").acquire()  # the kernel dropped the dead holder's lock


def test_second_window_start_exits_and_the_first_keeps_running(app_home: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    log_file = app_home / "logs" / "app.log"
    first = subprocess.Popen([sys.executable, "-m", "desktop_assistant"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (log_file.exists() and "main window shown" in log_file.read_text()):
            assert first.poll() is None and time.monotonic() < deadline, "the first window did not open"
            time.sleep(0.05)
        second = subprocess.run([sys.executable, "-m", "desktop_assistant"], env=env, capture_output=True,
                                text=True, timeout=30, check=False)
        assert second.returncode == 0, second.stderr
        assert "already running" in log_file.read_text()
        assert log_file.read_text().count("main window shown") == 1
        assert first.poll() is None  # the first one is untouched
    finally:
        first.terminate()
        first.wait(15)
