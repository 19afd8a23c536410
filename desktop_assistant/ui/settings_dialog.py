"""The Settings dialog. Apply/OK validate, persist (key → key store, the rest →
settings file) and apply at once, and say so; problems show inline, not in another
dialog. Device lists, where the key comes from, the key test, model status and the
mic/speaker tests run off the GUI thread through `SettingsServices`. The pages'
widgets are made by settings_pages.py.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from desktop_assistant.errors import UserFacingError
from desktop_assistant.ui.combo_box import chosen, select
from desktop_assistant.ui.preferences import UNCHANGED, key_from_environment, save_settings
from desktop_assistant.ui.services import MODEL_CHOICES, KeySource, ModelChoice, SettingsServices
from desktop_assistant.ui.settings_pages import audio_page, controls_page, groq_page, speech_page

log = logging.getLogger(__name__)

_SOURCES = {
    "embedded": "embedded (built in)",
    "project": "in the project",
    "user": "downloaded",
    "hf-cache": "downloaded (cache)",
    "path": "folder",
    "download": "will download",
}

# Which page shows a page name, or the kind of problem the user came from (the banner's kind).
PAGES = {"key": 0, "no_key": 0, "auth": 0, "assistant": 0, "speech": 1, "model": 1, "audio": 2, "no_output": 2,
         "controls": 3}
APPLIED_SHOWN_MS = 8000  # how long "Settings saved and applied." stays

# A key test's outcome, by the kind of error (None: it worked) → what the dialog says.
KEY_TEST_TEXT = {
    None: "Key works.",
    "auth": "Groq rejected this key — check it, or create a new one at console.groq.com/keys.",
    "offline": "Cannot reach Groq — check the internet connection, then test again.",
    "timeout": "Cannot reach Groq — it did not answer in time; test again in a moment.",
    "no_key": "Enter a key first.",
    "rate_limit": "Key works (Groq is busy right now: rate limit).",
}
KEY_TEST_LOG = {None: "works", "auth": "rejected", "offline": "unreachable", "timeout": "unreachable",
                "no_key": "no key", "rate_limit": "works"}


class SettingsDialog(QDialog):
    def __init__(self, app: Any, engine: Any, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.services = SettingsServices(app, bridge)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.setModal(False)
        self._key_dirty = False
        self._key_test = 0  # the newest key test; older answers are ignored
        self.model_sources: dict[str, str] = {}
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
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
        self.notice = QLabel(self)  # "Settings saved and applied."
        self.notice.setObjectName("settingsNotice")
        self.notice.hide()
        layout.addWidget(self.notice)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.notice.hide)
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

    # ------------------------------------------------------------ values

    def reload(self) -> None:
        s = self.app.settings
        from_env = key_from_environment()
        self.api_key.setText("" if from_env else s.groq_api_key or "")  # the environment's is not editable here
        self.api_key.setPlaceholderText("gsk_…")
        self._key_dirty = False
        self.key_where.setText("From GROQ_API_KEY — overrides this field." if from_env else "")
        self._key_test += 1
        self.key_test_state.clear()
        self.test_key.setEnabled(True)
        self.services.key_source(self._key_source_found)
        select(self.llm_model, s.llm_model)
        self.temperature.setValue(s.llm_temperature)
        self.session_timeout.setValue(round(s.session_timeout / 60))
        select(self.stt_model, s.stt_model)
        select(self.compute_type, s.stt_compute_type)
        self.language.setText(self.app.agent.stt.language or "detect automatically (set per agent)")
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
        self.error.hide()
        self.notice.hide()
        self.services.devices(self._devices_loaded)
        self.services.model_plans(MODEL_CHOICES, self._models_listed)
        self._model_changed(self.stt_model.currentText())

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
        }

    def apply(self) -> bool:
        try:
            save_settings(self.app, self.values(), self.api_key.text() if self._key_dirty else UNCHANGED)
        except UserFacingError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return False
        self._key_dirty = False
        self.error.hide()
        self.notice.setText("Settings saved and applied.")
        self.notice.show()
        self._notice_timer.start(APPLIED_SHOWN_MS)
        log.info("settings: applied")
        return True

    def accept(self) -> None:
        if self.apply():
            self._stop_mic()
            super().accept()

    def reject(self) -> None:
        self._stop_mic()
        super().reject()

    def closeEvent(self, event: Any) -> None:  # Qt naming
        self._stop_mic()
        super().closeEvent(event)

    def show_page(self, page: str | None = None) -> None:
        """Show `page` (a page name, or the kind of problem the user came from: "no_key" → the key).
        With no page and no key yet, the key field: it is what the app needs first."""
        if page is None and not self.app.settings.groq_api_key:
            page = "key"
        if page not in PAGES:
            return
        self.tabs.setCurrentIndex(PAGES[page])
        if PAGES[page] == 0:
            self.api_key.setFocus(Qt.FocusReason.OtherFocusReason)
            self.api_key.selectAll()
            log.info("settings: showing the key field")

    def _key_edited(self, _text: str) -> None:
        self._key_dirty = True
        self._key_test += 1  # an answer about the old text no longer applies
        self.key_test_state.clear()
        self.test_key.setEnabled(True)

    def _key_source_found(self, source: Any) -> None:
        if not isinstance(source, KeySource):  # the key store could not be asked: say nothing wrong
            return
        if source.from_environment:
            self.key_where.setText(
                "From GROQ_API_KEY — overrides this field. A key saved here is kept in "
                f"{source.location} and used when GROQ_API_KEY is not set."
            )
            if not self._key_dirty and source.stored:
                self.api_key.setText(source.stored)
            if not source.stored:
                self.api_key.setPlaceholderText("none stored (GROQ_API_KEY is used)")
        elif self.app.settings.groq_api_key:
            self.key_where.setText(f"Stored in {source.location}; never written to logs.")
        else:
            self.key_where.setText(f"Not set yet. A key saved here is kept in {source.location}.")

    def _test_key(self) -> None:
        """Ask Groq about the key in the field (or, when it is empty, the key in use)."""
        key = self.api_key.text().strip() or (self.app.settings.groq_api_key or "")
        self._key_test += 1
        test = self._key_test
        self.test_key.setEnabled(False)
        self.key_test_state.setText("Testing…")
        self.services.test_key(key, lambda result: self._key_tested(test, result))

    def _key_tested(self, test: int, result: Any) -> None:
        if test != self._key_test:
            return
        self.test_key.setEnabled(True)
        kind = getattr(result, "kind", "error") if isinstance(result, UserFacingError) else None
        text = KEY_TEST_TEXT.get(kind) or f"Could not check the key: {result}"
        self.key_test_state.setText(text)
        log.info("settings: key test: %s", KEY_TEST_LOG.get(kind, kind))

    def open_data_folder(self) -> None:
        folder = str(self.app.paths.data_dir)
        if QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
            return
        log.info("settings: no file manager opened %s; showing its path", folder)
        self.data_path.setText(folder)
        for widget in (self.data_hint, self.data_path, self.copy_path):
            widget.show()
        self.data_path.setFocus(Qt.FocusReason.OtherFocusReason)
        self.data_path.selectAll()

    def copy_data_path(self) -> None:
        QGuiApplication.clipboard().setText(self.data_path.text())
        self.data_hint.setText("Copied to the clipboard. The data folder is:")

    # ------------------------------------------------------------ worker results (GUI thread)

    def _devices_loaded(self, found: Any) -> None:
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

    def _models_listed(self, sources: Any) -> None:
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

    def _model_planned(self, result: Any) -> None:
        if isinstance(result, UserFacingError):
            self.model_state.setText(str(result))
            return
        assert isinstance(result, ModelChoice)
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

    def _mic_started(self, result: Any) -> None:
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

    def _speaker_done(self, result: Any) -> None:
        self.speaker_button.setEnabled(True)
        if isinstance(result, UserFacingError):
            self.audio_state.setText(f"Speaker test failed: {result}")
        else:
            self.audio_state.setText("Test sound played." if result else "The test sound did not finish.")

    def shutdown(self) -> None:
        self._stop_mic()
        self.services.close()
        self.close()
