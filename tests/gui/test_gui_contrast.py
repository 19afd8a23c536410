"""Light and dark (issue 12, item 4): every window rendered with Adwaita's light and dark
palettes, and WCAG 2.2 AA measured from its pixels — every text at least 4.5:1 against
its background, the talk button's outline, the meter's trough and the focus ring at least
3:1. The palettes are set explicitly, so the test does not depend on the desktop's theme."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from support.contrast import (
    BOUNDARY_MINIMUM,
    TEXT_MINIMUM,
    Measure,
    background_of,
    boundary_contrast,
    colour_distance,
    pixels,
    text_contrast,
)
from support.widget_text import text_rects

from desktop_assistant.speech.transcript import ModelStatus

pytestmark = pytest.mark.gui

# What Qt's gtk3 platform theme gives for GTK_THEME=Adwaita and Adwaita:dark (Qt 6.11).
ADWAITA = {
    "light": {
        "Window": "#faf9f8", "WindowText": "#000000", "Base": "#faf9f8", "AlternateBase": "#eae9e8",
        "Text": "#000000", "Button": "#faf9f8", "ButtonText": "#000000", "Mid": "#ffffff",
        "Midlight": "#ffffff", "Dark": "#dbdada", "Light": "#ffffff", "Shadow": "#0c0c0c",
        "Highlight": "#3584e4", "HighlightedText": "#ffffff", "PlaceholderText": "#646464",
    },
    "dark": {
        "Window": "#323232", "WindowText": "#ffffff", "Base": "#323232", "AlternateBase": "#2f2f2f",
        "Text": "#ffffff", "Button": "#323232", "ButtonText": "#ffffff", "Mid": "#383838",
        "Midlight": "#383838", "Dark": "#2c2c2c", "Light": "#3e3e3e", "Shadow": "#020202",
        "Highlight": "#15539e", "HighlightedText": "#ffffff", "PlaceholderText": "#9b9b9b",
    },
}
DISABLED_TEXT = {"light": "#7d7c7c", "dark": "#989898"}


def adwaita(theme: str) -> QPalette:
    palette = QPalette()
    for role, colour in ADWAITA[theme].items():
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    for role in ("WindowText", "Text", "ButtonText"):
        palette.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor(DISABLED_TEXT[theme]))
    return palette


@pytest.fixture(params=["light", "dark"])
def desktop_palette(request: pytest.FixtureRequest, qapp: Any) -> Iterator[str]:
    """The system palette is Adwaita light or dark before the app styles itself (as at start-up)."""
    from desktop_assistant.ui import theme
    from desktop_assistant.ui.application import qt_application

    before = qapp.palette()
    qapp.setPalette(adwaita(request.param))
    qt_application()
    theme.apply(qapp)  # what qt_application() does in a new process
    yield request.param
    qapp.setPalette(before)
    theme.apply(qapp)


@pytest.fixture
def themed(desktop_palette: str, fake_window: Any) -> Any:
    """The main window, built on a light or dark desktop."""
    fake_window.theme = desktop_palette
    return fake_window


def _settle(widget: Any) -> Any:
    for _ in range(3):
        QApplication.processEvents()
    return pixels(widget.grab().toImage())


def _texts(widget: Any, skip: set[Any] | None = None) -> list[Measure]:
    image = _settle(widget)
    measures = [text_contrast(image, rect, name) for name, rect in text_rects(widget, skip or set())]
    return [m for m in measures if m is not None]


def _inside(widget: Any, window: Any, inset: int = 0) -> tuple[int, int, int, int]:
    """The widget's rectangle in the window's pixels, `inset` past its border."""
    from PySide6.QtCore import QPoint

    origin = widget.mapTo(window, QPoint(0, 0))
    return origin.x() + inset, origin.y() + inset, widget.width() - 2 * inset, widget.height() - 2 * inset


def _assert_text(measures: list[Measure], what: str) -> None:
    assert len(measures) >= 5, f"{what}: too few texts found: {measures}"
    worst = min(measures, key=lambda m: m.ratio)
    print(f"{what}: {len(measures)} texts, minimum {worst}")
    failing = [str(m) for m in measures if m.ratio < TEXT_MINIMUM]
    assert not failing, f"{what}: {len(failing)} of {len(measures)} texts under {TEXT_MINIMUM}:1: {failing}"


def _edge(widget: Any, window: Any, image: Any, name: str) -> Measure:
    """The widget's left border at half its height, against the pixel 2 px left of it."""
    from PySide6.QtCore import QPoint

    origin = widget.mapTo(window, QPoint(0, 0))
    x, y = origin.x(), origin.y() + widget.height() // 2
    return boundary_contrast(image, (x - 2, y), [(x + i, y) for i in range(3)], name)


def _fill_conversation(window: Any) -> None:
    window.chat.add_message("user", "What's the weather usually like in Lisbon in May?")
    window.chat.add_message("assistant", "Mild and sunny, around 22 °C.", timings={"first_audio_ms": 910.0})
    window.chat.add_message("assistant", "Take tram 28", status="interrupted")
    window.status.show_model(ModelStatus("tiny.en", "embedded", "ready"))
    window.status.show_network("online")


def test_main_window_text_reads_at_4_5_to_1_with_each_banner(themed: Any) -> None:
    _fill_conversation(themed)
    measures: list[Measure] = []
    for severity in ("info", "warning", "error"):
        themed.banner.show_problem(f"A {severity}: the Groq key was refused.", "Open Settings", "settings",
                                   severity=severity)
        image = _settle(themed)
        for widget in (*themed.banner.findChildren(QLabel), *themed.banner.findChildren(QPushButton)):
            measure = text_contrast(image, _inside(widget, themed), f"{severity} banner {widget.text()!r}")
            assert measure is not None, widget.text()
            measures.append(measure)
    banner = set(themed.banner.findChildren(QWidget))
    measures += _texts(themed, skip=banner)
    _assert_text(measures, f"main window, {themed.theme}")


def test_user_and_assistant_bubbles_look_different(themed: Any) -> None:
    _fill_conversation(themed)
    image = _settle(themed)
    user, assistant = themed.chat.bubbles[0], themed.chat.bubbles[1]
    colours = []
    for bubble in (user, assistant):
        x, y, w, h = _inside(bubble, themed)
        colours.append(background_of(image[y + 3 : y + h - 3, x + 3 : x + w - 3]))
    assert colour_distance(*colours) >= 20, colours
    assert user.x() > assistant.x()  # and on the other side


def test_talk_button_meter_and_focus_ring_stand_out_at_3_to_1(themed: Any) -> None:
    window = themed
    window.text_box.setFocus()
    image = _settle(window)
    measures = [
        _edge(window.ptt, window, image, "talk button outline"),
        _edge(window.level, window, image, "meter trough border"),
    ]
    window.ptt.set_listening(True)
    image = _settle(window)
    measures.append(_edge(window.ptt, window, image, "talk button outline, listening"))
    window.ptt.set_listening(False)
    unchanged = []
    for widget in (window.ptt, window.send_button, window.mute_button, window.history_button):
        widget.setFocus()
        focused = _settle(window)
        ring = _edge(widget, window, focused, f"focus ring on {widget.objectName() or widget.text()}")
        window.text_box.setFocus()
        plain = _settle(window)
        if ring.foreground == _edge(widget, window, plain, "").foreground:
            unchanged.append(ring.name)
        measures.append(ring)
    print(f"boundaries, {window.theme}: minimum {min(measures, key=lambda m: m.ratio)}")
    failing = [str(m) for m in measures if m.ratio < BOUNDARY_MINIMUM]
    assert not failing, f"{window.theme}: boundaries under {BOUNDARY_MINIMUM}:1: {failing}"
    assert not unchanged, f"{window.theme}: no visible change on focus: {unchanged}"


def test_history_text_reads_at_4_5_to_1(themed: Any, gui_app: Any) -> None:
    _fill_history(gui_app)
    history = themed.open_history()
    history.resize(860, 660)
    history.select_row(0)
    try:
        _assert_text(_texts(history), f"history, {themed.theme}")
    finally:
        history.close()


def test_settings_text_reads_at_4_5_to_1_on_every_page(themed: Any) -> None:
    dialog = themed.open_settings()
    dialog.resize(560, 460)
    measures: list[Measure] = []
    try:
        for page in range(dialog.tabs.count()):
            dialog.tabs.setCurrentIndex(page)
            measures += _texts(dialog)
        _assert_text(measures, f"settings, {themed.theme}")
    finally:
        dialog.close()


def _fill_history(app: Any) -> None:
    from desktop_assistant.history.store import app_store as history_store

    store = history_store(app)
    for n, question in enumerate(("Quick pasta recipe for two", "Why does my Python loop skip items?")):
        conversation = store.conversation_for_turn("assistant", 0.0, new=True)
        store.add_message(conversation, "user", question, source="voice")
        reply = store.add_message(conversation, "assistant", "", status="streaming")
        store.update_message(reply, text=f"Answer {n}", status="complete",
                             timings={"first_audio_ms": 800.0 + 100 * n, "total_ms": 3000.0})


def test_a_palette_change_restyles_the_window(qtbot: Any, fake_window: Any) -> None:
    from desktop_assistant.ui import theme

    qapp = QApplication.instance()
    before = qapp.palette()
    fake_window.banner.show_problem("No Groq API key — replies need one.", "Open Settings", "settings",
                                    severity="warning")
    try:
        backgrounds = {}
        for name in ("light", "dark"):
            qapp.setPalette(adwaita(name))
            qtbot.wait(1)
            image = _settle(fake_window)
            label = fake_window.banner._text
            measure = text_contrast(image, _inside(label, fake_window), "banner")
            assert measure is not None and measure.ratio >= TEXT_MINIMUM, (name, measure)
            backgrounds[name] = measure.background
            assert theme.is_dark(qapp.palette()) == (name == "dark")
        assert sum(backgrounds["dark"]) < sum(backgrounds["light"])  # a dark banner on a dark desktop
    finally:
        qapp.setPalette(before)
        theme.apply(qapp)


def test_every_character_of_the_interface_is_in_dejavu_sans(qtbot: Any) -> None:
    from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics

    import desktop_assistant

    if "DejaVu Sans" not in QFontDatabase.families():
        pytest.fail("DejaVu Sans is not installed (fonts-dejavu-core)")
    metrics = QFontMetrics(QFont("DejaVu Sans"))
    package = Path(desktop_assistant.__file__).parent
    missing = {
        f"U+{ord(ch):04X} {ch} ({path.relative_to(package)})"
        for path in package.rglob("*.py")
        for ch in path.read_text(encoding="utf-8")
        if ord(ch) > 127 and not metrics.inFontUcs4(ord(ch))
    }
    assert not missing, sorted(missing)
