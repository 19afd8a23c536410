"""The tray icon: what the assistant is doing (idle, listening, thinking, speaking: a mark on the
app's icon, and the tooltip says it), and a menu to talk, show/hide the window, start a new
conversation and quit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from desktop_assistant import APP_TITLE
from desktop_assistant.ui.placement import bring_forward
from desktop_assistant.ui.talk_control import TalkControl

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

    from desktop_assistant.ui.main_window import MainWindow

# The window's state → what the tray shows (loading, ready and error are idle: the microphone is off
# and nothing is being answered).
TRAY_STATE_OF = {"listening": "listening", "transcribing": "thinking", "thinking": "thinking",
                 "speaking": "speaking"}
TRAY_WORDS = {"idle": "idle", "listening": "listening", "thinking": "thinking", "speaking": "speaking"}
# The idle states worth naming in the tooltip too.
IDLE_DETAIL = {"loading": "loading the speech model", "error": "the last turn failed (see the window)"}
# The mark on the icon: a disc in the corner, its colour and a white glyph (not colour alone).
MARK_COLOUR = {"listening": "#c62828", "thinking": "#a15c00", "speaking": "#1b5e20"}
ICON_PX = 64


def tray_state(window_state: str) -> str:
    return TRAY_STATE_OF.get(window_state, "idle")


def tray_tooltip(window_state: str) -> str:
    state = tray_state(window_state)
    detail = IDLE_DETAIL.get(window_state) if state == "idle" else None
    return f"{APP_TITLE} — {TRAY_WORDS[state]}" + (f" ({detail})" if detail else "")


def state_icon(base: QIcon, state: str) -> QIcon:
    """`base` with the mark of `state` (idle: `base` itself): a coloured disc in the lower right
    corner with a glyph — a dot (listening), three dots (thinking), a play triangle (speaking)."""
    if state not in MARK_COLOUR:
        return base
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap, QPolygonF

    pixmap = QPixmap(ICON_PX, ICON_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    base.paint(painter, 0, 0, ICON_PX, ICON_PX)
    disc = QRectF(ICON_PX * 0.42, ICON_PX * 0.42, ICON_PX * 0.56, ICON_PX * 0.56)
    painter.setPen(QPen(QColor("white"), ICON_PX * 0.05))
    painter.setBrush(QColor(MARK_COLOUR[state]))
    painter.drawEllipse(disc)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("white"))
    centre, unit = disc.center(), disc.width() / 8
    if state == "listening":
        painter.drawEllipse(centre, unit * 1.6, unit * 1.6)
    elif state == "thinking":
        for dx in (-2.2, 0.0, 2.2):
            painter.drawEllipse(QPointF(centre.x() + dx * unit, centre.y()), unit * 0.8, unit * 0.8)
    else:
        painter.drawPolygon(QPolygonF([QPointF(centre.x() - unit * 1.3, centre.y() - unit * 2),
                                       QPointF(centre.x() - unit * 1.3, centre.y() + unit * 2),
                                       QPointF(centre.x() + unit * 2, centre.y())]))
    painter.end()
    return QIcon(pixmap)


def tray_menu(window: MainWindow) -> QMenu:
    """The tray's menu (also used on desktops without a tray, e.g. for tests). Talk starts
    listening and, chosen again, sends what was said (checked while a press is held)."""
    menu = QMenu(window)
    talk_control = TalkControl(window)
    talk = QAction("Talk", menu)
    talk.setCheckable(True)
    talk.setObjectName("talk")
    talk.setToolTip("Start listening; choose again to send")

    def talk_chosen() -> None:
        talk_control.toggle()
        talk.setChecked(talk_control.held)

    talk.triggered.connect(talk_chosen)
    window.state_changed.connect(lambda _state: talk.setChecked(talk_control.held))
    toggle = QAction("Show/Hide", menu)
    toggle.triggered.connect(lambda: toggle_window(window))
    new = QAction("New conversation", menu)
    new.triggered.connect(window.new_conversation)
    quit_ = QAction("Quit", menu)
    quit_.triggered.connect(window.close)
    for action in (talk, toggle, new, quit_):
        menu.addAction(action)
    return menu


def toggle_window(window: MainWindow) -> None:
    if window.isVisible() and not window.isMinimized():
        window.hide()
    else:
        bring_forward(window)


def make_tray(window: MainWindow) -> QSystemTrayIcon:
    """The tray icon for `window`, following its state (not shown: `install_tray` shows it)."""
    base = QApplication.windowIcon()
    icons = {state: state_icon(base, state) for state in TRAY_WORDS}
    icon = QSystemTrayIcon(icons["idle"], window)
    icon.setContextMenu(tray_menu(window))

    def follow(window_state: str) -> None:
        icon.setIcon(icons[tray_state(window_state)])
        icon.setToolTip(tray_tooltip(window_state))

    follow(window.state)
    window.state_changed.connect(follow)
    icon.activated.connect(
        lambda reason: toggle_window(window) if reason == QSystemTrayIcon.ActivationReason.Trigger else None
    )
    window.closed.connect(icon.hide)
    return icon


def install_tray(window: MainWindow) -> QSystemTrayIcon | None:
    """A tray icon for `window`, or None when the desktop has no system tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    icon = make_tray(window)
    icon.show()
    return icon
