"""The main window: push-to-talk, state, level meter, the live conversation, a
text box, agent picker, New conversation, Stop (Esc), mute, banner and status bar.

It renders engine events (from the `EngineBridge`, on the GUI thread; see
main_events.py) and sends commands through the `EngineController`; it never waits
on the engine. Its widgets are made by main_layout.py.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QPoint, QSize, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMainWindow

from desktop_assistant import APP_TITLE
from desktop_assistant.errors import ErrorKind
from desktop_assistant.ui import theme
from desktop_assistant.ui.bridge import EngineBridge
from desktop_assistant.ui.main_events import EngineEvents
from desktop_assistant.ui.main_layout import build as build_layout
from desktop_assistant.ui.placement import describe, keep_on_screen, screen_of, show_centred, size_to_screen
from desktop_assistant.ui.preferences import SettingsWriter, load_geometry, save_geometry
from desktop_assistant.ui.shortcuts import install_shortcut_help

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QCloseEvent, QResizeEvent, QShowEvent
    from PySide6.QtWidgets import QComboBox, QPushButton, QSystemTrayIcon, QToolButton

    from desktop_assistant.agents import AgentSet
    from desktop_assistant.app import App
    from desktop_assistant.assistant.events import ConversationChanged
    from desktop_assistant.config import Settings
    from desktop_assistant.ui.controller import EngineController
    from desktop_assistant.ui.history_window import HistoryWindow
    from desktop_assistant.ui.hotkeys.global_hotkey import GlobalHotkey
    from desktop_assistant.ui.indicators import MuteButton
    from desktop_assistant.ui.instance_channel import InstanceChannel
    from desktop_assistant.ui.listening_indicator import ListeningIndicator
    from desktop_assistant.ui.ptt_button import PushToTalkKey
    from desktop_assistant.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)


def detectable_autorepeat() -> bool:
    """Key repeats without releases on X11 (`DA_NO_DETECTABLE_AUTOREPEAT=1` turns it off, to diagnose)."""
    import os

    from desktop_assistant.ui.x11_keys import enable_detectable_autorepeat

    if os.environ.get("DA_NO_DETECTABLE_AUTOREPEAT") == "1":
        return False
    return enable_detectable_autorepeat(QApplication.instance())


AFTER_FIRST_FRAME_MS = 30  # what the first frame does not need starts this long after show
# A push-to-talk press shorter than this is a tap, not speech: dropped quietly, as push-to-talk
# apps do, instead of "That was too short" (a physical hold this long still sends what it heard).
TAP_S = 0.3
# banner problem → Settings page
SETTINGS_PAGE_FOR: dict[str, str] = {ErrorKind.NO_KEY: "key", ErrorKind.AUTH: "key", ErrorKind.AUDIO: "audio",
                     ErrorKind.MODEL: "speech"}
COMPACT_BELOW_PX = 480  # a window shorter than this gets the slim talk button
DEFAULT_SIZE = QSize(760, 640)  # shrunk to fit the screen (a 1600x1000 screen at scale 2 is 800x500)


class MainWindow(QMainWindow, EngineEvents):
    state_changed = Signal(str)
    closed = Signal()
    first_frame_shown = Signal()  # once, ~AFTER_FIRST_FRAME_MS after the first show
    # made by main_layout.build (with those EngineEvents declares)
    agent_box: QComboBox
    new_button: QPushButton
    mute_button: MuteButton
    history_button: QPushButton
    settings_button: QPushButton
    help_button: QToolButton
    send_button: QPushButton
    ptt_key: PushToTalkKey
    tray: QSystemTrayIcon | None  # set by application.build_main_window
    indicator: ListeningIndicator | None  # set by application.build_main_window after the first frame
    channel: InstanceChannel  # set by application.run once the window shows

    def __init__(self, app: App, engine: EngineController, bridge: EngineBridge) -> None:
        super().__init__()
        self.app = app
        self.engine = engine
        self.bridge = bridge
        self.state = "loading"
        self.engine_state = "starting"  # → "ready" | "failed" once the engine's build is delivered
        self._started = False
        self._shut_down = False
        self.remember_geometry = True
        self._user_shown: set[int] = set()
        self._history: HistoryWindow | None = None
        self._settings: SettingsDialog | None = None
        self.hotkey: GlobalHotkey | None = None  # made after the first frame
        self.settings_writer = SettingsWriter(app, bridge.post_call)  # saves off this thread, in order
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("mainWindow")
        self._chat_agent: str | None = None  # the agent of the conversation shown (known once agents load)
        self._agent_notice: str | None = None  # "New conversation with …" heading the conversation shown
        self._build()
        self._connect_bridge()
        bridge.conversation_changed.connect(self._announce_agent)  # after the chat is cleared for it
        app.on_settings_changed(self._settings_applied)
        size_to_screen(self, DEFAULT_SIZE, load_geometry(app, "main"))
        self._show_settings(app.settings)
        self._set_state("loading")

    # ------------------------------------------------------------ layout

    def _build(self) -> None:
        build_layout(self)  # the widgets become attributes: self.ptt, self.chat, self.banner, …

    def _actions(self) -> None:
        """The keyboard shortcuts (made after the first frame: nobody types before it)."""
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QAction, QKeySequence

        def action(text: str, keys: Any, slot: Any) -> QAction:
            act = QAction(text, self)
            act.setShortcuts(keys if isinstance(keys, list) else [QKeySequence(keys)])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.new_action = action("New conversation", "Ctrl+N", self.new_conversation)
        self.find_action = action("Search history", "Ctrl+F", lambda: self.open_history(search=True))
        self.settings_action = action("Settings", "Ctrl+,", lambda: self.open_settings())
        self.stop_action = action("Stop", "Esc", self.stop)
        self.quit_action = action("Quit", "Ctrl+Q", self.close)
        install_shortcut_help(self)  # the buttons' tooltips name these keys; F1 lists them all

    # ------------------------------------------------------------ commands

    def showEvent(self, event: QShowEvent) -> None:  # Qt naming
        super().showEvent(event)
        if not self._started:
            self._started = True
            # After the first frame: the engine's imports on its thread would compete for the GIL,
            # and nobody presses the push-to-talk key before the window is painted.
            QTimer.singleShot(AFTER_FIRST_FRAME_MS, self, self._after_first_frame)

    def _after_first_frame(self) -> None:
        if self._shut_down:
            return
        self._log_geometry(moved=keep_on_screen(self))  # the window manager has framed it by now
        self._actions()
        self.ptt_key.watch()  # ~3 ms: wraps every child widget for Python
        if QGuiApplication.platformName() == "xcb":
            self.ptt_key.set_x11_autorepeat(detectable_autorepeat())
        self._start_hotkey()
        self.first_frame_shown.emit()
        self.engine.start()  # the stored key, the agents, then the engine, on the engine's thread

    def _start_hotkey(self) -> None:
        """The global push-to-talk shortcut: the talk button's press and release from any window."""
        from desktop_assistant.ui.hotkeys.global_hotkey import GlobalHotkey

        self.hotkey = GlobalHotkey(self.ptt, self)
        settings = self.app.settings
        self.hotkey.apply(settings.global_hotkey, settings.global_hotkey_mode)

    def _log_geometry(self, moved: bool) -> None:
        screen = screen_of(self)
        area = screen.availableGeometry()
        frame = self.frameGeometry()
        inside = self.ptt.mapTo(self, QPoint(0, 0))  # where a pointer lands whatever the window manager does
        log.info(
            "main window frame %dx%d+%d+%d%s in %dx%d+%d+%d available (scale %g); talk button %s, text box %s; "
            "talk button at +%d+%d in the window",
            frame.width(), frame.height(), frame.x(), frame.y(), " (moved on screen)" if moved else "",
            area.width(), area.height(), area.x(), area.y(), screen.devicePixelRatio(),
            describe(self.ptt), describe(self.text_box), inside.x(), inside.y(),
        )

    def _talk_started(self) -> None:
        for kind in (ErrorKind.AUDIO, ErrorKind.NO_SPEECH, ErrorKind.INPUT):
            self.banner.clear(kind)
        self.engine.press()

    def _talk_ended(self) -> None:
        if self.ptt.mode == "hold" and self.ptt.last_hold_s < TAP_S:
            self.engine.discard_recording()  # a slip of the finger or a click to focus: no error
        else:
            self.engine.release()

    def send_typed(self) -> None:
        text = self.text_box.text().strip()
        if not text:
            return
        self.text_box.clear()
        self.engine.send_text(text)
        self._last_typed = text
        self.chat.add_message("user", text)
        self._typed_pending += 1  # the engine's UserMessageStored for it shows nothing new
        self.chat.begin_reply()  # the reply's bubble is there at once
        self._set_state("thinking")

    def stop(self) -> None:
        self.engine.stop()  # the engine says when the microphone is off (RecordingCancelled)

    def new_conversation(self) -> None:
        self.engine.new_conversation()
        self.chat.clear()
        self._user_shown.clear()
        self._agent_notice = None

    def show_agents(self, agents: AgentSet) -> None:
        """Fill the agent picker (the agents are parsed after the window shows) and enable it;
        each agent's one-line description is its item's tooltip and, for the chosen one, the picker's."""
        from PySide6.QtCore import Qt

        box = self.agent_box
        blocked = box.blockSignals(True)
        box.clear()
        for agent in agents.agents.values():
            box.addItem(agent.name, agent.id)
            box.setItemData(box.count() - 1, agent.description, Qt.ItemDataRole.ToolTipRole)
        self._chat_agent = agents.get(self.app.settings.agent).id
        box.setCurrentIndex(max(0, box.findData(self._chat_agent)))
        box.blockSignals(blocked)
        box.setEnabled(box.count() > 0)
        self._describe_agent()

    def _describe_agent(self) -> None:
        from PySide6.QtCore import Qt

        box = self.agent_box
        description = box.itemData(box.currentIndex(), Qt.ItemDataRole.ToolTipRole) or ""
        box.setToolTip(description)
        box.setAccessibleDescription(description)

    def _agent_chosen(self, index: int) -> None:
        agent_id = self.agent_box.itemData(index)
        self._describe_agent()
        if agent_id and agent_id != self.settings_writer.expected("agent"):
            self.engine.set_agent(agent_id)
            self._persist(agent=agent_id)
            # Said here, not on the engine's ConversationChanged: saving the setting hands the engine
            # the agent too (apply_settings), and when that comes first set_agent has nothing to announce.
            self._begin_with(agent_id)

    def _begin_with(self, agent_id: str) -> None:
        """A new conversation with another agent: the chat starts empty and says with whom."""
        from PySide6.QtCore import Qt

        index = self.agent_box.findData(agent_id)
        self._chat_agent = agent_id
        self.chat.clear()
        self._user_shown.clear()
        if index < 0:
            self._agent_notice = None
            return
        description = self.agent_box.itemData(index, Qt.ItemDataRole.ToolTipRole)
        text = f"New conversation with {self.agent_box.itemText(index)}" + (f" — {description}" if description else "")
        log.info("chat: %s", text)
        self._agent_notice = text
        self.chat.add_notice(text)

    def _announce_agent(self, event: ConversationChanged) -> None:
        """The engine's new conversation (connected after main_events' handler, which clears the chat)."""
        if event.conversation_id is not None:
            return
        if event.agent != self._chat_agent:
            self._begin_with(event.agent)
        elif self._agent_notice and not self.chat.bubbles and not self.chat.notices():
            self.chat.add_notice(self._agent_notice, announce=False)  # the clear for this switch took it

    def _mute_toggled(self, muted: bool) -> None:
        self.engine.set_muted(muted)
        if muted != self.settings_writer.expected("speech_muted"):
            self._persist(speech_muted=muted)

    def _persist(self, **changes: Any) -> None:
        """Save (off this thread) and apply; a save that fails is shown, not raised."""
        self.settings_writer.save(changes, done=self._persisted)

    def _persisted(self, result: Any) -> None:
        if isinstance(result, Exception):
            self.show_problem(result)

    # ------------------------------------------------------------ banner actions

    def _banner_action(self, key: str) -> None:
        if key == "settings":
            self.open_settings(SETTINGS_PAGE_FOR.get(self.banner.kind))
        elif key == "retry":
            self.banner.clear()

    # ------------------------------------------------------------ other windows

    def open_settings(self, page: str | None = None) -> SettingsDialog:
        from desktop_assistant.ui.settings_dialog import SettingsDialog

        if self._settings is None:
            self._settings = SettingsDialog(self.app, self.engine, self.bridge, self, self.settings_writer,
                                            hotkey=self.hotkey)
        if not self._settings.isVisible():
            self._settings.reload()  # (an open dialog keeps what the user is editing)
        show_centred(self._settings, self)
        self._settings.show_page(page)
        return self._settings

    def open_history(self, search: bool = False) -> HistoryWindow:
        from desktop_assistant.ui.history_source import HistorySource
        from desktop_assistant.ui.history_window import HistoryWindow

        if self._history is None:
            self._history = HistoryWindow(self.app, HistorySource.for_app(self.app), self.bridge)
        else:
            self._history.refresh()
        show_centred(self._history, self)
        if search:
            self._history.focus_search()
        return self._history

    # ------------------------------------------------------------ settings

    def _settings_applied(self, old: Settings, new: Settings) -> None:
        # as they will be once the saves still on their way are applied (a second toggle of mute)
        shown = replace(new, **{name: self.settings_writer.expected(name) for name in ("speech_muted", "agent")})
        self._show_settings(shown)
        if new.groq_api_key and not old.groq_api_key:
            self.banner.clear(ErrorKind.NO_KEY)
        if new.groq_api_key != old.groq_api_key:
            self.banner.clear(ErrorKind.AUTH)
            self.status.show_network("unknown" if new.groq_api_key else "no key")
            if self.state == "error" and new.groq_api_key:
                self._set_state("ready")  # the cause is fixed: the next turn will tell
        if new.input_device != old.input_device:
            self.banner.clear(ErrorKind.AUDIO)

    def _show_settings(self, settings: Settings) -> None:
        self.ptt.set_mode(settings.ptt_mode)
        self.ptt_key.set_key(settings.ptt_key)
        if self.hotkey is not None:
            self.hotkey.apply(settings.global_hotkey, settings.global_hotkey_mode)
        self.ptt.setToolTip(
            f"Hold {settings.ptt_key} (or the button) while you speak"
            if settings.ptt_mode == "hold"
            else f"Press {settings.ptt_key} (or click) to start and again to send"
        )
        self.status.show_device(settings.input_device)
        blocked = self.mute_button.blockSignals(True)
        self.mute_button.setChecked(settings.speech_muted)
        self.mute_button.blockSignals(blocked)
        index = self.agent_box.findData(settings.agent)
        if index >= 0 and index != self.agent_box.currentIndex():
            blocked = self.agent_box.blockSignals(True)
            self.agent_box.setCurrentIndex(index)
            self.agent_box.blockSignals(blocked)
            self._describe_agent()

    # ------------------------------------------------------------ shutdown

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt naming
        super().resizeEvent(event)
        self.ptt.set_compact(self.height() < COMPACT_BELOW_PX)  # the conversation keeps its room
        log.debug("resized to %dx%d: compact %s", self.width(), self.height(), self.ptt.property("compact"))

    def changeEvent(self, event: QEvent) -> None:  # Qt naming
        if event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow():
            self.ptt_key.release()  # a held key's release goes to the other window
        elif event.type() == QEvent.Type.PaletteChange:
            theme.apply(QApplication.instance())  # light ↔ dark: re-colour (a no-op when unchanged)
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt naming
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop input, cancel the turn, stop workers (bounded), then close other windows."""
        if self._shut_down:
            return
        self._shut_down = True
        if self.remember_geometry:
            save_geometry(self.app, "main", self.saveGeometry())
        self.ptt_key.detach()
        if self.hotkey is not None:
            self.hotkey.stop()
        self.ptt.recording_ended()
        self.engine.shutdown(timeout)
        self.bridge.close()
        for window in (self._history, self._settings):
            if window is not None:
                window.shutdown()
        self.settings_writer.close()
        log.info("main window closed")
        self.closed.emit()
