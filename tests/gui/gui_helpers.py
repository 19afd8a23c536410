"""Helpers shared by the GUI tests."""

from __future__ import annotations

from typing import Any


def history_of(window: Any) -> list[tuple[str, str, str]]:
    """(role, text, status) of the current conversation, read from the real store."""
    from desktop_assistant.history.store import app_store as history_store

    store = history_store(window.app)
    conversation = window.engine.assistant.current_turn.conversation_id
    return [(m.role, m.text, m.status) for m in store.recent_messages(conversation, 50)]
