"""The Settings dialog. Apply/OK validate, persist (key → key store, the rest →
settings file) and apply at once; problems show inline, not in another dialog.
Saving runs off the GUI thread (`SettingsWriter`: the disk, the keyring); so do the
device lists, model status, where the key is kept and the mic/speaker tests
(`SettingsServices`). The pages' widgets are made by settings_pages.py.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.speech.catalog import WHISPER_MODELS
from desktop_assistant.ui.combo_box import chosen, select
from desktop_assistant.ui.preferences import UNCHANGED, SettingsWriter
from desktop_assistant.ui.services import SettingsServices
from desktop_assistant.ui.settings_pages import audio_page, controls_page, groq_page, speech_page

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import (
        QCheckBox,
        QComboBox,
        QDoubleSpinBox,
        QKeySequenceEdit,
        QLineEdit,
        QPushButton,
        QSpinBox,
    )

    from desktop_assistant.app import App
    from desktop_assistant.audio.devices import DeviceList
    from desktop_assistant.engine import ModelChoice  # (the engine's import takes ~0.4 s: its probes import it)
    from desktop_assistant.ui.bridge import EngineBridge
    from desktop_assistant.ui.controller import EngineController
    from desktop_assistant.ui.hotkeys.base import HotkeyStatus
    from desktop_assistant.ui.hotkeys.global_hotkey import GlobalHotkey
    from desktop_assistant.ui.level_meter import LevelMeter

log = logging.getLogger(__name__)

SAVED = "Saved and applied."
LOOKING_FOR_KEYRING = "Stored in the system keyring if there is one (looking for it…); never written to logs."

_SOURCES = {
    "embedded": "embedded (built in)",
    "project": "in the project",
    "user": "downloaded",
    "hf-cache": "downloaded (cache)",
    "path": "folder",
    "download": "will download",
}
# A key test's outcome (an error's kind, or "works") → the word logged for it.
KEY_TEST_LOG: dict[str, str] = {ErrorKind.AUTH: "rejected", ErrorKind.OFFLINE: "unreachable",
                                 ErrorKind.TIMEOUT: "unreachable", ErrorKind.RATE_LIMIT: "works (busy)"}


class SettingsDialog(QDialog):
    #: a save (Apply/OK) is over: True when saved and applied, False when the dialog shows why not
    save_finished = Signal(bool)

    # made by settings_pages: Assistant
    api_key: QLineEdit
    show_key: QCheckBox
    test_key_button: QPushButton
    key_where: QLabel
    key_state: QLabel
    llm_model: QComboBox
    temperature: QDoubleSpinBox
    session_timeout: QSpinBox
    data_path: QLineEdit
    copy_path: QPushButton
    data_path_row: QWidget
    # Speech
    stt_model: QComboBox
    model_state: QLabel
    compute_type: QComboBox
    language: QLabel
    tts_engine: QComboBox
    tts_speed: QDoubleSpinBox
    # Audio
    input_device: QComboBox
    mic_meter: LevelMeter
    mic_button: QPushButton
    output_device: QComboBox
    speaker_button: QPushButton
    audio_state: QLabel
    audio_cues: QCheckBox
    muted: QCheckBox
    # Controls
    ptt_key: QKeySequenceEdit
    ptt_mode: QComboBox
    global_hotkey: QKeySequenceEdit
    global_hotkey_mode: QComboBox
    hotkey_state: QLabel
    live_transcript: QCheckBox
    speculative_reply: QCheckBox

    def __init__(self, app: App, engine: EngineController, bridge: EngineBridge,
                 parent: QWidget | None = None, writer: SettingsWriter | None = None,
                 hotkey: GlobalHotkey | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.services = SettingsServices(app, bridge)
        bridge.agents_loaded.connect(self._show_language)
        self._own_writer = writer is None
        self.writer = writer or SettingsWriter(app, bridge.post_call)  # the window's, shared with its toggles
        self.saving = False  # a save is on its way (Apply and OK wait for it)
        self._close_when_saved = False
        self._key_sent: Any = UNCHANGED
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.setModal(False)
        self._key_dirty = False
        self.model_sources: dict[str, str] = {}
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Settings pages")
        self.tabs.addTab(groq_page(self), "&Assistant")
        self.tabs.addTab(speech_page(self), "&Speech")
        self.tabs.addTab(audio_page(self), "A&udio")
        self.tabs.addTab(controls_page(self), "&Controls")
        layout.addWidget(self.tabs)
        self.error = QLabel(self)
        self.error.setObjectName("settingsError")
        self.error.setWordWrap(True)  # coloured by app.qss (QLabel#settingsError)
        self.error.hide()
        layout.addWidget(self.error)
        self.saved = QLabel(SAVED, self)  # Apply confirms; any edit hides it again
        self.saved.setObjectName("settingsSaved")
        self.saved.setAccessibleName("Settings saved and applied")
        self.saved.hide()
        layout.addWidget(self.saved)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        layout.addWidget(self.buttons)
        self.reload()
        self._show_hotkey(hotkey.status if hotkey is not None else None)
        if hotkey is not None:
            hotkey.status_changed.connect(self._show_hotkey)

    # ------------------------------------------------------------ values

    def reload(self) -> None:
        s = self.app.settings
        self.api_key.setText(s.groq_api_key or "")
        self._key_dirty = False
        self._show_key_source()
        select(self.llm_model, s.llm_model)
        self.temperature.setValue(s.llm_temperature)
        self.session_timeout.setValue(round(s.session_timeout / 60))
        select(self.stt_model, s.stt_model)
        select(self.compute_type, s.stt_compute_type)
        self._show_language()
        select(self.tts_engine, s.tts_engine)
        self.tts_speed.setValue(s.tts_speed)
        select(self.input_device, s.input_device)
        select(self.output_device, s.output_device)
        self.audio_cues.setChecked(s.audio_cues)
        self.muted.setChecked(s.speech_muted)
        self.ptt_key.setKeySequence(
            QKeySequence.fromString(s.ptt_key, QKeySequence.SequenceFormat.PortableText)
        )
        select(self.ptt_mode, s.ptt_mode)
        self.global_hotkey.setKeySequence(
            QKeySequence.fromString(s.global_hotkey, QKeySequence.SequenceFormat.PortableText)
        )
        select(self.global_hotkey_mode, s.global_hotkey_mode)
        self.live_transcript.setChecked(s.live_transcript)
        self.speculative_reply.setChecked(s.speculative_reply)
        self.error.hide()
        self.saved.hide()
        self.key_state.hide()
        self.data_path_row.hide()
        self.services.devices(self._devices_loaded)
        self.services.model_plans(WHISPER_MODELS, self._models_listed)
        self._model_changed(self.stt_model.currentText())

    def _show_hotkey(self, status: HotkeyStatus | None) -> None:
        """How the global shortcut works on this desktop, or why not and what to do."""
        text = status.message if status is not None else "The global shortcut starts with the main window."
        self.hotkey_state.setText(("✓ " if status is not None and status.ok else "") + text)
        log.info("settings: global shortcut: %s", text)

    def _show_language(self, _agents: Any = None) -> None:
        """The agent's language, once the agents are parsed (the command thread parses them at start)."""
        language = self.app.agent.stt.language if self.app.agents_loaded else None
        self.language.setText(language or "detect automatically (set per agent)")

    def values(self) -> dict[str, Any]:
        key = self.ptt_key.keySequence().toString(QKeySequence.SequenceFormat.PortableText) or "Space"
        return {
            "llm_model": chosen(self.llm_model) or self.app.settings.llm_model,
            "llm_temperature": round(self.temperature.value(), 2),
            "session_timeout": float(self.session_timeout.value() * 60),
            "stt_model": chosen(self.stt_model) or self.app.settings.stt_model,
            "stt_compute_type": chosen(self.compute_type),
            "tts_engine": chosen(self.tts_engine),
            "tts_speed": round(self.tts_speed.value(), 2),
            "input_device": self.input_device.currentData(),
            "output_device": self.output_device.currentData(),
            "audio_cues": self.audio_cues.isChecked(),
            "speech_muted": self.muted.isChecked(),
            "ptt_key": key,
            "ptt_mode": chosen(self.ptt_mode),
            "global_hotkey": self.global_hotkey.keySequence().toString(QKeySequence.SequenceFormat.PortableText),
            "global_hotkey_mode": chosen(self.global_hotkey_mode),
            "live_transcript": self.live_transcript.isChecked(),
            "speculative_reply": self.speculative_reply.isChecked(),
        }

    def apply(self) -> None:
        """Save and apply what the dialog shows, off the GUI thread: "Saved and applied." once that
        is done, or the problem, inline (nothing half-saved). `save_finished` tells which."""
        self._save()

    def accept(self) -> None:
        """OK: save, and close once saved (an error keeps the dialog open and shows it)."""
        self._close_when_saved = True
        self._save()

    def _save(self) -> None:
        if self.saving:  # Apply and OK are disabled meanwhile; an OK asked now closes after this save
            return
        self._key_sent = self.api_key.text() if self._key_dirty else UNCHANGED
        self._set_saving(True)
        self.writer.save(self.values(), self._key_sent, self._saved)

    def _set_saving(self, saving: bool) -> None:
        self.saving = saving
        for button in (QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Apply):
            self.buttons.button(button).setEnabled(not saving)
        if saving:
            self.error.hide()
            self.saved.setText("Saving…")
            self.saved.setAccessibleName("Saving the settings")
            self.saved.show()

    def _saved(self, result: Any) -> None:  # GUI thread: the new Settings, or why nothing was saved
        close, self._close_when_saved = self._close_when_saved, False
        self._set_saving(False)
        if isinstance(result, UserFacingError):
            self.saved.hide()
            self.error.setText(str(result))
            self.error.show()
            self.save_finished.emit(False)
            return
        if self._key_sent is not UNCHANGED and self.api_key.text() == self._key_sent:
            self._key_dirty = False  # (a key typed while saving is still to be saved)
        self.error.hide()
        self._show_key_source()
        self.saved.setText(SAVED)
        self.saved.setAccessibleName("Settings saved and applied")
        self.saved.show()
        self.save_finished.emit(True)
        if close:
            self._stop_mic()
            super().accept()

    def reject(self) -> None:
        self._stop_mic()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt naming
        self._stop_mic()
        super().closeEvent(event)

    def _show_key_source(self) -> None:
        override = self.app.key_override
        if override and self.app.settings.groq_api_key:
            self.key_where.setText(f"The key in use comes from {override}; it overrides this field.")
            return
        where = self.app.keystore.known_location  # None until the system keyring was looked for
        if where is None:
            self.key_where.setText(LOOKING_FOR_KEYRING)
            self.services.key_location(self._key_located)  # finding the keyring can hang: off this thread
        else:
            self._key_located(where)

    def _key_located(self, where: Any) -> None:
        if isinstance(where, str) and not (self.app.key_override and self.app.settings.groq_api_key):
            self.key_where.setText(f"Stored in {where}; never written to logs.")

    def _key_edited(self, _text: str) -> None:
        self._key_dirty = True
        self.saved.hide()
        self.key_state.hide()

    def test_key(self) -> None:
        """Try the key in the field (or the one in use) with one tiny request, off the GUI thread."""
        key = self.api_key.text().strip() or self.app.settings.groq_api_key
        if not key:
            self._key_tested(UserFacingError("Enter a key first"))
            return
        self.test_key_button.setEnabled(False)
        self.key_state.setText("Testing the key…")
        self.key_state.show()
        self.services.test_key(key, self._key_tested)

    def _key_tested(self, result: str | UserFacingError) -> None:
        self.test_key_button.setEnabled(True)
        outcome = result.kind if isinstance(result, UserFacingError) else "works"
        log.info("settings: key test: %s", KEY_TEST_LOG.get(outcome, outcome))  # the outcome, never the key
        if isinstance(result, UserFacingError) and result.kind == ErrorKind.RATE_LIMIT:
            self.key_state.setText("✓ Groq accepted the key (it is busy right now: rate limit).")
        elif isinstance(result, UserFacingError):
            self.key_state.setText(f"✗ {result}")
        else:
            self.key_state.setText(f"✓ The key works: {result} answered.")
        self.key_state.show()

    def show_page(self, page: str | None) -> None:
        """Open on `page`: "key" (from the key banner: the key field focused), "speech" or "audio"."""
        if page == "key":
            self.tabs.setCurrentIndex(0)
            self.api_key.setFocus(Qt.FocusReason.OtherFocusReason)
            self.api_key.selectAll()
        elif page == "speech":
            self.tabs.setCurrentIndex(1)
        elif page == "audio":
            self.tabs.setCurrentIndex(2)

    def open_data_folder(self) -> bool:
        """Open the data folder in the file manager; where none opens it, show the path to copy."""
        path = str(self.app.paths.data_dir)
        opened = QDesktopServices.openUrl(QUrl.fromLocalFile(path))
        if not opened:
            self.data_path.setText(path)
            self.data_path_row.show()
        return opened

    def copy_data_path(self) -> None:
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.clipboard().setText(self.data_path.text())

    # ------------------------------------------------------------ worker results (GUI thread)

    def _devices_loaded(self, found: DeviceList | UserFacingError) -> None:
        if isinstance(found, UserFacingError):
            self.audio_state.setText(str(found))
            return
        for box, pool, current in (
            (self.input_device, found.inputs, self.app.settings.input_device),
            (self.output_device, found.outputs, self.app.settings.output_device),
        ):
            box.blockSignals(True)
            box.clear()
            box.addItem("System default", None)
            for dev in pool:  # the sound server's names ("Monitor of Virtual"); set as "pulse:<name>"
                box.addItem(dev.name + (" (default)" if dev.is_default else ""), dev.setting)
            select(box, current)
            box.blockSignals(False)

    def _models_listed(self, sources: dict[str, str] | UserFacingError) -> None:
        """Label each model in the list: embedded / downloaded / download."""
        if isinstance(sources, UserFacingError):
            return
        for i in range(self.stt_model.count()):
            name = self.stt_model.itemData(i)
            if name in sources:
                self.stt_model.setItemData(
                    i, f"{name}: {_SOURCES.get(sources[name], sources[name])}", Qt.ItemDataRole.ToolTipRole
                )
                self.stt_model.setItemText(i, name if sources[name] == "download" else f"{name} ✓")
        self.model_sources = sources

    def _model_changed(self, _text: str) -> None:
        name = chosen(self.stt_model)
        if name:
            self.model_state.setText("checking…")
            self.services.model_plan(name, self._model_planned)

    def _model_planned(self, result: ModelChoice | UserFacingError) -> None:
        if isinstance(result, UserFacingError):
            self.model_state.setText(str(result))
            return
        if result.name != chosen(self.stt_model):
            return
        if result.problem:  # not here and no download possible: applying it keeps the model in use
            self.model_state.setText(f"{result.problem}. Applying it keeps the model in use.")
            return
        text = _SOURCES.get(result.source, result.source)
        self.model_state.setText(f"{text} — {result.reason}" if result.reason else text)

    def _mic_test(self, on: bool) -> None:
        if on:
            self.mic_button.setText("Stop test")
            self.services.start_mic_test(self.input_device.currentData(), self._post_level, self._mic_started)
        else:
            self._stop_mic()

    def _post_level(self, dbfs: float) -> None:  # audio thread
        self.services.bridge.post_call(self.mic_meter.set_level, dbfs)

    def _mic_started(self, result: bool | UserFacingError) -> None:
        if isinstance(result, UserFacingError):
            self.audio_state.setText(f"Microphone test failed: {result}")
            self.mic_button.setChecked(False)
        else:
            self.audio_state.setText("Speak: the meter should move.")

    def _stop_mic(self) -> None:
        if self.mic_button.isChecked():
            self.mic_button.blockSignals(True)
            self.mic_button.setChecked(False)
            self.mic_button.blockSignals(False)
        self.mic_button.setText("Test microphone")
        self.mic_meter.reset()
        self.services.stop_mic_test()

    def _speaker_test(self) -> None:
        self.speaker_button.setEnabled(False)
        self.audio_state.setText("Playing a test sound…")
        self.services.test_speaker(self.output_device.currentData(), self._speaker_done)

    def _speaker_done(self, result: bool | UserFacingError) -> None:
        self.speaker_button.setEnabled(True)
        if isinstance(result, UserFacingError):
            self.audio_state.setText(f"Speaker test failed: {result}")
        else:
            self.audio_state.setText("Test sound played." if result else "The test sound did not finish.")

    def shutdown(self) -> None:
        self._stop_mic()
        self.services.close()
        if self._own_writer:
            self.writer.close()
        self.close()
