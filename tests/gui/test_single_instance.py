"""A second start of the window brings the running one forward and exits; the first keeps going."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_assistant.instance import InstanceLock

pytestmark = [pytest.mark.gui, pytest.mark.timeout(90)]

ROOT = Path(__file__).resolve().parents[2]


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


def _start_first_window(app_home: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log_file = app_home / "logs" / "app.log"
    first = subprocess.Popen([sys.executable, "-m", "desktop_assistant"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (log_file.exists() and "main window shown" in log_file.read_text()):
        assert first.poll() is None and time.monotonic() < deadline, "the first window did not open"
        time.sleep(0.05)
    return first


def test_a_second_start_brings_the_first_window_forward_and_exits(app_home: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    log_file = app_home / "logs" / "app.log"
    first = _start_first_window(app_home, env)
    try:
        second = subprocess.run([sys.executable, "-m", "desktop_assistant"], env=env, capture_output=True,
                                text=True, timeout=30, check=False)
        assert second.returncode == 0, second.stderr
        assert second.stderr == ""
        deadline = time.monotonic() + 10
        while "a second start asked for the window" not in log_file.read_text():
            assert time.monotonic() < deadline, "the first window was not asked to come forward"
            time.sleep(0.05)
        assert log_file.read_text().count("main window shown") == 1
        assert first.poll() is None  # the first one keeps running
    finally:
        first.terminate()
        first.wait(15)


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP to hang the first window")
def test_a_second_start_says_in_one_line_when_the_first_does_not_answer(app_home: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    first = _start_first_window(app_home, env)
    first.send_signal(signal.SIGSTOP)  # hung: holds the lock, its channel accepts but never answers
    try:
        second = subprocess.run([sys.executable, "-m", "desktop_assistant"], env=env, capture_output=True,
                                text=True, timeout=60, check=False)
    finally:
        first.kill()  # (a clean close is tested elsewhere; this one may be mid-way through loading the model)
        first.wait(15)
    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert "already running" in lines[0] and f"pid {first.pid}" in lines[0] and "does not answer" in lines[0]
