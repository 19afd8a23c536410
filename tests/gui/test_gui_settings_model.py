"""A speech model that cannot be had offline (issue 12, item 7): picked in Settings with
HF_HUB_OFFLINE=1 it says why and what to do next to the model picker, and once applied the main
window's banner says the same while the model in use keeps serving (the real engine and tiny.en)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from desktop_assistant.config import Settings
from desktop_assistant.paths import Paths
from desktop_assistant.speech.stt import Transcriber
from desktop_assistant.speech.transcript import ModelStatus

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_offline_model_choice_is_explained_and_the_model_in_use_stays(qtbot: Any, engine_window: Any) -> None:
    w = engine_window()
    # The engine opens its output stream while warming up: let it, so that closing the window closes it.
    qtbot.waitUntil(lambda: "audio output open" in w.app.paths.log_file.read_text(), timeout=20000)
    in_use = w.engine.assistant.transcriber
    dialog = w.open_settings()
    dialog.tabs.setCurrentIndex(1)
    dialog.stt_model.setCurrentIndex(dialog.stt_model.findData("small"))
    qtbot.waitUntil(lambda: "cannot be downloaded" in dialog.model_state.text(), timeout=10000)
    beside_picker = dialog.model_state.text()
    assert "small" in beside_picker and "HF_HUB_OFFLINE=1" in beside_picker
    assert "choose a model marked ✓" in beside_picker

    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Apply), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.banner.isVisible() and w.banner.kind == "model", timeout=15000)
    banner = w.banner.text
    assert "small" in banner and "HF_HUB_OFFLINE=1" in banner and "still using tiny.en" in banner
    assert w.banner.action_text == "Open Settings"
    assert w.engine.assistant.transcriber is in_use and in_use.resolved.name == "tiny.en"
    assert w.state == "ready"  # typing and talking still work
    assert w.status.model.text() == "Speech: tiny.en, embedded"

    dialog.tabs.setCurrentIndex(0)
    dialog.close()
    qtbot.mouseClick(w.banner._action, Qt.MouseButton.LeftButton)  # Open Settings: on the model's page
    assert dialog.isVisible() and dialog.tabs.currentIndex() == 1
    dialog.close()
    # A model that serves as asked (what a later switch or download reports) ends the problem.
    w.bridge.post_model_status(ModelStatus("tiny.en", "embedded", "ready", None, "tiny.en ready"))
    qtbot.waitUntil(lambda: not w.banner.isVisible(), timeout=5000)


def test_a_start_offline_with_a_missing_model_says_why_as_a_lasting_problem(app_home: Any) -> None:
    """The same cause when the settings file already names the model (a start, not a switch)."""
    statuses: list[ModelStatus] = []
    stt = Transcriber(Settings(stt_model="small"), Paths.from_env().ensure(), on_status=statuses.append,
                      model_factory=lambda resolved, compute_type: object())
    stt.start()
    assert stt.wait_ready(30)
    stt.close()
    ready = statuses[-1]
    assert (ready.state, ready.name) == ("ready", "tiny.en")
    assert ready.problem.startswith("The small speech model is not on this computer and cannot be downloaded: "
                                    "offline mode is on (HF_HUB_OFFLINE=1) — using embedded tiny.en;")
