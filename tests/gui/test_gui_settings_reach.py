"""Settings changed in the dialog reach the real parts on the next turn: the temperature and the
session timeout in the request the loopback Groq receives, the speech engine in who speaks the
reply (the gTTS-style loopback, or espeak-ng with no request), and mute in what reaches the
PulseAudio null sink (captured from its monitor)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.gui.gui_helpers import history_of, saved
from tests.gui.test_gui_turns import wait_turn_done
from tests.support.audio import MonitorCapture, pulse_available
from tests.support.groq_server import GroqBehaviour

pytestmark = [pytest.mark.gui, pytest.mark.slow, pytest.mark.timeout(120)]

REPLY = "Noted, thank you."


def say(qtbot: Any, w: Any, text: str) -> None:
    before = len(w.chat.messages())
    qtbot.keyClicks(w.text_box, text)
    qtbot.keyClick(w.text_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(w.chat.messages()) == before + 2, timeout=30000)
    wait_turn_done(qtbot, w)
    assert w.chat.messages()[-1][1:] == (REPLY, "complete"), w.chat.messages()[-1]


def user_messages(body: dict[str, Any]) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "user"]


def test_temperature_and_session_timeout_reach_the_next_request(
    qtbot: Any, engine_window: Any, groq_server: Any
) -> None:
    groq_server.default = GroqBehaviour(reply=REPLY)
    w = engine_window(SPEECH_MUTED="1")
    say(qtbot, w, "one")
    say(qtbot, w, "two")
    before = groq_server.received[-1].body
    assert before["temperature"] != 1.3
    assert user_messages(before) == ["one", "two"]  # the same conversation goes on
    dialog = w.open_settings()
    dialog.temperature.setValue(1.3)
    dialog.session_timeout.setValue(0)  # minutes: every turn after a pause starts afresh
    assert saved(dialog)
    dialog.close()
    say(qtbot, w, "three")
    after = groq_server.received[-1].body
    assert after["temperature"] == 1.3
    assert user_messages(after) == ["three"]  # a new conversation: nothing earlier was sent
    assert history_of(w) == [("user", "three", "complete"), ("assistant", REPLY, "complete")]


@pytest.mark.audio
def test_speech_engine_and_mute_decide_what_reaches_the_speakers(
    qtbot: Any, engine_window: Any, groq_server: Any, tts_server: Any
) -> None:
    assert pulse_available(), "run inside scripts/test-env.sh (make test)"
    groq_server.default = GroqBehaviour(reply=REPLY)
    w = engine_window()  # speech on, the gTTS-style loopback (TTS_ENGINE=gtts)
    assert not w.mute_button.isChecked()

    with MonitorCapture() as sink:
        assert sink.wait_flowing(), "parec delivered nothing from vsink.monitor"

        def spoken(text: str) -> np.ndarray:
            """Say `text`; what reached the sink from then until 0.5 s after the turn was done."""
            start = len(sink.samples())
            say(qtbot, w, text)
            done = len(sink.samples())
            qtbot.waitUntil(lambda: len(sink.samples()) >= done + 8000, timeout=10000)
            return sink.samples()[start:]

        heard = spoken("speak with the web voice")
        assert [r.text for r in tts_server.requests] == [REPLY]
        assert np.abs(heard).max() > 0.1, "the reply was not heard"

        dialog = w.open_settings()
        dialog.tts_engine.setCurrentIndex(dialog.tts_engine.findData("espeak"))
        assert saved(dialog)
        dialog.close()
        heard = spoken("speak with espeak")
        assert len(tts_server.requests) == 1  # no request: espeak-ng spoke it here
        assert np.abs(heard).max() > 0.1, "the espeak reply was not heard"

        qtbot.mouseClick(w.mute_button, Qt.MouseButton.LeftButton)
        assert w.mute_button.isChecked()
        heard = spoken("say nothing aloud")
        assert np.abs(heard).max() < 0.01, "muted, yet sound reached the speakers"
        assert len(tts_server.requests) == 1
