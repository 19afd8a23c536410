"""The live transcript in the real app on an X server: while Space is held (autorepeat on, a core
loaded) and a man's voice plays into the null-sink microphone, the words appear in the window and a
screen reader hears them change (AT-SPI name changes: "You are saying: …"); at the release that
bubble is the user's message, stored with the reply to exactly those words."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.desktop import atspi
from tests.desktop.test_desktop_ptt import FIRST_AUDIO, speak_once_listening
from tests.support.groq_server import GroqBehaviour

SAYING = "You are saying: "


@pytest.mark.audio
def test_the_words_appear_while_the_key_is_held_and_become_the_message(
        desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None, tmp_path: Any) -> None:
    groq_server.default = GroqBehaviour(echo_question=True)
    app = launch_app()
    app.focus()
    app.key("Tab")  # away from the message box: Space talks
    listener = atspi.Listener(app.env, app.proc.pid)
    try:
        heard_before = app.count_log(FIRST_AUDIO)
        app.key_down("space")
        player = speak_once_listening(app, "real_speech/address-jfk-1961.flac", heard_before)
        app.wait_log(r"live transcript 3 of turn", timeout=30)
        desktop.screenshot(tmp_path / "live.png")
        held = atspi.tree(app.env, app.proc.pid)  # while still held: what a screen reader finds now
        player.wait(30)
        time.sleep(0.5)
        app.key_up("space")
        rows = app.wait_messages(2, timeout=90)
        after = atspi.wait_tree(app.env, app.proc.pid,
                                lambda nodes: any(n["name"] == f"You said: {rows[0][1]}" for n in nodes))
    finally:
        events = listener.stop()
    assert app.count_log(r"recording from \S+ at \d+ Hz") == 1  # one hold, one recording
    saying = [n["name"] for n in atspi.showing(held) if n["name"].startswith(SAYING)]
    assert len(saying) == 1 and len(saying[0]) > len(SAYING), saying
    changes = [e["detail"] for e in events
               if e["type"] == "object:property-change:accessible-name" and str(e["detail"]).startswith(SAYING)]
    assert len(set(changes)) >= 3, changes  # a screen reader heard the words change while the user spoke
    (role, text, _), (_, reply, status) = rows[:2]
    assert role == "user" and "country" in text.lower(), rows
    assert reply == f"You asked: {text.rstrip('.?!')}. That is all." and status == "complete"
    assert any(n["name"] == f"You said: {text}" for n in atspi.showing(after))
    assert not [n for n in atspi.showing(after) if n["name"].startswith(SAYING)]  # no live words left
    assert app.count_log(r"live transcript \d+ of turn") >= 3
