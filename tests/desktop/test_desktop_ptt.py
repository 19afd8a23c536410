"""Push-to-talk on a real X server, the way a person does it: a key held down with the X server's
autorepeat on (several rates), the talk gesture during a spoken reply, Esc while listening, a
quick tap, typing with no text field focused — on a loaded CPU, with the null-sink microphone."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.support.audio import play_into_sink
from tests.support.groq_server import GroqBehaviour

FIXTURES = __import__("pathlib").Path(__file__).parents[1] / "fixtures"
RECORDING = r"recording from \S+ at \d+ Hz"
SHORT_REPLY = GroqBehaviour(reply="It is sunny.")
# (delay ms, rate Hz): the X server's default, this suite's, and a fast one.
REPEAT_RATES = ((660, 25), (200, 40), (150, 60))


FIRST_AUDIO = "microphone: first audio"


def speak_once_listening(app: Any, clip: str, heard_before: int) -> Any:
    """Play `clip` into the microphone once the recording started after `heard_before` first-audio
    lines delivers audio (as a person speaks once the window shows Listening). The test sound
    server's monitor can take ~1.5 s to deliver the first audio of a process's first stream; a real
    microphone does not, and the test is about the window, not that server."""
    deadline = time.monotonic() + 10
    while app.count_log(FIRST_AUDIO) <= heard_before:
        assert time.monotonic() < deadline, f"the microphone delivered no audio\n{app.tail()}"
        time.sleep(0.02)
    return play_into_sink(FIXTURES / clip)


def hold(app: Any, seconds: float, key: str = "space", clip: str | None = "weather.wav") -> None:
    """Hold `key` for `seconds` of `clip` playing into the microphone (as a person speaks)."""
    heard_before = app.count_log(FIRST_AUDIO)
    app.key_down(key)
    player = speak_once_listening(app, clip, heard_before) if clip else None
    time.sleep(seconds)
    app.key_up(key)
    if player is not None:
        player.wait(10)


def speaking_a_story(launch_app: Any, groq_server: Any) -> Any:
    """The real app in the middle of speaking a long reply to a typed question."""
    story = " ".join(f"This is sentence number {n} of a long story." for n in range(1, 30))
    groq_server.queue.append(GroqBehaviour(reply=story, tokens_per_s=40))
    groq_server.default = SHORT_REPLY
    app = launch_app()
    app.focus()
    app.type("tell me a story")
    app.key("Return")
    app.wait_log(r"state: speaking", timeout=30)
    return app


def user_texts(app: Any) -> list[str]:
    return [text.lower() for role, text, _ in app.messages() if role == "user"]


def heard_weather(text: str) -> bool:
    """The question reached the turn (accuracy is tests/audio's business, not this suite's)."""
    return "weather" in text


@pytest.mark.audio
@pytest.mark.parametrize("detectable", [True, False], ids=["xkb-detectable", "release-confirm"])
def test_one_physical_hold_records_one_clip_at_any_repeat_rate(
    desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None, detectable: bool
) -> None:
    groq_server.default = SHORT_REPLY
    app = launch_app(extra_env={"DA_NO_DETECTABLE_AUTOREPEAT": None if detectable else "1"})
    assert app.count_log("detectable key autorepeat on") == (1 if detectable else 0)
    app.focus()
    app.key("Tab")  # away from the message box: Space talks wherever the user is not typing
    try:
        for number, (delay, rate) in enumerate(REPEAT_RATES, start=1):
            desktop.run("xset", "r", "rate", str(delay), str(rate))
            hold(app, 3.6)
            app.wait_messages(2 * number, timeout=60)
            app.wait_state("ready")
    finally:
        desktop.run("xset", "r", "rate", "200", "40")
    assert app.count_log(RECORDING) == len(REPEAT_RATES), app.tail()
    texts = user_texts(app)
    assert len(texts) == len(REPEAT_RATES) and all(heard_weather(t) for t in texts), texts
    assert app.count_log("too short") == 0 and app.count_log("state: error") == 0


@pytest.mark.audio
def test_talking_during_a_spoken_reply_stops_it_and_sends_the_question(
    desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None
) -> None:
    app = speaking_a_story(launch_app, groq_server)
    app.key("Tab")  # the Send button: not a text field
    hold(app, 3.6)
    released = time.monotonic()
    rows = app.wait_messages(4, timeout=60)
    assert [r[0] for r in rows] == ["user", "assistant", "user", "assistant"], rows
    assert rows[1][2] == "interrupted" and rows[3][2] == "complete", rows
    assert heard_weather(rows[2][1].lower()), rows[2]
    assert app.count_log(RECORDING) == 1
    # The microphone closed with the release: the state left "Listening" at once and never came back.
    log = app.log_text()
    assert log.count("state: listening") == 1, app.tail()
    assert time.monotonic() - released < 60


@pytest.mark.audio
def test_clicking_the_talk_button_during_a_reply_is_one_gesture_even_when_the_pointer_wanders(
    desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None
) -> None:
    app = speaking_a_story(launch_app, groq_server)
    size = re.search(r"talk button (\d+)x(\d+)\+", app.log_text())
    inside = re.search(r"talk button at \+(-?\d+)\+(-?\d+) in the window", app.log_text())
    assert size and inside, app.tail()
    (w, h), (x, y) = map(int, size.groups()), map(int, inside.groups())

    def pointer_to(px: int, py: int) -> None:  # relative to the window, wherever the window manager put it
        desktop.xdotool("mousemove", "--sync", "--window", app.window_id, str(px), str(py))

    heard_before = app.count_log(FIRST_AUDIO)
    pointer_to(x + w // 2, y + h // 2)
    desktop.xdotool("mousedown", "1")
    player = speak_once_listening(app, "weather.wav", heard_before)
    time.sleep(1.5)
    pointer_to(x + w + 80, y + h // 2)  # off the button while held…
    time.sleep(0.5)
    pointer_to(x + w // 2, y + h // 2)  # …and back
    time.sleep(1.6)
    desktop.xdotool("mouseup", "1")
    player.wait(10)
    rows = app.wait_messages(4, timeout=60)
    assert [(r[0], r[2]) for r in rows] == [("user", "complete"), ("assistant", "interrupted"),
                                          ("user", "complete"), ("assistant", "complete")], rows
    assert heard_weather(rows[2][1].lower()), rows[2]
    assert app.count_log(RECORDING) == 1 and app.count_log("state: listening") == 1, app.tail()


@pytest.mark.audio
def test_talking_while_the_model_loads_sends_on_release(desktop: Any, launch_app: Any, groq_server: Any,
                                                        cpu_hog: None) -> None:
    groq_server.default = SHORT_REPLY
    app = launch_app(wait_ready=False)
    app.wait_log(r"state: ready", timeout=60)  # the engine is built; the speech model still loads
    app.focus()
    app.key("Tab")
    hold(app, 3.6)
    rows = app.wait_messages(2, timeout=60)
    assert heard_weather(rows[0][1].lower()), f"{rows}\n{app.tail()}"
    log = app.log_text()  # what this test is about: the press came while the model was loading
    assert log.index("recording from") < log.index("speech model tiny.en ready"), app.tail()
    assert app.count_log(RECORDING) == 1
    time.sleep(1.0)  # nothing reopens the microphone after the turn
    assert app.count_log(RECORDING) == 1


@pytest.mark.audio
def test_esc_while_listening_turns_the_microphone_and_the_indicator_off(
    desktop: Any, launch_app: Any, cpu_hog: None
) -> None:
    app = launch_app()
    app.focus()
    app.key("Tab")
    app.key_down("space")
    try:
        app.wait_log(r"state: listening", timeout=10)
        app.key("Escape")
        app.wait_state("ready", timeout=5)  # what the screen says, while the key is still down
        assert app.count_log(r"recording cancelled \(stopped") == 1
    finally:
        app.key_up("space")
    time.sleep(1.0)  # the release after Esc sends nothing
    assert app.messages() == []
    assert app.count_log("state: listening") == 1 and app.count_log("banner:") == 0, app.tail()


@pytest.mark.audio
def test_a_quick_tap_is_ignored_quietly(desktop: Any, launch_app: Any, cpu_hog: None) -> None:
    app = launch_app()
    app.focus()
    app.key("Tab")
    for _ in range(3):
        hold(app, 0.12, clip=None)
        time.sleep(0.4)
    app.wait_state("ready", timeout=10)
    time.sleep(1.0)  # a problem would be reported within this time (the clip is transcribed at once)
    assert app.count_log("banner:") == 0 and app.count_log("state: error") == 0, app.tail()
    assert app.count_log(r"recording cancelled \(tap") == 3
    assert app.messages() == []


def test_typing_with_no_text_field_focused_goes_to_the_message_box(
    desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None
) -> None:
    groq_server.default = SHORT_REPLY
    app = launch_app()
    app.focus()
    app.key("Tab")  # whatever has focus first, Tab moves it to another control
    app.type("hello there")
    app.key("Return")
    app.wait_messages(2)
    app.key("Tab")
    app.type("how are you")
    app.key("Return")
    rows = app.wait_messages(4)
    assert user_texts(app) == ["hello there", "how are you"], rows
    assert app.count_log(RECORDING) == 0, app.tail()
