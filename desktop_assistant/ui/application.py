"""Start Qt, build the main window around the engine, run the event loop.

This is the GUI's composition: one `EngineBridge` (engine events → Qt signals),
one `EngineController` (commands → engine, built off the GUI thread after the
window shows), the `MainWindow`, the tray (added just after the first frame),
and signal handling for a clean close.

The first frame uses no `Qt.*` enum: on first use PySide6 creates the whole `Qt`
namespace (93 enums, ~1200 members), ~13 ms, a tenth of the start-up. Widgets
built before the first frame take Qt's defaults or `qproperty-` values from a
style sheet; code that needs `Qt` imports it where it runs, after the first frame
(docs/ARCHITECTURE.md, Start-up; checked by tests/gui/test_gui_startup.py).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from desktop_assistant import APP_NAME, APP_TITLE, __version__
from desktop_assistant.errors import ErrorKind
from desktop_assistant.paths import resource_path
from desktop_assistant.ui import theme
from desktop_assistant.ui.qt_log import route_qt_messages

if TYPE_CHECKING:
    from desktop_assistant.app import App
    from desktop_assistant.instance import InstanceLock
    from desktop_assistant.ui.controller import Builder
    from desktop_assistant.ui.main_window import MainWindow

log = logging.getLogger(__name__)


ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The app's icon from its bundled PNG sizes (the SVG would load Qt's SVG plugin at start-up,
    ~1 ms; the sizes are given, so no file is read until one is drawn)."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resource_path("icons", f"desktop-assistant-{size}.png")), QSize(size, size))
    return icon


GIL_SWITCH_S = 0.001


def qt_application() -> QApplication:
    route_qt_messages()
    # Engine threads (LLM stream, TTS, audio callbacks) share the GIL with the GUI thread: a short
    # switch interval bounds how long the GUI waits for it (measured by bench/responsiveness.py).
    sys.setswitchinterval(GIL_SWITCH_S)
    existing = QApplication.instance()
    qapp = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    qapp.setApplicationName(APP_NAME)
    qapp.setApplicationDisplayName(APP_TITLE)
    qapp.setApplicationVersion(__version__)
    qapp.setDesktopFileName(APP_NAME)
    qapp.setWindowIcon(app_icon())
    if not qapp.property("da_styled"):
        qapp.setProperty("da_styled", True)
        theme.apply(qapp)
        # Light or dark comes from the palette: re-colour when the system switches (the main window
        # also does on a palette change; either is a no-op when the colours are already right).
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: theme.apply(qapp))
    return qapp


def build_main_window(app: App, build: Builder | None = None) -> MainWindow:
    """The main window wired to the app and the engine (used by `run`, the smoke test, tests)."""
    from desktop_assistant.ui.bridge import EngineBridge
    from desktop_assistant.ui.controller import EngineController
    from desktop_assistant.ui.main_window import MainWindow

    bridge = EngineBridge()
    engine = EngineController(app, bridge, build)
    window = MainWindow(app, engine, bridge)
    bridge.setParent(window)  # (a closed window is not deleted: WA_DeleteOnClose is off by default)
    window.tray = None
    window.indicator = None

    def add_tray() -> None:  # after the first frame: it asks the desktop (D-Bus/X11) for a tray
        from desktop_assistant.ui.listening_indicator import install_indicator
        from desktop_assistant.ui.tray import install_tray

        window.tray = install_tray(window)
        window.indicator = install_indicator(window)

    window.first_frame_shown.connect(add_tray)
    window.first_frame_shown.connect(lambda: show_settings_problems(app, window))
    return window


def show_settings_problems(app: App, window: MainWindow) -> None:
    """What the app ignored to start (a settings file it could not use: `App.settings_problems`)."""
    problems = app.settings_problems
    if problems:
        window.show_problem_text(" ".join(problems), "Open Settings", "settings", kind=ErrorKind.SETTINGS,
                                 severity="warning")


def _show_running_window(app: App, lock: InstanceLock) -> int:
    """A second start: the running window comes forward (also out of the tray); this one exits."""
    from desktop_assistant.channel_client import ChannelError, channel_name, send_command
    from desktop_assistant.errors import UserFacingError

    try:
        answer = send_command(channel_name(app.paths.data_dir), "show")
    except ChannelError as exc:
        log.info("the running window does not answer: %s", exc)  # (told below, in one line)
        answer = ""
    if answer == "ok":
        log.info("Desktop Assistant is already running: its window was brought forward")
        return 0
    pid = lock.holder_pid()
    raise UserFacingError(
        f"Desktop Assistant is already running{f' (pid {pid})' if pid else ''} but its window does not answer",
        f"close it{f' or end it with `kill {pid}`' if pid else ''}, then start it again",
        kind=ErrorKind.NOT_ANSWERING,
    )


def _open_channel(app: App, window: MainWindow) -> None:
    """Listen for commands from other processes of this user (a second start sends `show`;
    `desktop-assistant ptt press|release|toggle|show` sends `ptt <word>`: ui/talk_control.py)."""
    from desktop_assistant.ui.instance_channel import InstanceChannel, channel_name
    from desktop_assistant.ui.placement import bring_forward
    from desktop_assistant.ui.talk_control import TalkControl

    try:
        import PySide6.QtNetwork  # noqa: F401 - (a build without it: one window still, no bringing forward)
    except ImportError as exc:
        log.warning("no command channel (%s): a second start cannot bring this window forward", exc)
        return

    def show(_words: list[str]) -> None:
        log.info("a second start asked for the window")
        bring_forward(window)

    handlers = {"show": show, "ptt": TalkControl(window).command}
    window.channel = channel = InstanceChannel(channel_name(app.paths.data_dir), handlers, window)
    if channel.listen():
        window.closed.connect(channel.close)


def run(app: App) -> int:
    from desktop_assistant.instance import InstanceLock
    from desktop_assistant.ui.signals import SignalCloser

    lock = InstanceLock(app.paths.data_dir / "window.lock")
    if not lock.acquire():
        return _show_running_window(app, lock)
    qapp = qt_application()
    app.part("instance-lock", lambda: lock, InstanceLock.release)
    window = build_main_window(app)
    window.first_frame_shown.connect(lambda: _open_channel(app, window))
    closer = SignalCloser(window.close)
    window.show()
    log.info("main window shown")
    try:
        return qapp.exec()
    finally:
        window.shutdown()
        closer.uninstall()
