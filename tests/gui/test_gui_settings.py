"""Settings: the dialog persists and applies at once; the key goes to the key store
(0600 file here, never the settings file or the log); App reads it back under the
environment; invalid values are shown inline."""

from __future__ import annotations

import json
import os
import stat
import threading
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from desktop_assistant.app import App
from desktop_assistant.keystore import KeyStore
from tests.gui.gui_helpers import saved

pytestmark = pytest.mark.gui

KEY = "gsk_testkey1234567890abcdef"


def test_settings_dialog_persists_and_applies_without_restart(
    qtbot: Any, fake_window: Any, gui_app: App
) -> None:
    w = fake_window
    dialog = w.open_settings()
    assert dialog.isVisible() and not dialog.isModal()
    dialog.api_key.setFocus()
    qtbot.keyClicks(dialog.api_key, KEY)
    dialog.temperature.setValue(1.3)
    dialog.ptt_mode.setCurrentIndex(dialog.ptt_mode.findData("toggle"))
    dialog.session_timeout.setValue(15)
    dialog.tts_engine.setCurrentIndex(dialog.tts_engine.findData("espeak"))
    assert saved(dialog)

    # applied now: the window and the App use it
    assert gui_app.settings.llm_temperature == 1.3 and gui_app.settings.groq_api_key == KEY
    assert w.ptt.mode == "toggle"
    assert not w.banner.isVisible() or w.banner.kind != "no_key"
    # persisted: settings file without the key, key in a private file
    stored = json.loads(gui_app.paths.settings_file.read_text())
    assert stored["llm_temperature"] == 1.3 and stored["ptt_mode"] == "toggle"
    assert stored["session_timeout"] == 900.0 and stored["tts_engine"] == "espeak"
    assert KEY not in gui_app.paths.settings_file.read_text()
    key_file = KeyStore.for_paths(gui_app.paths).file
    assert key_file.read_text() == KEY
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    # never logged
    assert KEY not in gui_app.paths.log_file.read_text()
    # a restart reads the same values (key store under the environment)
    again = App.create(console_log=False)
    try:
        assert again.settings.groq_api_key == KEY and again.settings.llm_temperature == 1.3
        assert again.settings.ptt_mode == "toggle"
    finally:
        again.close()
    dialog.close()


def test_environment_key_wins_over_the_key_store(gui_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    KeyStore.for_paths(gui_app.paths).set(KEY)
    monkeypatch.setenv("GROQ_API_KEY", "gsk_fromenvironment123")
    app = App.create(console_log=False)
    try:
        assert app.settings.groq_api_key == "gsk_fromenvironment123"
    finally:
        app.close()


def test_removing_the_key_brings_the_banner_back(qtbot: Any, fake_window: Any, gui_app: App) -> None:
    w = fake_window
    assert w.banner.isVisible() and w.banner.kind == "no_key"
    dialog = w.open_settings()
    dialog.api_key.setFocus()
    qtbot.keyClicks(dialog.api_key, KEY)
    assert saved(dialog, ok=True)
    assert not dialog.isVisible()
    assert not w.banner.isVisible()
    assert w.status.network.text() == "Groq: not contacted yet"
    dialog = w.open_settings()
    assert dialog.api_key.text() == KEY
    assert dialog.api_key.echoMode() == dialog.api_key.EchoMode.Password
    dialog.api_key.clear()
    dialog._key_edited("")
    assert saved(dialog)
    assert gui_app.settings.groq_api_key is None
    assert not KeyStore.for_paths(gui_app.paths).file.exists()
    assert w.status.network.text() == "Groq: no API key"


def test_invalid_value_is_shown_inline_and_nothing_is_saved(
    qtbot: Any, fake_window: Any, gui_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = fake_window.open_settings()
    dialog.llm_model.setEditText("   ")  # blank falls back to the current model
    dialog.ptt_key.clear()  # no key falls back to Space
    assert saved(dialog)
    assert gui_app.settings.ptt_key == "Space" and gui_app.settings.llm_model == "llama-3.1-8b-instant"
    before = gui_app.settings
    stored = gui_app.paths.settings_file.read_text()
    good = dialog.values()
    monkeypatch.setattr(dialog, "values", lambda: {**good, "llm_temperature": 7.5})
    assert not saved(dialog)
    assert dialog.error.isVisibleTo(dialog) and "llm_temperature" in dialog.error.text()
    assert gui_app.settings == before and gui_app.paths.settings_file.read_text() == stored
    dialog.close()


@pytest.mark.audio
def test_devices_and_model_status_load_off_the_gui_thread(
    qtbot: Any, fake_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The device list and the model look-ups run on another thread, and the dialog stays live while
    they take their time: each probe records its thread and holds until the GUI thread has run on."""
    from desktop_assistant.audio import devices
    from desktop_assistant.speech import models
    from tests.support.audio import pulse_available

    assert pulse_available(), "run inside scripts/test-env.sh (make test)"
    gui_thread = threading.get_ident()
    ran_on: dict[str, set[int]] = {"devices": set(), "plan": set()}
    gui_ran_on = threading.Event()  # set by a timer on the GUI thread once the dialog is open

    def probe(name: str, real: Any) -> Any:
        def look_up(*args: Any, **kwargs: Any) -> Any:
            ran_on[name].add(threading.get_ident())
            if threading.get_ident() != gui_thread:  # (waiting there would block the timer that sets it)
                gui_ran_on.wait(10)
            return real(*args, **kwargs)

        return look_up

    monkeypatch.setattr(devices, "list_devices", probe("devices", devices.list_devices))
    monkeypatch.setattr(models, "plan", probe("plan", models.plan))
    dialog = fake_window.open_settings()
    QTimer.singleShot(0, gui_ran_on.set)
    qtbot.waitUntil(gui_ran_on.is_set, timeout=2000)
    qtbot.waitUntil(lambda: dialog.model_state.text() not in ("", "checking…"), timeout=10000)
    qtbot.waitUntil(lambda: dialog.input_device.count() > 1 or dialog.audio_state.text() != "", timeout=10000)
    assert ran_on["devices"] and ran_on["plan"], ran_on
    assert gui_thread not in ran_on["devices"] | ran_on["plan"]
    names = [dialog.input_device.itemText(i) for i in range(dialog.input_device.count())]
    assert len(names) > 1, dialog.audio_state.text()  # the null sink's monitor besides the default
    dialog.close()


def test_model_list_shows_what_is_on_this_computer(qtbot: Any, fake_window: Any, gui_app: App) -> None:
    dialog = fake_window.open_settings()
    qtbot.waitUntil(lambda: bool(dialog.model_sources), timeout=10000)
    assert dialog.model_sources["tiny.en"] == "embedded"
    assert dialog.model_sources["large-v3"] == "download"  # nothing downloaded in a fresh home
    index = dialog.stt_model.findData("tiny.en")
    assert dialog.stt_model.itemText(index) == "tiny.en ✓"
    dialog.stt_model.setCurrentIndex(index)
    qtbot.waitUntil(lambda: dialog.model_state.text().startswith("embedded"), timeout=10000)
    assert saved(dialog)
    assert gui_app.settings.stt_model == "tiny.en"
    dialog.close()


@pytest.mark.audio
def test_microphone_meter_and_speaker_test_on_the_null_sink(qtbot: Any, fake_window: Any) -> None:
    from tests.support.audio import FIXTURES, MonitorCapture, active_seconds, play_into_sink, pulse_available

    assert pulse_available(), "run inside scripts/test-env.sh (make test)"
    dialog = fake_window.open_settings()
    peaks: list[float] = []
    original = dialog.mic_meter.set_level
    dialog.mic_meter.set_level = lambda dbfs: (peaks.append(dbfs), original(dbfs))  # type: ignore[method-assign]
    dialog.mic_button.click()
    qtbot.waitUntil(lambda: dialog.audio_state.text().startswith("Speak"), timeout=10000)
    player = play_into_sink(FIXTURES / "fox.wav")
    qtbot.waitUntil(lambda: bool(peaks) and max(peaks) > -35, timeout=15000)
    player.wait(15)
    dialog.mic_button.click()
    assert dialog.mic_button.text() == "Test microphone"
    with MonitorCapture() as sink:  # what reaches the null sink: the speakers
        assert sink.wait_flowing(), "parec delivered nothing from vsink.monitor"
        quiet = len(sink.samples())
        dialog.speaker_button.click()
        qtbot.waitUntil(lambda: dialog.speaker_button.isEnabled(), timeout=20000)
        qtbot.waitUntil(lambda: len(sink.samples()) >= quiet + 16000, timeout=10000)  # and 1 s past it
    assert dialog.audio_state.text() == "Test sound played.", dialog.audio_state.text()
    played = sink.samples()[quiet:]
    # resources/sounds/speaker-test.wav: 0.6 s, peak 0.25; the sink's floor is digital silence
    assert np.abs(sink.samples()[:quiet]).max(initial=0.0) < 0.01
    assert np.abs(played).max() > 0.1, "the test sound did not reach the sink"
    assert active_seconds(played, 16000) == pytest.approx(0.6, abs=0.15)
    dialog.close()


def test_the_live_transcript_and_answering_before_the_release_can_be_turned_off(
    qtbot: Any, fake_window: Any, gui_app: App
) -> None:
    dialog = fake_window.open_settings()
    assert dialog.live_transcript.isChecked() and dialog.speculative_reply.isChecked()  # on by default
    assert "before I let go" in dialog.speculative_reply.text() and "Groq" in dialog.speculative_reply.toolTip()
    dialog.live_transcript.setChecked(False)
    dialog.speculative_reply.setChecked(False)
    assert saved(dialog)
    assert not gui_app.settings.live_transcript and not gui_app.settings.speculative_reply
    stored = json.loads(gui_app.paths.settings_file.read_text())
    assert stored["live_transcript"] is False and stored["speculative_reply"] is False
    again = fake_window.open_settings()
    assert not again.live_transcript.isChecked() and not again.speculative_reply.isChecked()
