"""Work-arounds for bugs in the pinned Qt binding.

PySide6 6.12.0 (abi3 wheel) on Python 3.11 returns `None` from every void method
(`label.setText(…)`) and `True` from `SignalInstance.emit()` without taking a
reference — fine on Python ≥ 3.12, where those objects are immortal, but on 3.11
each call drops one reference. After enough calls (minutes to hours of a live
GUI) the interpreter aborts with "none_dealloc: deallocating None" or
"bool_dealloc". Both are measured at start, and only a binding that has the bug
is worked around:
- `protect_singletons()` gives None, True and False so many references that they
  can never reach zero (what Python 3.12 does for them); `qt_application()` calls it;
- `emit()` re-adds the reference emit() took (every Python-side emit in the GUI
  goes through it, so the count stays exact even without the first fix).
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None
_steals: bool | None = None


class _Probe(QObject):
    ping = Signal()


def emit_steals_result() -> bool:
    """True when this binding's emit() returns a bool it did not reference (measured once)."""
    global _steals
    if _steals is None:
        probe = _Probe()
        before = sys.getrefcount(True)
        for _ in range(16):
            result = probe.ping.emit()
            if result is True or result is False:
                _incref(result)  # hold one reference per call while measuring…
        # …so a correct binding leaves True 16 references up, a buggy one leaves it unchanged.
        after = sys.getrefcount(True)
        _steals = after - before < 8
        if not _steals:
            for _ in range(16):
                ctypes.pythonapi.Py_DecRef(ctypes.py_object(True))
        del probe
    return _steals


_HEADROOM = 1 << 60


def void_call_drops_none() -> bool:
    """True when a void Qt method call returns None without a reference (measured)."""
    probe = _Probe()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) >= 32


def protect_singletons() -> bool:
    """Make None/True/False effectively immortal if this binding leaks their references.

    Returns True when the work-around was needed. Their reference count is the first
    field of the object (CPython 3.11 layout); they are static and never freed, so a
    huge count is harmless.
    """
    if sys.version_info >= (3, 12) or not void_call_drops_none():
        return False
    for obj in (None, True, False):
        cell = ctypes.c_ssize_t.from_address(id(obj))
        if cell.value < _HEADROOM:
            cell.value += _HEADROOM
    return True


def emit(signal: Any, *args: Any) -> None:
    """`signal.emit(*args)`, keeping the interpreter's reference counts right."""
    result = signal.emit(*args)
    if (result is True or result is False) and emit_steals_result():
        _incref(result)
