"""Helpers shared by the GUI tests."""

from __future__ import annotations

from typing import Any


def history_of(window: Any) -> list[tuple[str, str, str]]:
    """(role, text, status) of the current conversation, read from the real store."""
    from desktop_assistant.history.store import app_store as history_store

    store = history_store(window.app)
    conversation = window.engine.assistant.current_turn.conversation_id
    return [(m.role, m.text, m.status) for m in store.recent_messages(conversation, 50)]


def saved(dialog: Any, ok: bool = False, timeout_ms: int = 20000) -> bool:
    """Press Apply (or OK) in the Settings dialog and wait for its save, which runs off the GUI thread
    (the event loop runs meanwhile): True when saved and applied, False when the dialog says why not."""
    from PySide6.QtCore import QEventLoop, QTimer

    results: list[bool] = []
    loop = QEventLoop()

    def finished(ok: bool) -> None:
        results.append(ok)
        loop.quit()

    dialog.save_finished.connect(finished)
    try:
        if ok:
            dialog.accept()
        else:
            dialog.apply()
        if not results:
            QTimer.singleShot(timeout_ms, loop.quit)
            loop.exec()
    finally:
        dialog.save_finished.disconnect(finished)
    assert results, f"the settings were not saved within {timeout_ms} ms"
    return results[0]
