"""The pinned Qt binding keeps Python's reference counts exact.

PySide6-Essentials 6.12.0 on Python 3.11 dropped a reference to None on every void call and
to True on every Python-side emit(); a long session then aborted with "none_dealloc" /
"bool_dealloc". constraints.txt pins a release without that bug; this test guards the pin.
The check runs in a child process because the bug ends in an abort, not an exception.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.timeout(60)]

PROBE = """
import sys
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel

class Probe(QObject):
    ping = Signal(object)

app = QApplication([])
label, probe, got = QLabel(), Probe(), []
probe.ping.connect(got.append)
none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(5000):
    label.setText("x")
    probe.ping.emit(1)
print(sys.getrefcount(None) - none_before - 1, sys.getrefcount(True) - true_before, len(got))
"""


def test_void_calls_and_emit_keep_reference_counts() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=50,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""}, check=False)
    assert result.returncode == 0, result.stderr[-500:]
    none_delta, true_delta, delivered = map(int, result.stdout.split())
    assert delivered == 5000
    assert abs(none_delta) < 50, f"None lost {-none_delta} references: a leaky PySide6 build is installed"
    assert abs(true_delta) < 50, f"True lost {-true_delta} references: a leaky PySide6 build is installed"
