"""The Settings dialog's pages: Assistant (Groq key, LLM model, temperature,
session timeout, data folder), Speech (model, compute type, voice, speed), Audio
(devices, microphone and speaker tests, cues, mute) and Controls (push-to-talk key
and mode, the global shortcut, its mode and how it works here, the live transcript, answering
before the release). Each function makes a page's
widgets as attributes of the dialog and connects them to its slots; the dialog's behaviour stays
in settings_dialog.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from desktop_assistant.config import COMPUTE_TYPES, PTT_MODES, TTS_ENGINES
from desktop_assistant.llm.catalog import LLM_MODELS
from desktop_assistant.speech.catalog import WHISPER_MODELS
from desktop_assistant.ui.combo_box import combo
from desktop_assistant.ui.level_meter import LevelMeter

if TYPE_CHECKING:
    from PySide6.QtCore import Qt

    from desktop_assistant.ui.settings_dialog import SettingsDialog

GROQ_KEYS_URL = "https://console.groq.com/keys"


def groq_page(dialog: SettingsDialog) -> QWidget:
    page = QWidget(dialog)
    form = QFormLayout(page)
    dialog.api_key = QLineEdit(page)
    dialog.api_key.setEchoMode(QLineEdit.EchoMode.Password)
    dialog.api_key.setAccessibleName("Groq API key")
    dialog.api_key.setPlaceholderText("gsk_…")
    dialog.api_key.textEdited.connect(dialog._key_edited)
    dialog.show_key = QCheckBox("Show", page)
    dialog.show_key.setAccessibleName("Show API key")
    dialog.show_key.toggled.connect(
        lambda on: dialog.api_key.setEchoMode(
            QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        )
    )
    dialog.test_key_button = QPushButton("Test key", page)
    dialog.test_key_button.setAccessibleName("Test key")
    dialog.test_key_button.setToolTip("Ask Groq for a one-word reply with this key (it is not saved)")
    dialog.test_key_button.clicked.connect(dialog.test_key)
    row = QHBoxLayout()
    row.addWidget(dialog.api_key, 1)
    row.addWidget(dialog.show_key)
    row.addWidget(dialog.test_key_button)
    key_label = QLabel("Groq &API key:", page)
    key_label.setBuddy(dialog.api_key)
    form.addRow(key_label, row)
    dialog.key_where = QLabel(page)
    dialog.key_where.setObjectName("keySource")
    dialog.key_where.setWordWrap(True)
    form.addRow("", dialog.key_where)
    dialog.key_state = QLabel(page)  # (accessible name: its text, so a screen reader reads the result)
    dialog.key_state.setObjectName("keyTest")
    dialog.key_state.setWordWrap(True)
    dialog.key_state.hide()
    form.addRow("", dialog.key_state)
    get_key = QLabel(f'No key? Get a free one at <a href="{GROQ_KEYS_URL}">console.groq.com/keys</a>.', page)
    get_key.setOpenExternalLinks(True)
    get_key.setAccessibleName("No key? Get a free one at console.groq.com/keys.")
    form.addRow("", get_key)
    dialog.llm_model = combo(page, "LLM model", LLM_MODELS, editable=True)
    form.addRow("&LLM model:", dialog.llm_model)
    dialog.temperature = QDoubleSpinBox(page)
    dialog.temperature.setRange(0.0, 2.0)
    dialog.temperature.setSingleStep(0.1)
    dialog.temperature.setAccessibleName("Temperature")
    form.addRow("&Temperature:", dialog.temperature)
    dialog.session_timeout = QSpinBox(page)
    dialog.session_timeout.setRange(0, 30 * 24 * 60)
    dialog.session_timeout.setSuffix(" min")
    dialog.session_timeout.setAccessibleName("New conversation after (minutes)")
    form.addRow("New conversation after:", dialog.session_timeout)
    data = QPushButton("Open data folder", page)
    data.setAccessibleName("Open data folder")
    data.clicked.connect(dialog.open_data_folder)
    form.addRow("", data)
    # Shown when no file manager opens the folder: the path, to copy.
    dialog.data_path = QLineEdit(page)
    dialog.data_path.setReadOnly(True)
    dialog.data_path.setAccessibleName("Data folder path")
    dialog.copy_path = QPushButton("Copy", page)
    dialog.copy_path.setAccessibleName("Copy data folder path")
    dialog.copy_path.clicked.connect(dialog.copy_data_path)
    dialog.data_path_row = QWidget(page)
    path_row = QHBoxLayout(dialog.data_path_row)
    path_row.setContentsMargins(0, 0, 0, 0)
    path_row.addWidget(dialog.data_path, 1)
    path_row.addWidget(dialog.copy_path)
    dialog.data_path_row.hide()
    form.addRow("", dialog.data_path_row)
    return page


def speech_page(dialog: SettingsDialog) -> QWidget:
    page = QWidget(dialog)
    form = QFormLayout(page)
    dialog.stt_model = combo(page, "Speech model", WHISPER_MODELS, editable=True)
    dialog.stt_model.currentTextChanged.connect(dialog._model_changed)
    form.addRow("Speech &model:", dialog.stt_model)
    dialog.model_state = QLabel(page)  # (accessible name: its text; labelled by "Status:")
    dialog.model_state.setWordWrap(True)
    form.addRow("Status:", dialog.model_state)
    note = QLabel(
        "A model that is not on this computer downloads when applied; the status bar shows "
        "the progress and can cancel it. The window stays usable meanwhile.",
        page,
    )
    note.setWordWrap(True)
    note.setEnabled(False)
    form.addRow("", note)
    dialog.compute_type = combo(page, "Compute type", COMPUTE_TYPES)
    form.addRow("&Compute type:", dialog.compute_type)
    dialog.language = QLabel(page)  # (accessible name: its text; labelled by "Language:")
    form.addRow("Language:", dialog.language)
    dialog.tts_engine = combo(
        page,
        "Voice engine",
        [
            ({"gtts": "Google (online)", "espeak": "Offline voice", "none": "Off"}[e], e)
            for e in TTS_ENGINES
        ],
    )
    form.addRow("&Voice:", dialog.tts_engine)
    dialog.tts_speed = QDoubleSpinBox(page)
    dialog.tts_speed.setRange(0.5, 2.0)
    dialog.tts_speed.setSingleStep(0.1)
    dialog.tts_speed.setAccessibleName("Speech speed")
    form.addRow("Speech s&peed:", dialog.tts_speed)
    return page


def audio_page(dialog: SettingsDialog) -> QWidget:
    page = QWidget(dialog)
    form = QFormLayout(page)
    dialog.input_device = combo(page, "Microphone", [("System default", None)])
    form.addRow("&Microphone:", dialog.input_device)
    dialog.mic_meter = LevelMeter(page)
    dialog.mic_button = QPushButton("Test microphone", page)
    dialog.mic_button.setAccessibleName("Test microphone")
    dialog.mic_button.setCheckable(True)
    dialog.mic_button.toggled.connect(dialog._mic_test)
    row = QHBoxLayout()
    row.addWidget(dialog.mic_button)
    row.addWidget(dialog.mic_meter, 1)
    form.addRow("", row)
    dialog.output_device = combo(page, "Speaker", [("System default", None)])
    form.addRow("&Speaker:", dialog.output_device)
    dialog.speaker_button = QPushButton("Test speaker", page)
    dialog.speaker_button.setAccessibleName("Test speaker")
    dialog.speaker_button.clicked.connect(dialog._speaker_test)
    form.addRow("", dialog.speaker_button)
    dialog.audio_state = QLabel(page)
    dialog.audio_state.setWordWrap(True)
    form.addRow("", dialog.audio_state)
    dialog.audio_cues = QCheckBox("Play a short sound when listening starts and stops", page)
    form.addRow("", dialog.audio_cues)
    dialog.muted = QCheckBox("Mute speech (show replies as text only)", page)
    form.addRow("", dialog.muted)
    return page


def _selectable() -> Qt.TextInteractionFlag:
    """(the command in the hotkey's status can be copied)"""
    from PySide6.QtCore import Qt

    return Qt.TextInteractionFlag.TextSelectableByMouse


def controls_page(dialog: SettingsDialog) -> QWidget:
    page = QWidget(dialog)
    form = QFormLayout(page)
    dialog.ptt_key = QKeySequenceEdit(page)
    dialog.ptt_key.setMaximumSequenceLength(1)
    dialog.ptt_key.setAccessibleName("Push-to-talk key")
    for field in dialog.ptt_key.findChildren(QLineEdit):  # it has the focus, and would have no name
        field.setAccessibleName("Push-to-talk key")
    form.addRow("Push-to-talk &key:", dialog.ptt_key)
    dialog.ptt_mode = combo(
        page,
        "Push-to-talk mode",
        [({"hold": "Hold to talk", "toggle": "Click to start, click to stop"}[m], m) for m in PTT_MODES],
    )
    form.addRow("&Mode:", dialog.ptt_mode)
    dialog.global_hotkey = QKeySequenceEdit(page)
    dialog.global_hotkey.setMaximumSequenceLength(1)
    dialog.global_hotkey.setClearButtonEnabled(True)
    dialog.global_hotkey.setAccessibleName("Global shortcut")
    dialog.global_hotkey.setToolTip("Talk from any window, also with this one hidden in the tray; "
                                    "clear it for none")
    for field in dialog.global_hotkey.findChildren(QLineEdit):
        field.setAccessibleName("Global shortcut")
    for clear in dialog.global_hotkey.findChildren(QToolButton):  # the field's clear button
        clear.setAccessibleName("Clear the global shortcut")
    form.addRow("&Global shortcut:", dialog.global_hotkey)
    dialog.global_hotkey_mode = combo(
        page,
        "Global shortcut mode",
        [({"hold": "Hold to talk", "toggle": "Press to start, press again to send"}[m], m) for m in PTT_MODES],
    )
    form.addRow("Shortcut mo&de:", dialog.global_hotkey_mode)
    # Recorded: the focus moves on, so the next key (Alt+A for Apply) is not recorded over it.
    dialog.global_hotkey.editingFinished.connect(lambda: dialog.global_hotkey_mode.setFocus())
    dialog.hotkey_state = QLabel(page)  # (accessible name: its text) how the shortcut works here, or why not
    dialog.hotkey_state.setObjectName("hotkeyState")
    dialog.hotkey_state.setWordWrap(True)
    dialog.hotkey_state.setTextInteractionFlags(dialog.hotkey_state.textInteractionFlags()
                                                | _selectable())
    form.addRow("", dialog.hotkey_state)
    dialog.live_transcript = QCheckBox("Show my words while I speak", page)
    form.addRow("", dialog.live_transcript)
    dialog.speculative_reply = QCheckBox("Start answering when I pause, before I let go", page)
    dialog.speculative_reply.setToolTip("Your words go to Groq a moment before you let go; nothing is played "
                                        "or saved until you do, and the request is cancelled if you go on")
    form.addRow("", dialog.speculative_reply)
    return page
