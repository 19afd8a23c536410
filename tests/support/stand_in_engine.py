"""A built engine as the window's controller holds it (`ui.controller.BuiltEngine`), around any stand-in
assistant: for widget tests that need no engine behind the window."""

from __future__ import annotations

from typing import Any


class StandInAssistant:
    """What the controller calls on every assistant when the window closes: nothing to stop or close."""

    def stop(self) -> None:
        pass

    def close(self, timeout: float = 5.0) -> None:
        pass


class StandInEngine:
    def __init__(self, assistant: Any = None, conversation: list[Any] | None = None) -> None:
        self.assistant = assistant if assistant is not None else StandInAssistant()
        self.conversation = conversation or []  # the first view's messages
        self.applied: list[tuple[Any, Any]] = []

    def apply_settings(self, old: Any, new: Any) -> list[str]:
        self.applied.append((old, new))
        return []

    def current_conversation(self) -> list[Any]:
        return self.conversation
