"""The harness itself: the real app shows its window on the X server and answers a typed message."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_typed_message_is_answered_on_a_real_desktop(desktop: Any, launch_app: Any, tmp_path: Path) -> None:
    app = launch_app()
    app.focus()
    app.type("hello there")
    app.key("Return")
    rows = app.wait_messages(2)
    assert rows[0][:2] == ("user", "hello there")
    assert rows[1][0] == "assistant" and "Paris" in rows[1][1]
    shot = desktop.screenshot(tmp_path / "main.png", window=app.window_id)
    assert shot.stat().st_size > 10_000
