"""Work-arounds for bugs in the pinned Qt binding.

PySide6 6.12.0: `SignalInstance.emit()` returns `True` without taking a reference,
so every emit from Python drops one reference to `True`; after some thousands of
emits (a few long conversations) the interpreter aborts with "bool_dealloc:
deallocating True or False". `emit()` here compensates when — and only when — the
running binding is measured to have the bug, so a fixed binding is left alone.
Every Python-side emit in the GUI goes through it.
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


def emit(signal: Any, *args: Any) -> None:
    """`signal.emit(*args)`, keeping the interpreter's reference counts right."""
    result = signal.emit(*args)
    if (result is True or result is False) and emit_steals_result():
        _incref(result)
