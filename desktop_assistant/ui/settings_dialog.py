"""The Settings dialog. Apply/OK validate, persist (key → key store, the rest →
settings file) and apply at once; problems show inline, not in another dialog.
Device lists, model status and the mic/speaker tests run off the GUI thread
through `SettingsServices`.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_assistant.config import COMPUTE_TYPES, PTT_MODES, TTS_ENGINES
from desktop_assistant.errors import UserFacingError
from desktop_assistant.ui.level_meter import LevelMeter
from desktop_assistant.ui.preferences import UNCHANGED, save_settings
from desktop_assistant.ui.services import MODEL_CHOICES, SettingsServices

log = logging.getLogger(__name__)

LLM_MODELS = ("llama-3.1-8b-instant", "llama-3.3-70b-versatile", "openai/gpt-oss-20b", "openai/gpt-oss-120b")
_SOURCES = {
    "embedded": "embedded (built in)",
    "project": "in the project",
    "user": "downloaded",
    "hf-cache": "downloaded (cache)",
    "path": "folder",
    "download": "will download",
}


def _combo(parent: QWidget, name: str, items: Any, editable: bool = False) -> QComboBox:
    box = QComboBox(parent)
    box.setAccessibleName(name)
    box.setEditable(editable)
    for item in items:
        if isinstance(item, tuple):
            box.addItem(item[0], item[1])
        else:
            box.addItem(item, item)
    return box


def _select(box: QComboBox, value: Any) -> None:
    index = box.findData(value)
    if index < 0 and box.isEditable():
        box.setEditText("" if value is None else str(value))
        return
    if index < 0 and value is not None:
        box.addItem(str(value), value)
        index = box.count() - 1
    box.setCurrentIndex(max(0, index))


def _value(box: QComboBox) -> Any:
    """The chosen item's data, or what was typed into an editable box."""
    if box.isEditable():
        text = box.currentText().strip()
        index = box.findText(text)
        return box.itemData(index) if index >= 0 else text
    return box.currentData()


class SettingsDialog(QDialog):
    def __init__(self, app: Any, engine: Any, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.services = SettingsServices(app, bridge)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.setModal(False)
        self._key_dirty = False
        self.model_sources: dict[str, str] = {}
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._groq_page(), "&Assistant")
        self.tabs.addTab(self._speech_page(), "&Speech")
        self.tabs.addTab(self._audio_page(), "A&udio")
        self.tabs.addTab(self._controls_page(), "&Controls")
        layout.addWidget(self.tabs)
        self.error = QLabel(self)
        self.error.setObjectName("settingsError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: palette(highlight);")
        self.error.hide()
        layout.addWidget(self.error)
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

    # ------------------------------------------------------------ pages

    def _groq_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.api_key = QLineEdit(page)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setAccessibleName("Groq API key")
        self.api_key.setPlaceholderText("gsk_…")
        self.api_key.textEdited.connect(self._key_edited)
        self.show_key = QCheckBox("Show", page)
        self.show_key.setAccessibleName("Show API key")
        self.show_key.toggled.connect(
            lambda on: self.api_key.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        row = QHBoxLayout()
        row.addWidget(self.api_key, 1)
        row.addWidget(self.show_key)
        key_label = QLabel("Groq &API key:", page)
        key_label.setBuddy(self.api_key)
        form.addRow(key_label, row)
        self.key_where = QLabel(page)
        self.key_where.setWordWrap(True)
        self.key_where.setEnabled(False)
        form.addRow("", self.key_where)
        self.llm_model = _combo(page, "LLM model", LLM_MODELS, editable=True)
        form.addRow("&LLM model:", self.llm_model)
        self.temperature = QDoubleSpinBox(page)
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setAccessibleName("Temperature")
        form.addRow("&Temperature:", self.temperature)
        self.session_timeout = QSpinBox(page)
        self.session_timeout.setRange(0, 30 * 24 * 60)
        self.session_timeout.setSuffix(" min")
        self.session_timeout.setAccessibleName("Session timeout in minutes")
        form.addRow("New conversation after:", self.session_timeout)
        data = QPushButton("Open data folder", page)
        data.setAccessibleName("Open data folder")
        data.clicked.connect(self.open_data_folder)
        form.addRow("", data)
        return page

    def _speech_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.stt_model = _combo(page, "Speech model", MODEL_CHOICES, editable=True)
        self.stt_model.currentTextChanged.connect(self._model_changed)
        form.addRow("Speech &model:", self.stt_model)
        self.model_state = QLabel(page)
        self.model_state.setAccessibleName("Speech model status")
        form.addRow("Status:", self.model_state)
        note = QLabel(
            "A model that is not on this computer downloads when applied; the status bar shows "
            "the progress and can cancel it. The window stays usable meanwhile.",
            page,
        )
        note.setWordWrap(True)
        note.setEnabled(False)
        form.addRow("", note)
        self.compute_type = _combo(page, "Compute type", COMPUTE_TYPES)
        form.addRow("&Compute type:", self.compute_type)
        self.language = QLabel(page)
        self.language.setAccessibleName("Language")
        form.addRow("Language:", self.language)
        self.tts_engine = _combo(
            page,
            "Voice engine",
            [
                ({"gtts": "Google (online)", "espeak": "Offline voice", "none": "Off"}[e], e)
                for e in TTS_ENGINES
            ],
        )
        form.addRow("&Voice:", self.tts_engine)
        self.tts_speed = QDoubleSpinBox(page)
        self.tts_speed.setRange(0.5, 2.0)
        self.tts_speed.setSingleStep(0.1)
        self.tts_speed.setAccessibleName("Speech speed")
        form.addRow("Speech s&peed:", self.tts_speed)
        return page

    def _audio_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.input_device = _combo(page, "Input device", [("System default", None)])
        form.addRow("&Microphone:", self.input_device)
        self.mic_meter = LevelMeter(page)
        self.mic_button = QPushButton("Test microphone", page)
        self.mic_button.setAccessibleName("Test microphone")
        self.mic_button.setCheckable(True)
        self.mic_button.toggled.connect(self._mic_test)
        row = QHBoxLayout()
        row.addWidget(self.mic_button)
        row.addWidget(self.mic_meter, 1)
        form.addRow("", row)
        self.output_device = _combo(page, "Output device", [("System default", None)])
        form.addRow("&Speaker:", self.output_device)
        self.speaker_button = QPushButton("Test speaker", page)
        self.speaker_button.setAccessibleName("Test speaker")
        self.speaker_button.clicked.connect(self._speaker_test)
        form.addRow("", self.speaker_button)
        self.audio_state = QLabel(page)
        self.audio_state.setWordWrap(True)
        form.addRow("", self.audio_state)
        self.audio_cues = QCheckBox("Play a short sound when listening starts and stops", page)
        form.addRow("", self.audio_cues)
        self.muted = QCheckBox("Mute speech (show replies as text only)", page)
        form.addRow("", self.muted)
        return page

    def _controls_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.ptt_key = QKeySequenceEdit(page)
        self.ptt_key.setMaximumSequenceLength(1)
        self.ptt_key.setAccessibleName("Push-to-talk key")
        form.addRow("Push-to-talk &key:", self.ptt_key)
        self.ptt_mode = _combo(
            page,
            "Push-to-talk mode",
            [({"hold": "Hold to talk", "toggle": "Click to start, click to stop"}[m], m) for m in PTT_MODES],
        )
        form.addRow("&Mode:", self.ptt_mode)
        return page

    # ------------------------------------------------------------ values

    def reload(self) -> None:
        s = self.app.settings
        self.api_key.setText(s.groq_api_key or "")
        self._key_dirty = False
        self.key_where.setText(f"Stored in {self.app.keystore.location}; never written to logs.")
        _select(self.llm_model, s.llm_model)
        self.temperature.setValue(s.llm_temperature)
        self.session_timeout.setValue(int(round(s.session_timeout / 60)))
        _select(self.stt_model, s.stt_model)
        _select(self.compute_type, s.stt_compute_type)
        self.language.setText(self.app.agent.stt.language or "detect automatically (set per agent)")
        _select(self.tts_engine, s.tts_engine)
        self.tts_speed.setValue(s.tts_speed)
        _select(self.input_device, s.input_device)
        _select(self.output_device, s.output_device)
        self.audio_cues.setChecked(s.audio_cues)
        self.muted.setChecked(s.speech_muted)
        self.ptt_key.setKeySequence(
            QKeySequence.fromString(s.ptt_key, QKeySequence.SequenceFormat.PortableText)
        )
        _select(self.ptt_mode, s.ptt_mode)
        self.error.hide()
        self.services.devices(self._devices_loaded)
        self.services.model_plans(MODEL_CHOICES, self._models_listed)
        self._model_changed(self.stt_model.currentText())

    def values(self) -> dict[str, Any]:
        key = self.ptt_key.keySequence().toString(QKeySequence.SequenceFormat.PortableText) or "Space"
        return {
            "llm_model": _value(self.llm_model) or self.app.settings.llm_model,
            "llm_temperature": round(self.temperature.value(), 2),
            "session_timeout": float(self.session_timeout.value() * 60),
            "stt_model": _value(self.stt_model) or self.app.settings.stt_model,
            "stt_compute_type": _value(self.compute_type),
            "tts_engine": _value(self.tts_engine),
            "tts_speed": round(self.tts_speed.value(), 2),
            "input_device": self.input_device.currentData(),
            "output_device": self.output_device.currentData(),
            "audio_cues": self.audio_cues.isChecked(),
            "speech_muted": self.muted.isChecked(),
            "ptt_key": key,
            "ptt_mode": _value(self.ptt_mode),
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
        return True

    def accept(self) -> None:
        if self.apply():
            self._stop_mic()
            super().accept()

    def reject(self) -> None:
        self._stop_mic()
        super().reject()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt naming
        self._stop_mic()
        super().closeEvent(event)

    def _key_edited(self, _text: str) -> None:
        self._key_dirty = True

    def open_data_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.app.paths.data_dir)))

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
            for dev in pool:
                box.addItem(dev.name + (" (default)" if dev.is_default else ""), dev.name)
            _select(box, current)
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
        name = _value(self.stt_model)
        if name:
            self.model_state.setText("checking…")
            self.services.model_plan(name, self._model_planned)

    def _model_planned(self, result: Any) -> None:
        if isinstance(result, UserFacingError):
            self.model_state.setText(str(result))
            return
        name, source, reason = result
        if name != _value(self.stt_model):
            return
        text = _SOURCES.get(source, source)
        self.model_state.setText(f"{text} — {reason}" if reason else text)

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
