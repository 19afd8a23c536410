"""The GUI thread never waits on the keyring, the disk or a device: with a system keyring that takes
3 s to answer (to be found, to read, to store) and a microphone that takes 2 s to open (and to be
listed), the window's GUI thread never stalls over STALL_BOUND_MS while Settings opens, while it
saves and applies a new key and a new microphone, and while the microphone is swapped in the middle
of a recording (the real engine, the real dialog, the real key store)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QElapsedTimer, Qt, QTimer

from desktop_assistant.audio.devices import Device, DeviceList
from tests.gui.test_gui_turns import runqueue_ms, wait_fed, wait_turn_done
from tests.support.audio import FakeInputStream

pytestmark = [pytest.mark.gui, pytest.mark.slow, pytest.mark.timeout(120)]

KEYRING_HANG_S = 3.0
DEVICE_HANG_S = 2.0
KEY = "gsk_neverwaitskey0123456789"
#: The bound on the GUI thread's longest stall (less its run-queue wait: see test_gui_turns). Measured on
#: 2 cores (2026-11-28), open / apply / swap mid-recording: 3028-3035 / 3005 / 7 ms on 64c8b09 (the
#: dialog asked the keyring where the key is kept, and Apply stored the key, on the GUI thread);
#: after: 27 / 6 / 7 ms alone, 32-34 / 6-10 / 6-7 ms beside one busy loop, 25-27 / 12-16 / 10 ms beside
#: two. What is left of "open" is building the dialog's widgets (~25-30 ms of the GUI thread's CPU).
STALL_BOUND_MS = 50


class HangingKeyring(KeyringBackend):
    """A system keyring that answers after KEYRING_HANG_S: found (its D-Bus service probed for its
    priority), read and written, as a locked collection waiting for its unlock prompt does."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    @property
    def priority(self) -> float:
        time.sleep(KEYRING_HANG_S)
        return 5.0

    def get_password(self, service: str, username: str) -> str | None:
        time.sleep(KEYRING_HANG_S)
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(KEYRING_HANG_S)
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        time.sleep(KEYRING_HANG_S)
        self.values.pop((service, username), None)


KeyringBackend._classes.discard(HangingKeyring)  # never a candidate when keyring looks for backends


class SlowStream(FakeInputStream):
    """A microphone that takes DEVICE_HANG_S to start (silence after that)."""

    def start(self) -> None:
        time.sleep(DEVICE_HANG_S)
        super().start()


def slow_microphone() -> Callable[..., SlowStream]:
    made: list[SlowStream] = []

    def factory(**kw: Any) -> SlowStream:
        stream = SlowStream(speed=1.0, **kw)
        made.append(stream)
        return stream

    factory.made = made  # type: ignore[attr-defined]
    return factory


def mic(index: int, name: str) -> Device:
    return Device(index, name, "ALSA", 1, 0, 48000.0, is_default=index == 0)


class StallProbe:
    """A 5 ms timer on the GUI thread: the longest gap between its ticks, less the time the thread
    waited for a CPU (the machine's load, not the app's doing), per phase."""

    def __init__(self) -> None:
        self.worst: dict[str, float] = {}
        self.ticks: dict[str, int] = {}
        self.phase = "idle"
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)
        self._waited = runqueue_ms()

    def _tick(self) -> None:
        now = runqueue_ms()
        gap = self._clock.restart() - (now - self._waited)
        self._waited = now
        self.worst[self.phase] = max(self.worst.get(self.phase, 0.0), gap)
        self.ticks[self.phase] = self.ticks.get(self.phase, 0) + 1

    def start(self, phase: str) -> None:
        """Measure `phase` from now on (the gap so far is the phase before's: the test's own steps
        run on the GUI thread, and a stall they caused ends before the timer's next tick)."""
        if self._timer.isActive():
            self._tick()
        else:
            self._waited = runqueue_ms()
            self._clock.start()
            self._timer.start()
        self.phase = phase

    def stop(self) -> None:
        self._tick()
        self._timer.stop()


def test_the_gui_thread_never_waits_on_the_keyring_or_a_device(
    qtbot: Any, engine_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_assistant.audio import recorder as recorder_module
    from desktop_assistant.engine import Engine
    from desktop_assistant.keystore import KeyStore

    factory = slow_microphone()
    w = engine_window(key=None, stream_factory=factory, SPEECH_MUTED="1")
    qtbot.waitUntil(lambda: not any(t.name == "assistant-warm-up" for t in threading.enumerate()),
                    timeout=20000)
    # The system keyring, as the key store finds it (an isolated home has none: give it this one).
    ring = HangingKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # (put back after the test)
    keyring.set_keyring(ring)
    w.app.replace_part("keystore", KeyStore(w.app.paths.config_dir, "auto"))
    # Two microphones, listed after DEVICE_HANG_S; every microphone the engine opens is a slow one.
    devices = DeviceList((mic(0, "Desk Mic"), mic(1, "Headset Mic")), ())

    def list_devices(self: Any) -> DeviceList:
        time.sleep(DEVICE_HANG_S)
        return devices

    class SlowRecorder(recorder_module.Recorder):
        def __init__(self, *args: Any, **kw: Any) -> None:
            kw["stream_factory"] = factory
            super().__init__(*args, **kw)

    monkeypatch.setattr(Engine, "list_devices", list_devices)
    monkeypatch.setattr(recorder_module, "Recorder", SlowRecorder)

    probe = StallProbe()
    probe.start("open")
    dialog = w.open_settings()
    where = dialog.key_where
    qtbot.waitUntil(lambda: "HangingKeyring" in where.text() or "a private file (" in where.text(), timeout=15000)
    qtbot.waitUntil(lambda: dialog.input_device.count() == 3, timeout=15000)  # System default + 2

    probe.start("apply")  # a new key (to the keyring) and a new microphone
    dialog.api_key.setFocus()
    qtbot.keyClicks(dialog.api_key, KEY)
    dialog.input_device.setCurrentIndex(dialog.input_device.findData("Headset Mic"))
    dialog.apply()
    qtbot.waitUntil(lambda: dialog.error.isVisible() or (
        dialog.saved.isVisible() and dialog.saved.text() == "Saved and applied."), timeout=20000)
    assert not dialog.error.isVisible(), dialog.error.text()
    assert w.app.settings.groq_api_key == KEY and w.app.settings.input_device == "Headset Mic"
    qtbot.waitUntil(lambda: w.engine.assistant.recorder.device == "Headset Mic", timeout=10000)
    assert KEY in ring.values.values() or w.app.keystore.file.read_text() == KEY

    probe.start("swap mid-recording")  # the microphone changes while the user holds the button
    recorder = w.engine.assistant.recorder
    streams = len(factory.made)
    qtbot.mousePress(w.ptt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(factory.made) > streams and factory.made[-1].active, timeout=15000)
    wait_fed(qtbot, factory, 0.5)
    dialog.input_device.setCurrentIndex(dialog.input_device.findData("Desk Mic"))
    dialog.apply()
    qtbot.waitUntil(lambda: w.app.settings.input_device == "Desk Mic", timeout=20000)
    qtbot.waitUntil(lambda: dialog.saved.isVisible() and dialog.saved.text() == "Saved and applied.",
                    timeout=20000)
    assert w.ptt.active and w.state == "listening"  # the press goes on: applying settings lets go of nothing
    assert w.engine.assistant.recorder is recorder  # not under the recording in progress
    qtbot.mouseRelease(w.ptt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.engine.assistant.recorder.device == "Desk Mic", timeout=15000)
    wait_turn_done(qtbot, w)
    streams = len(factory.made)
    qtbot.mousePress(w.ptt, Qt.MouseButton.LeftButton)  # the new microphone takes 2 s to open
    qtbot.waitUntil(lambda: len(factory.made) > streams and factory.made[-1].active, timeout=15000)
    wait_fed(qtbot, factory, 1.0)
    qtbot.mouseRelease(w.ptt, Qt.MouseButton.LeftButton)
    wait_turn_done(qtbot, w)
    probe.stop()
    dialog.close()

    figures = ", ".join(f"{phase}: {ms:.0f} ms in {probe.ticks[phase]} ticks" for phase, ms in probe.worst.items())
    print(f"GUI thread's longest stall: {figures}")
    assert set(probe.worst) == {"open", "apply", "swap mid-recording"}
    for phase, ms in probe.worst.items():
        assert ms <= STALL_BOUND_MS, f"the GUI thread stalled {ms:.0f} ms ({phase}; {figures})"
    assert all(ticks > 20 for ticks in probe.ticks.values()), probe.ticks  # it ran through each phase
