"""Talking without the window's focus (offscreen units; the real app is in tests/desktop): `ptt` words
over the real command channel, the tray's state icon, tooltip and Talk, and the listening indicator
shown exactly while the microphone is on and the window cannot be seen. The engine behind the window
is a RecordingAssistant; engine events are posted as the engine does."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from desktop_assistant.assistant.events import (
    RecordingCancelled,
    RecordingStarted,
    RecordingStopped,
    ReplyStarted,
    SpeakingStarted,
    TurnFinished,
    TurnTimings,
)
from desktop_assistant.channel_client import send_command

pytestmark = pytest.mark.gui
HOLD_MS = 350  # longer than a tap (main_window.TAP_S): a real hold


def post(qtbot: Any, w: Any, event: Any) -> None:
    with qtbot.waitSignal(w.bridge.any_event, timeout=2000, check_params_cb=lambda seen: seen is event):
        w.bridge.post(event)


def wait_calls(qtbot: Any, fake: Any, names: list[str]) -> None:
    qtbot.waitUntil(lambda: fake.names() == names, timeout=3000)


def talk_calls(fake: Any) -> list[str]:
    return [n for n in fake.names() if n in ("push_to_talk_pressed", "push_to_talk_released", "cancel_recording",
                                             "stop")]


def ask(qtbot: Any, name: str, line: str) -> str:
    """Send `line` from another thread (as another process does) while the GUI thread serves it."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["answer"] = send_command(name, line, connect_timeout=2)
        except Exception as exc:  # noqa: BLE001 - handed to the test
            result["answer"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10000)
    return result["answer"]


@pytest.fixture
def channel(fake_window: Any, runtime_dir: Path) -> Iterator[Any]:
    """The window's real command channel, opened as `application.run` opens it."""
    from desktop_assistant.ui.application import _open_channel

    _open_channel(fake_window.app, fake_window)
    yield fake_window.channel
    fake_window.channel.close()


# ---------------------------------------------------------------- ptt over the channel


def test_ptt_press_and_release_are_a_hold_of_the_talk_key(qtbot: Any, fake_window: Any, channel: Any) -> None:
    w = fake_window
    assert ask(qtbot, channel.name, "ptt press") == "ok"
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed"])
    assert w.ptt.active
    assert ask(qtbot, channel.name, "ptt press") == "ok"  # a second press while held: still one hold
    qtbot.wait(HOLD_MS)
    assert ask(qtbot, channel.name, "ptt release") == "ok"
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "push_to_talk_released"])
    assert not w.ptt.active


def test_a_ptt_tap_is_dropped_as_a_tapped_key_is(qtbot: Any, fake_window: Any, channel: Any) -> None:
    w = fake_window
    assert ask(qtbot, channel.name, "ptt press") == "ok"
    assert ask(qtbot, channel.name, "ptt release") == "ok"
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "cancel_recording"])


def test_ptt_toggle_twice_is_one_turn(qtbot: Any, fake_window: Any, channel: Any) -> None:
    w = fake_window
    assert ask(qtbot, channel.name, "ptt toggle") == "ok"
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed"])
    post(qtbot, w, RecordingStarted(1))
    qtbot.wait(HOLD_MS)
    assert ask(qtbot, channel.name, "ptt toggle") == "ok"
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "push_to_talk_released"])
    assert not w.ptt.active


def test_ptt_show_brings_a_hidden_window_forward(qtbot: Any, fake_window: Any, channel: Any) -> None:
    w = fake_window
    w.hide()
    assert ask(qtbot, channel.name, "ptt show") == "ok"
    qtbot.waitUntil(w.isVisible, timeout=2000)
    assert talk_calls(w.fake) == []


def test_ptt_arrivals_are_logged_and_bad_words_answered_with_an_error(
    qtbot: Any, fake_window: Any, channel: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    assert ask(qtbot, channel.name, "ptt dance").startswith("error ptt takes one of press, release, toggle, show")
    assert ask(qtbot, channel.name, "ptt").startswith("error")
    assert ask(qtbot, channel.name, "ptt press now").startswith("error")
    assert talk_calls(fake_window.fake) == []
    assert ask(qtbot, channel.name, "ptt toggle") == "ok"
    assert "ptt toggle from another process" in caplog.text


def test_ptt_press_on_a_disabled_talk_button_is_refused(qtbot: Any, fake_window: Any, channel: Any) -> None:
    fake_window.ptt.setEnabled(False)
    assert ask(qtbot, channel.name, "ptt press") == "error the talk button is disabled"
    assert talk_calls(fake_window.fake) == []


@pytest.mark.skipif(sys.platform == "win32", reason="a named pipe on Windows")
@pytest.mark.parametrize("where", ["runtime dir", "temp dir"])
def test_the_ptt_socket_is_this_user_s_only(
    qtbot: Any, fake_window: Any, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    from desktop_assistant.ui.application import _open_channel

    if where == "temp dir":
        monkeypatch.delenv("XDG_RUNTIME_DIR")
        monkeypatch.setattr(tempfile, "tempdir", str(runtime_dir.parent))
    os.umask(old := os.umask(0))  # the most permissive umask: the mode must not come from it
    try:
        _open_channel(fake_window.app, fake_window)
    finally:
        os.umask(old)
    channel = fake_window.channel
    try:
        path = Path(channel.path)
        info = path.stat()
        assert stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid()
        assert stat.S_IMODE(info.st_mode) & 0o077 == 0, oct(info.st_mode)
        folder = path.parent.stat()
        if where == "runtime dir":  # the user's own folder
            assert path.parent == runtime_dir
            assert folder.st_uid == os.getuid() and stat.S_IMODE(folder.st_mode) & 0o077 == 0
        else:  # a shared temp dir: the uid in the name, the socket itself private
            assert f"-{os.getuid()}-" in path.name
        assert ask(qtbot, channel.name, "ptt toggle") == "ok"
        wait_calls(qtbot, fake_window.fake, ["push_to_talk_pressed"])
    finally:
        channel.close()


# ---------------------------------------------------------------- the tray


def finished(turn_id: int) -> TurnFinished:
    return TurnFinished(turn_id, 1, 1, "It is sunny.", "complete", "It is sunny.", TurnTimings())


def image_of(icon: Any) -> QImage:
    return icon.pixmap(32, 32).toImage()


def test_the_tray_icon_and_tooltip_say_the_state(qtbot: Any, fake_window: Any) -> None:
    from desktop_assistant.ui.tray import make_tray

    w = fake_window
    tray = make_tray(w)
    seen: dict[str, QImage] = {"idle": image_of(tray.icon())}
    assert tray.toolTip() == "Desktop Assistant — idle"
    steps = [(RecordingStarted(1), "listening"), (RecordingStopped(1, 1.0), "thinking"),
             (ReplyStarted(1, 1, 1, "assistant"), "thinking"), (SpeakingStarted(1, 500.0), "speaking"),
             (finished(1), "idle")]
    for event, state in steps:
        post(qtbot, w, event)
        assert tray.toolTip() == f"Desktop Assistant — {state}", (event, w.state)
        seen.setdefault(state, image_of(tray.icon()))
        assert image_of(tray.icon()) == seen[state], state  # one look per state
    assert len(seen) == 4
    looks = list(seen.values())
    assert all(a != b for i, a in enumerate(looks) for b in looks[i + 1:])  # four different icons


def test_the_tray_s_talk_starts_and_sends(qtbot: Any, fake_window: Any) -> None:
    from desktop_assistant.ui.tray import make_tray

    w = fake_window
    menu = make_tray(w).contextMenu()
    actions = {a.text(): a for a in menu.actions()}
    assert list(actions) == ["Talk", "Show/Hide", "New conversation", "Quit"]
    talk = actions["Talk"]
    talk.trigger()
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed"])
    post(qtbot, w, RecordingStarted(1))
    assert talk.isChecked() and w.ptt.active
    qtbot.wait(HOLD_MS)
    talk.trigger()
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "push_to_talk_released"])
    post(qtbot, w, RecordingStopped(1, 1.0))
    assert not talk.isChecked() and not w.ptt.active


# ---------------------------------------------------------------- the listening indicator


def indicator_of(qtbot: Any, w: Any) -> Any:
    qtbot.waitUntil(lambda: w.indicator is not None, timeout=3000)  # made just after the first frame
    return w.indicator


@pytest.mark.parametrize("how", ["hidden", "minimised"])
def test_the_indicator_shows_only_while_listening_with_the_window_out_of_sight(
    qtbot: Any, fake_window: Any, how: str
) -> None:
    w = fake_window
    put_away = w.hide if how == "hidden" else w.showMinimized
    indicator = indicator_of(qtbot, w)
    post(qtbot, w, RecordingStarted(1))
    qtbot.wait(50)
    assert not indicator.isVisible()  # the window shows "Listening" itself
    put_away()
    qtbot.waitUntil(indicator.isVisible, timeout=2000)
    assert indicator.accessibleName() == "Microphone on: listening"
    assert indicator.label.text() == "Listening…"
    w.showNormal()  # the window is back: it says it
    qtbot.waitUntil(lambda: not indicator.isVisible(), timeout=2000)
    put_away()
    qtbot.waitUntil(indicator.isVisible, timeout=2000)
    post(qtbot, w, RecordingStopped(1, 1.0))  # listening ended
    assert not indicator.isVisible()
    post(qtbot, w, finished(1))
    assert not indicator.isVisible()


def test_the_indicator_s_stop_ends_listening_without_sending(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    indicator = indicator_of(qtbot, w)
    w.hide()
    assert not indicator.isVisible()  # hidden, but not listening
    w.ptt.begin()  # e.g. `ptt press`
    post(qtbot, w, RecordingStarted(1))
    qtbot.waitUntil(indicator.isVisible, timeout=2000)
    qtbot.wait(HOLD_MS)
    indicator.stop_button.click()
    qtbot.waitUntil(lambda: "stop" in w.fake.names(), timeout=3000)
    post(qtbot, w, RecordingCancelled(1, "stopped", 0.5))
    assert not indicator.isVisible() and not w.ptt.active
    assert w.fake.names()[:2] == ["push_to_talk_pressed", "stop"]
    # The next toggle starts anew (the press was let go with the Stop).
    w.ptt.key_pressed()
    qtbot.waitUntil(lambda: w.fake.names().count("push_to_talk_pressed") == 2, timeout=3000)


def test_the_indicator_s_send_sends(qtbot: Any, fake_window: Any) -> None:
    w = fake_window
    indicator = indicator_of(qtbot, w)
    w.hide()
    w.ptt.begin()
    post(qtbot, w, RecordingStarted(1))
    qtbot.waitUntil(indicator.isVisible, timeout=2000)
    qtbot.wait(HOLD_MS)
    indicator.send_button.click()
    wait_calls(qtbot, w.fake, ["push_to_talk_pressed", "push_to_talk_released"])


@pytest.mark.parametrize("theme_name", ["light", "dark"])
def test_the_indicator_is_named_and_reads_in_light_and_dark(qtbot: Any, qapp: Any, fake_window: Any,
                                                            theme_name: str) -> None:
    from desktop_assistant.ui import theme
    from tests.gui.a11y_audit import label_not_in_name, nodes, unnamed
    from tests.gui.test_gui_contrast import adwaita
    from tests.support.contrast import TEXT_MINIMUM, pixels, text_contrast
    from tests.support.widget_text import text_rects

    before = qapp.palette()
    qapp.setPalette(adwaita(theme_name))
    theme.apply(qapp)
    try:
        w = fake_window
        indicator = indicator_of(qtbot, w)
        w.hide()
        post(qtbot, w, RecordingStarted(1))
        qtbot.waitUntil(indicator.isVisible, timeout=2000)
        found = nodes(indicator)
        assert not unnamed(found) and not label_not_in_name(found), found
        image = pixels(indicator.grab().toImage())
        rects = text_rects(indicator)
        assert sorted(name.split()[-1] for name, _ in rects) == ["'Listening…'", "'Send'", "'Stop'"], rects
        for name, rect in rects:
            measure = text_contrast(image, rect, name)
            assert measure is not None and measure.ratio >= TEXT_MINIMUM, (theme_name, measure)
    finally:
        qapp.setPalette(before)
        theme.apply(qapp)
