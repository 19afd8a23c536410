"""A built engine as the window's controller holds it (`ui.controller.BuiltEngine`), around any stand-in
assistant: for widget tests that need no engine behind the window."""

from __future__ import annotations

from typing import Any


class StandInEngine:
    def __init__(self, assistant: Any = None) -> None:
        self.assistant = assistant if assistant is not None else object()
        self.applied: list[tuple[Any, Any]] = []

    def apply_settings(self, old: Any, new: Any) -> list[str]:
        self.applied.append((old, new))
        return []
