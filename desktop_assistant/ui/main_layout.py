"""The main window's widgets and layout: agent bar, banner, conversation, the
push-to-talk panel (button, state, level meter, Stop), the text row and the status
bar. `build(window)` creates them as attributes of the window and connects them to
its slots; the window's behaviour stays in main_window.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_assistant.ui.accessibility import show_state
from desktop_assistant.ui.banner import Banner
from desktop_assistant.ui.chat_view import ChatView
from desktop_assistant.ui.indicators import MuteButton, StateLabel
from desktop_assistant.ui.level_meter import LevelMeter
from desktop_assistant.ui.ptt_button import PushToTalkButton, PushToTalkKey
from desktop_assistant.ui.shortcuts import show_shortcuts
from desktop_assistant.ui.status_bar import StatusBar

if TYPE_CHECKING:
    from desktop_assistant.ui.main_window import MainWindow


def build(window: MainWindow) -> None:
    body = QWidget(window)
    outer = QVBoxLayout(body)
    top = QHBoxLayout()
    window.agent_box = QComboBox(body)
    window.agent_box.setAccessibleName("Agent")
    # Filled when the agents are loaded, off the GUI thread after the window shows (show_agents).
    window.agent_box.setPlaceholderText("Loading…")
    window.agent_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # (filled later)
    window.agent_box.setEnabled(False)
    window.agent_box.currentIndexChanged.connect(window._agent_chosen)
    agent_label = QLabel("&Agent:", body)
    agent_label.setBuddy(window.agent_box)
    window.new_button = QPushButton("New conversation", body)
    window.new_button.setAccessibleName("New conversation")
    window.new_button.clicked.connect(window.new_conversation)
    window.mute_button = MuteButton(body)
    window.mute_button.toggled.connect(window._mute_toggled)
    window.history_button = QPushButton("History", body)
    window.history_button.clicked.connect(lambda: window.open_history())
    window.settings_button = QPushButton("Settings", body)
    window.settings_button.clicked.connect(lambda: window.open_settings())
    window.help_button = QToolButton(body)
    window.help_button.setText("?")
    window.help_button.setAccessibleName("Keyboard shortcuts")
    window.help_button.clicked.connect(lambda: show_shortcuts(window))
    for label_or_box in (agent_label, window.agent_box):
        top.addWidget(label_or_box)
    top.addStretch(1)
    for w in (window.new_button, window.mute_button, window.history_button, window.settings_button,
              window.help_button):
        top.addWidget(w)
    outer.addLayout(top)

    window.banner = Banner(body)
    window.banner.action_triggered.connect(window._banner_action)
    outer.addWidget(window.banner)
    window.chat = ChatView(body)
    outer.addWidget(window.chat, 1)

    controls = QHBoxLayout()
    window.ptt = PushToTalkButton(window.app.settings.ptt_mode, body)
    window.ptt.talk_started.connect(window._talk_started)
    window.ptt.talk_ended.connect(window._talk_ended)
    side = QVBoxLayout()
    window.state_label = StateLabel(body)
    window.state_changed.connect(window.state_label.follow)  # "Thinking…" animated
    window.state_changed.connect(lambda _state: show_state(window.state_label))  # name + announcement
    window.level = LevelMeter(body)
    window.stop_button = QPushButton("Stop (Esc)", body)
    window.stop_button.clicked.connect(window.stop)
    side.addStretch(1)
    side.addWidget(window.state_label)
    side.addWidget(window.level)
    side.addWidget(window.stop_button)
    side.addStretch(1)
    controls.addStretch(1)
    controls.addWidget(window.ptt)
    controls.addSpacing(16)
    controls.addLayout(side, 2)
    controls.addStretch(1)
    outer.addLayout(controls)

    row = QHBoxLayout()
    window.text_box = QLineEdit(body)
    window.text_box.setPlaceholderText("Type a message and press Enter")
    window.text_box.setAccessibleName("Message")
    window.text_box.returnPressed.connect(window.send_typed)
    window.send_button = QPushButton("Send", body)
    window.send_button.setToolTip("Send the typed message (Enter)")
    window.send_button.clicked.connect(window.send_typed)
    row.addWidget(window.text_box, 1)
    row.addWidget(window.send_button)
    outer.addLayout(row)
    window.setCentralWidget(body)

    window.status = StatusBar(window)
    window.status.cancel_download.connect(window.engine.cancel_download)
    window.setStatusBar(window.status)
    window.ptt.setFocus()  # first focus: the talk button (Space talks; Tab reaches the text box)
    window.ptt_key = PushToTalkKey(window, window.ptt, window.app.settings.ptt_key, type_target=window.text_box)
    window.chat.bubble_added.connect(window.ptt_key.watch)
