"""The global push-to-talk shortcut on a real X server: the app minimised and another window
focused, Ctrl+Alt+Space held through the X server (autorepeat on) while the null-sink microphone
hears a question → one turn; the shortcut taken by another client → the message in Settings.
And the Wayland path: a stand-in GlobalShortcuts portal on a private session bus, its Activated /
Deactivated signals → one turn; the portal refusing the binding → the message in Settings.
Each logs the hotkey press → recording start latency it measured."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import pytest

from tests.desktop.test_desktop_ptt import FIRST_AUDIO, RECORDING, SHORT_REPLY, heard_weather, speak_once_listening
from tests.support.portal_standin import StandIn, private_session_bus

HOTKEY = "ctrl+alt+space"
# The app's log line of a message: "2026-11-28 19:47:00,123 INFO …"
STAMP = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*"


def stamp_of(app: Any, pattern: str) -> datetime:
    match = re.search(STAMP + pattern, app.log_text(), re.MULTILINE)
    assert match, f"{pattern!r} not logged\n{app.tail()}"
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")


def report_latency(app: Any, label: str, sent_at: float) -> None:
    """Hotkey press → recording start (and → the microphone's first audio), from the app's log."""
    pressed = stamp_of(app, r"global hotkey: pressed")
    recording = stamp_of(app, r"recording from \S+ at")
    audio = stamp_of(app, r"microphone: first audio")
    sent = datetime.fromtimestamp(sent_at)
    print(f"\n{label}: key event sent → hotkey seen {(pressed - sent).total_seconds() * 1000:.0f} ms; "
          f"hotkey seen → recording started {(recording - pressed).total_seconds() * 1000:.0f} ms; "
          f"sent → recording started {(recording - sent).total_seconds() * 1000:.0f} ms; "
          f"→ first audio {(audio - sent).total_seconds() * 1000:.0f} ms")


def another_window(desktop: Any) -> tuple[subprocess.Popen[bytes], str]:
    """A second X client (xmessage), focused."""
    proc = subprocess.Popen(["xmessage", "-geometry", "320x120+40+40", "another window has the focus"],
                            env=desktop.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # (xmessage sets no _NET_WM_PID: found by its class)
    window = desktop.xdotool("search", "--sync", "--onlyvisible", "--class", "Xmessage", timeout=20).split()[-1]
    desktop.xdotool("windowactivate", "--sync", window)
    return proc, window


def wait_settings_focused(desktop: Any, timeout: float = 20.0) -> None:
    """Until the Settings dialog is the active window (keys sent before go to the main window)."""
    deadline = time.monotonic() + timeout
    def active_name() -> str:
        window = desktop.active_window()  # ("" for a moment while the focus moves: no active window)
        try:
            return desktop.xdotool("getwindowname", window) if window else ""
        except RuntimeError:  # (it closed meanwhile)
            return ""

    while "Settings" not in active_name():
        assert time.monotonic() < deadline, "the Settings dialog did not get the focus"
        time.sleep(0.1)


def hold_hotkey(app: Any, desktop: Any, seconds: float = 3.6, press: Any = None, release: Any = None) -> float:
    """Hold the shortcut while the question plays into the microphone; when the press was sent."""
    heard_before = app.count_log(FIRST_AUDIO)
    sent_at = time.time()
    (press or (lambda: desktop.xdotool("keydown", HOTKEY)))()
    player = speak_once_listening(app, "weather.wav", heard_before)
    time.sleep(seconds)
    (release or (lambda: desktop.xdotool("keyup", HOTKEY)))()
    player.wait(10)
    return sent_at


@pytest.mark.audio
@pytest.mark.parametrize("detectable", [True, False], ids=["xkb-detectable", "release-confirm"])
def test_the_shortcut_talks_with_the_window_minimised_and_another_focused(
    desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None, detectable: bool
) -> None:
    groq_server.default = SHORT_REPLY
    app = launch_app(extra_env={"DA_NO_DETECTABLE_AUTOREPEAT": None if detectable else "1"})
    app.wait_log(r"global hotkey: X11: Ctrl\+Alt\+Space grabbed", timeout=10)
    assert app.count_log(r"global hotkey: key repeats detectable") == (1 if detectable else 0)
    desktop.xdotool("windowminimize", "--sync", app.window_id)
    other, other_window = another_window(desktop)
    try:
        assert desktop.active_window() == other_window
        sent_at = hold_hotkey(app, desktop)
        rows = app.wait_messages(2, timeout=60)
        assert desktop.active_window() == other_window  # the app never took the focus
    finally:
        other.kill()
        other.wait(10)
    users = [text for role, text, _ in rows if role == "user"]
    assert len(users) == 1 and heard_weather(users[0].lower()), rows
    assert app.count_log(RECORDING) == 1, app.tail()
    # One hold through the X server's key repeat: one press and one release.
    assert app.count_log("global hotkey: pressed") == 1 and app.count_log("global hotkey: released") == 1
    repeats = int(app.wait_log(r"global hotkey: released \((\d+) key repeats absorbed")[0].group(1))
    assert repeats > 10, app.tail()  # the X server repeated the held key (40/s for ~3 s): all absorbed
    assert app.count_log("too short") == 0 and app.count_log("state: error") == 0
    report_latency(app, f"X11 grab ({'detectable' if detectable else 'release-confirm'})", sent_at)


@pytest.mark.audio
def test_in_toggle_mode_one_press_starts_and_the_next_sends(
    desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None
) -> None:
    groq_server.default = SHORT_REPLY
    app = launch_app(extra_env={"GLOBAL_HOTKEY_MODE": "toggle"})
    app.wait_log(r"global hotkey: X11: Ctrl\+Alt\+Space grabbed", timeout=10)
    desktop.xdotool("windowminimize", "--sync", app.window_id)
    other, _ = another_window(desktop)
    try:
        hold_hotkey(app, desktop, press=lambda: desktop.xdotool("key", HOTKEY),
                    release=lambda: desktop.xdotool("key", HOTKEY))
        rows = app.wait_messages(2, timeout=60)
    finally:
        other.kill()
        other.wait(10)
    users = [text for role, text, _ in rows if role == "user"]
    assert len(users) == 1 and heard_weather(users[0].lower()), rows
    assert app.count_log(RECORDING) == 1 and app.count_log("state: listening") == 1, app.tail()


GRABBER = """
import sys
from PySide6.QtCore import QCoreApplication
from desktop_assistant.ui.hotkeys.x11 import X11Grab
app = QCoreApplication([])
grab = X11Grab("Ctrl+Alt+Space")
print(grab.start(lambda: None, lambda: None).message, flush=True)
app.exec()
"""


def test_a_shortcut_another_application_holds_is_explained_in_settings(
    desktop: Any, launch_app: Any, tmp_path: Any
) -> None:
    repo = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    env = {**desktop.env, "PYTHONPATH": repo, "QT_QPA_PLATFORM": "offscreen"}
    other = subprocess.Popen([sys.executable, "-c", GRABBER], env=env, cwd=repo, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None
        assert other.stdout.readline().strip() == "X11: Ctrl+Alt+Space grabbed"
        app = launch_app(wait_ready=False)
        app.wait_log(r"global hotkey: X11: Ctrl\+Alt\+Space is already taken by another application", timeout=20)
        app.focus()
        app.key("ctrl+comma")
        shown = app.wait_log(r"settings: global shortcut: (.*)", timeout=20)[-1].group(1)
        assert shown.startswith("X11: Ctrl+Alt+Space is already taken by another application"), shown
        assert "choose another shortcut" in shown
        # As it suggests: record another shortcut in the field and apply → grabbed at once.
        wait_settings_focused(desktop)
        app.key("alt+c")  # the Controls page
        app.key("alt+g")
        app.key("ctrl+shift+F9")  # (Ctrl+Alt+F9 would be a switch to text console 9)
        app.key("alt+o")  # OK (the focus moved on from the recorded field: this is not recorded over it)
        app.wait_log(r"global hotkey: X11: Ctrl\+Shift\+F9 grabbed", timeout=20)
        app.wait_log(r"settings: global shortcut: X11: Ctrl\+Shift\+F9 grabbed", timeout=20)
        assert '"global_hotkey": "Ctrl+Shift+F9"' in (app.home / "config" / "settings.json").read_text()
    finally:
        other.kill()
        other.wait(10)
        other.stdout.close()


@pytest.mark.audio
def test_the_portal_shortcut_talks_through_real_dbus_signals(
    desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None
) -> None:
    groq_server.default = SHORT_REPLY
    with private_session_bus() as bus:
        portal = StandIn(bus)
        try:
            app = launch_app(extra_env={"XDG_SESSION_TYPE": "wayland", "DBUS_SESSION_BUS_ADDRESS": bus})
            assert portal.wait_line("bind", timeout=20) == "bind talk CTRL+ALT+space"
            app.wait_log(r"global hotkey: Wayland: via the desktop portal — Ctrl\+Alt\+Space bound", timeout=20)
            desktop.xdotool("windowminimize", "--sync", app.window_id)
            sent_at = hold_hotkey(app, desktop, press=lambda: portal.tell("press"),
                                  release=lambda: portal.tell("release"))
            rows = app.wait_messages(2, timeout=60)
        finally:
            portal.close()
    users = [text for role, text, _ in rows if role == "user"]
    assert len(users) == 1 and heard_weather(users[0].lower()), rows
    assert app.count_log(RECORDING) == 1 and app.count_log("global hotkey: released") == 1, app.tail()
    assert app.count_log("X11:") == 0  # a Wayland session: no X grab
    report_latency(app, "portal", sent_at)


def test_a_binding_the_portal_refuses_is_explained_in_settings(desktop: Any, launch_app: Any) -> None:
    with private_session_bus() as bus:
        portal = StandIn(bus, "--refuse")
        try:
            app = launch_app(wait_ready=False,
                             extra_env={"XDG_SESSION_TYPE": "wayland", "DBUS_SESSION_BUS_ADDRESS": bus})
            portal.wait_line("bind", timeout=20)
            app.wait_log(r"global hotkey: Wayland: the desktop portal did not bind", timeout=20)
            app.focus()
            app.key("ctrl+comma")
            shown = app.wait_log(r"settings: global shortcut: (.*)", timeout=20)[-1].group(1)
        finally:
            portal.close()
    assert shown.startswith("Wayland: the desktop portal did not bind the shortcut (cancelled in its dialog)"), shown
    assert "desktop-assistant ptt toggle" in shown

