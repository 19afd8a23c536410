"""The global hotkey's parts without a desktop: which backend a desktop gets, one shortcut
spelled for each backend, the pynput backend (Windows/macOS) against a stand-in pynput keyboard
module, the X11 grab's repeat handling, and the hold/toggle modes on a real talk button."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from desktop_assistant.config import DEFAULT_GLOBAL_HOTKEY, Settings, load_settings
from desktop_assistant.errors import ConfigError
from desktop_assistant.ui.hotkeys.base import BackendKind, HotkeyStatus, choose
from desktop_assistant.ui.hotkeys.shortcut import Shortcut, ShortcutError

pytestmark = pytest.mark.gui


# ------------------------------------------------------------------ the chooser

@pytest.mark.parametrize(("platform", "qpa", "env", "kind"), [
    ("linux", "xcb", {"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, BackendKind.X11),
    ("linux", "xcb", {"DISPLAY": ":0"}, BackendKind.X11),
    ("linux", "wayland", {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, BackendKind.PORTAL),
    # XWayland: an X grab would see keys only while an X window has focus
    ("linux", "xcb", {"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}, BackendKind.PORTAL),
    ("linux", "xcb", {"WAYLAND_DISPLAY": "wayland-1", "DISPLAY": ":0"}, BackendKind.PORTAL),
    ("linux", "offscreen", {}, BackendKind.NONE),
    ("linux", "offscreen", {"XDG_SESSION_TYPE": "wayland"}, BackendKind.NONE),  # tests on a Wayland desktop
    ("win32", "windows", {}, BackendKind.PYNPUT),
    ("darwin", "cocoa", {}, BackendKind.PYNPUT),
    ("linux", "wayland", {"DA_HOTKEY_BACKEND": "none"}, BackendKind.NONE),
    ("linux", "xcb", {"DA_HOTKEY_BACKEND": "bogus"}, BackendKind.X11),
])
def test_each_desktop_gets_its_backend_and_a_reason(platform: str, qpa: str, env: dict[str, str],
                                                     kind: BackendKind) -> None:
    choice = choose(platform, qpa, env)
    assert choice.kind is kind
    assert choice.reason


# ------------------------------------------------------------------ the shortcut and its spellings

def test_the_default_shortcut_in_each_backends_spelling() -> None:
    shortcut = Shortcut.parse(DEFAULT_GLOBAL_HOTKEY)
    assert shortcut.text() == "Ctrl+Alt+Space"
    assert shortcut.keysym() == 0x20
    assert shortcut.x11_modifiers() == 0x4 | 0x8
    assert shortcut.x11_grab_masks() == (0xC, 0xE, 0x1C, 0x1E)  # plain, CapsLock, NumLock, both
    assert shortcut.portal_trigger() == "CTRL+ALT+space"
    assert shortcut.pynput_hotkey() == "<ctrl>+<alt>+<space>"


@pytest.mark.parametrize(("text", "keysym", "portal", "pynput"), [
    ("Meta+F9", 0xFFC6, "LOGO+F9", "<cmd>+<f9>"),
    ("ctrl+shift+a", ord("a"), "CTRL+SHIFT+a", "<ctrl>+<shift>+a"),
    ("Alt+PgDown", 0xFF56, "ALT+Next", "<alt>+<page_down>"),
    ("F12", 0xFFC9, "F12", "<f12>"),
])
def test_other_shortcuts(text: str, keysym: int, portal: str, pynput: str) -> None:
    shortcut = Shortcut.parse(text)
    assert (shortcut.keysym(), shortcut.portal_trigger(), shortcut.pynput_hotkey()) == (keysym, portal, pynput)
    assert Shortcut.parse(shortcut.text()) == shortcut


@pytest.mark.parametrize("text", ["", "Ctrl+", "Ctrl+Alt", "Hyper+Space", "Ctrl+Ü"])
def test_what_is_not_a_shortcut_is_said(text: str) -> None:
    with pytest.raises(ShortcutError):
        Shortcut.parse(text)


def test_the_settings_have_the_shortcut_and_its_mode(tmp_path: Any) -> None:
    assert (Settings().global_hotkey, Settings().global_hotkey_mode) == ("Ctrl+Alt+Space", "hold")
    settings = load_settings(None, {"GLOBAL_HOTKEY": "Meta+F9", "GLOBAL_HOTKEY_MODE": "toggle"})
    assert (settings.global_hotkey, settings.global_hotkey_mode) == ("Meta+F9", "toggle")
    assert load_settings(None, {"GLOBAL_HOTKEY": ""}).global_hotkey == ""  # off
    with pytest.raises(ConfigError, match="GLOBAL_HOTKEY_MODE"):
        load_settings(None, {"GLOBAL_HOTKEY_MODE": "sometimes"})


# ------------------------------------------------------------------ pynput (Windows, macOS) with a stand-in

class _Key:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Key.{self.name}"


class FakeKeyboard:
    """The part of `pynput.keyboard` the backend uses: `HotKey.parse`, `Listener` (its callbacks
    called from a thread of its own, as pynput's are), `Listener.canonical`."""

    def __init__(self, trusted: bool = True) -> None:
        fake = self
        self.keys = {name: _Key(name) for name in ("ctrl", "ctrl_l", "ctrl_r", "alt", "alt_l", "space", "cmd", "f9",
                                                   "shift")}

        class HotKey:
            @staticmethod
            def parse(text: str) -> list[Any]:
                out = []
                for part in text.split("+"):
                    if part.startswith("<") and part.endswith(">"):
                        if part[1:-1] not in fake.keys:
                            raise ValueError(part)
                        out.append(fake.keys[part[1:-1]])
                    else:
                        out.append(part)
                return out

        class Listener:
            IS_TRUSTED = trusted

            def __init__(self, on_press: Any, on_release: Any) -> None:
                self.on_press, self.on_release = on_press, on_release
                self.started = self.stopped = False
                fake.listener = self

            def start(self) -> None:
                self.started = True

            def stop(self) -> None:
                self.stopped = True

            def canonical(self, key: Any) -> Any:
                if isinstance(key, _Key) and key.name.endswith(("_l", "_r")):
                    return fake.keys[key.name[:-2]]
                return key

        self.HotKey, self.Listener = HotKey, Listener
        self.listener: Any = None

    def from_thread(self, *events: tuple[str, str]) -> None:
        """Key events as pynput delivers them: on its own thread."""
        def run() -> None:
            for kind, name in events:
                key = self.keys.get(name, name)
                (self.listener.on_press if kind == "down" else self.listener.on_release)(key)

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(5)


def _pynput(qtbot: Any, keyboard: FakeKeyboard, shortcut: str = "Ctrl+Alt+Space", platform: str = "win32") -> Any:
    from desktop_assistant.ui.hotkeys.pynput_keys import PynputHotkey

    backend = PynputHotkey(shortcut, keyboard, platform)
    calls: list[str] = []
    status = backend.start(lambda: calls.append("press"), lambda: calls.append("release"))
    return backend, calls, status


def test_pynput_one_hold_is_one_press_and_one_release_on_the_gui_thread(qtbot: Any) -> None:
    keyboard = FakeKeyboard()
    backend, calls, status = _pynput(qtbot, keyboard)
    assert status == HotkeyStatus(True, "Windows: Ctrl+Alt+Space listened for (pynput)")
    assert keyboard.listener.started
    # Left Ctrl, Alt, then Space repeating while held (Windows repeats presses), then the release.
    keyboard.from_thread(("down", "ctrl_l"), ("down", "alt_l"), ("down", "space"), ("down", "space"),
                         ("down", "space"), ("down", "x"))
    qtbot.waitUntil(lambda: calls == ["press"], timeout=2000)
    keyboard.from_thread(("up", "space"), ("up", "alt_l"), ("up", "ctrl_l"))
    qtbot.waitUntil(lambda: calls == ["press", "release"], timeout=2000)
    keyboard.from_thread(("down", "space"))  # Space alone is not the shortcut
    keyboard.from_thread(("down", "ctrl"), ("down", "space"))  # nor Ctrl+Space
    qtbot.wait(50)
    assert calls == ["press", "release"]
    backend.stop()
    assert keyboard.listener.stopped


def test_pynput_stop_while_held_releases(qtbot: Any) -> None:
    keyboard = FakeKeyboard()
    backend, calls, _ = _pynput(qtbot, keyboard, "Meta+F9", platform="darwin")
    keyboard.from_thread(("down", "cmd"), ("down", "f9"))
    qtbot.waitUntil(lambda: calls == ["press"], timeout=2000)
    backend.stop()
    assert calls == ["press", "release"]


def test_pynput_on_macos_without_permission_says_where_to_allow_it(qtbot: Any) -> None:
    _, _, status = _pynput(qtbot, FakeKeyboard(trusted=False), platform="darwin")
    assert status.ok is False
    assert "Privacy & Security" in status.message and "Accessibility" in status.message


def test_pynput_missing_says_how_to_get_it(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from desktop_assistant.ui.hotkeys.pynput_keys import PynputHotkey

    monkeypatch.setitem(sys.modules, "pynput", None)  # `import pynput` raises ImportError
    status = PynputHotkey("Ctrl+Alt+Space", None, "win32").start(lambda: None, lambda: None)
    assert status.ok is False and "pip install pynput" in status.message


# ------------------------------------------------------------------ the X11 grab's key repeat handling

def test_x11_repeats_without_detectable_autorepeat_are_one_hold(qtbot: Any) -> None:
    """Release/press pairs with the same server time are a repeat; a lone release is the release."""
    from desktop_assistant.ui.hotkeys.x11 import X11Grab

    grab = X11Grab("Ctrl+Alt+Space")
    calls: list[str] = []
    grab._on_press, grab._on_release = lambda: calls.append("press"), lambda: calls.append("release")
    grab.detectable = False
    grab.pressed(1000)
    for t in (1200, 1225, 1250):  # the repeats: a release and a press at the same time
        grab.released(t)
        grab.pressed(t)
    assert calls == ["press"] and grab.repeats_absorbed == 3
    grab.released(1300)
    assert calls == ["press"]  # waits for a press of a pair…
    qtbot.waitUntil(lambda: calls == ["press", "release"], timeout=2000)  # …none came: released


def test_x11_with_detectable_autorepeat_repeated_presses_are_one_hold(qtbot: Any) -> None:
    from desktop_assistant.ui.hotkeys.x11 import X11Grab

    grab = X11Grab("Ctrl+Alt+Space")
    calls: list[str] = []
    grab._on_press, grab._on_release = lambda: calls.append("press"), lambda: calls.append("release")
    grab.detectable = True
    for t in (1000, 1200, 1225):
        grab.pressed(t)
    grab.released(1250)
    assert calls == ["press", "release"]  # at once: no release is a repeat's
    assert grab.repeats_absorbed == 2


# ------------------------------------------------------------------ hold and toggle on the real talk button

class FakeBackend:
    kind = BackendKind.X11

    def __init__(self) -> None:
        self.press: Any = None
        self.release: Any = None
        self.stopped = 0
        self._status = HotkeyStatus(True, "X11: Ctrl+Alt+Space grabbed")

    @property
    def status(self) -> HotkeyStatus:
        return self._status

    def start(self, on_press: Any, on_release: Any) -> HotkeyStatus:
        self.press, self.release = on_press, on_release
        return self._status

    def stop(self) -> None:
        self.stopped += 1


@pytest.fixture
def talk(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from desktop_assistant.ui.hotkeys import global_hotkey
    from desktop_assistant.ui.ptt_button import PushToTalkButton

    button = PushToTalkButton("hold")
    qtbot.addWidget(button)
    events: list[str] = []
    button.talk_started.connect(lambda: events.append("start"))
    button.talk_ended.connect(lambda: events.append("end"))
    backends: list[FakeBackend] = []

    def make(choice: Any, shortcut: str, parent: Any = None) -> FakeBackend:
        backends.append(FakeBackend())
        return backends[-1]

    monkeypatch.setattr(global_hotkey, "make_backend", make)
    hotkey = global_hotkey.GlobalHotkey(button, platform="linux", qpa="xcb", env={})
    statuses: list[HotkeyStatus] = []
    hotkey.status_changed.connect(statuses.append)
    return hotkey, button, events, backends, statuses


def test_hold_mode_press_talks_and_release_sends(talk: Any) -> None:
    hotkey, button, events, backends, statuses = talk
    hotkey.apply("Ctrl+Alt+Space", "hold")
    assert statuses[-1].message == "X11: Ctrl+Alt+Space grabbed"
    backends[0].press()
    assert button.active and events == ["start"]
    backends[0].release()
    assert not button.active and events == ["start", "end"]


def test_toggle_mode_each_press_starts_or_sends(talk: Any) -> None:
    hotkey, button, events, backends, _ = talk
    hotkey.apply("Ctrl+Alt+Space", "toggle")
    backends[0].press()
    backends[0].release()
    assert button.active and events == ["start"]
    backends[0].press()
    backends[0].release()
    assert not button.active and events == ["start", "end"]


def test_a_new_shortcut_regrabs_and_the_same_one_keeps_the_grab(talk: Any) -> None:
    hotkey, _, _, backends, statuses = talk
    hotkey.apply("Ctrl+Alt+Space", "hold")
    hotkey.apply("Ctrl+Alt+Space", "toggle")  # other settings applied: the same grab
    assert len(backends) == 1 and hotkey.mode == "toggle"
    hotkey.apply("Meta+F9", "hold")
    assert len(backends) == 2 and backends[0].stopped == 1
    hotkey.apply("", "hold")
    assert backends[1].stopped == 1 and statuses[-1].message.startswith("Off")


def test_the_shortcut_list_names_the_global_shortcut() -> None:
    from types import SimpleNamespace

    from desktop_assistant.ui.shortcuts import shortcut_rows

    def rows(**values: Any) -> list[tuple[str, str]]:
        window = SimpleNamespace(app=SimpleNamespace(settings=Settings(**values)), actions=list)
        return shortcut_rows(window)

    assert ("Talk from any window, also with this one hidden: hold it while you speak", "Ctrl+Alt+Space") in rows()
    assert not any("any window" in what for what, _ in rows(global_hotkey=""))
