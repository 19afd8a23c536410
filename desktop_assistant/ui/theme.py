"""Light and dark: the app's style sheet, coloured from the system palette.

`resources/styles/app.qss` is a template; `colours(palette)` fills its `$names` with
colours derived from the palette (dark when the window colour is dark) and nudged
until they meet WCAG 2.2 AA: text at least 4.5:1 against its background, control
boundaries (outlines, the meter's trough, the focus ring) at least 3:1.
`apply(qapp)` sets the sheet, and again whenever the palette or colour scheme changes
(the main window calls it on `QEvent.PaletteChange`; it is a no-op when nothing changed).

Pure arithmetic on (r, g, b) tuples: no `Qt` enum is used (see ui/application.py).
"""

from __future__ import annotations

import functools
from string import Template
from typing import Any

from PySide6.QtGui import QPalette

from desktop_assistant.paths import resource_path

RGB = tuple[int, int, int]
# WCAG 2.2 AA asks 4.5:1 (text) and 3:1 (boundaries); aim a little higher so that rounding and
# blending never drop a colour under the line.
TEXT_RATIO = 4.6
BOUNDARY_RATIO = 3.1
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)

# Banner colours per severity: (background, text, stripe), chosen to pass 4.5:1; the text is
# still checked (and nudged) against its background below.
BANNERS = {
    False: {
        "info": ("#e7f0fb", "#0b2a4f", "#1c71d8"),
        "warning": ("#fff4ce", "#3b2f00", "#9c6d00"),
        "error": ("#fde7e9", "#5c0010", "#c01c28"),
    },
    True: {
        "info": ("#1b3149", "#dbeafc", "#78aeed"),
        "warning": ("#3d3212", "#ffe9a8", "#e5a50a"),
        "error": ("#4a1c22", "#ffd9dc", "#ff7b81"),
    },
}
RECORDING = {False: "#c01c28", True: "#e01b24"}  # the talk button while listening
ERROR_TEXT = "#c01c28"


def luminance(rgb: RGB) -> float:
    """WCAG relative luminance."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: RGB, b: RGB) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """a → b by t (0 → a, 1 → b)."""
    red, green, blue = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return red, green, blue


def hex_rgb(text: str) -> RGB:
    text = text.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def css(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def contrasting(colour: RGB, backgrounds: list[RGB], minimum: float) -> RGB:
    """`colour`, moved toward black or white (whichever helps) until it meets `minimum`
    against every background; the extreme with the better worst case when none does."""
    if all(ratio(colour, bg) >= minimum for bg in backgrounds):
        return colour
    best: tuple[float, RGB] = (0.0, colour)
    for extreme in (BLACK, WHITE):
        for step in range(1, 21):
            moved = mix(colour, extreme, step / 20)
            worst = min(ratio(moved, bg) for bg in backgrounds)
            if worst >= minimum:
                return moved
            best = max(best, (worst, moved))
    return best[1]


def filled(seed: RGB, text: RGB, window: RGB) -> tuple[RGB, RGB, RGB]:
    """A solid control (the talk button, a checked toggle) → (fill, text, border): the fill near
    `seed` with `text` on it at 4.5:1 (darker or lighter as needed), and a border of the fill's
    hue at 3:1 against the window (the fill itself when it already is)."""
    away = BLACK if luminance(text) > 0.5 else WHITE
    fill = next(
        (mix(seed, away, s / 20) for s in range(21) if ratio(mix(seed, away, s / 20), text) >= TEXT_RATIO), away
    )
    return fill, text, contrasting(fill, [window], BOUNDARY_RATIO)


def _rgb(palette: QPalette, role: QPalette.ColorRole, group: Any = None) -> RGB:
    colour = palette.color(role) if group is None else palette.color(group, role)
    return colour.red(), colour.green(), colour.blue()


def is_dark(palette: QPalette) -> bool:
    """Dark theme: the window colour is dark (HSL lightness below half)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


_ROLES = ("Window", "WindowText", "Base", "Text", "Button", "ButtonText", "Highlight", "HighlightedText")


def colours(palette: QPalette) -> dict[str, str]:
    """The style sheet's `$names` → colours, for this palette."""
    roles = tuple(_rgb(palette, getattr(QPalette.ColorRole, name)) for name in _ROLES)
    return dict(_colours(is_dark(palette), roles))


@functools.lru_cache(maxsize=8)
def _colours(dark: bool, roles: tuple[RGB, ...]) -> tuple[tuple[str, str], ...]:
    window, text, base, base_text, button, button_text, highlight, highlighted_text = roles
    surfaces = [window, base, button]

    user_bubble = mix(base, highlight, 0.3 if dark else 0.2)
    assistant_bubble = mix(base, text, 0.06)
    bubbles = [user_bubble, assistant_bubble]
    outline = contrasting(mix(window, text, 0.45), surfaces, BOUNDARY_RATIO)
    accent, on_accent, accent_border = filled(highlight, highlighted_text, window)
    recording, on_recording, recording_border = filled(hex_rgb(RECORDING[dark]), WHITE, window)
    muted = contrasting(mix(text, window, 0.35), [*surfaces, *bubbles], TEXT_RATIO)
    names = {
        "window": window,
        "text": contrasting(text, [window], TEXT_RATIO),
        "button": button,
        "button_text": contrasting(button_text, [button], TEXT_RATIO),
        "button_hover": mix(button, text, 0.08),
        "button_pressed": mix(button, text, 0.16),
        "outline": outline,
        "focus": contrasting(highlight, [*surfaces, mix(button, text, 0.08)], BOUNDARY_RATIO),
        "accent": accent,
        "on_accent": on_accent,
        "accent_border": accent_border,
        "accent_focus": contrasting(text, [window, accent], BOUNDARY_RATIO),
        "recording": recording,
        "on_recording": on_recording,
        "recording_border": recording_border,
        "recording_focus": contrasting(text, [window, recording], BOUNDARY_RATIO),
        "muted_text": muted,
        "error_text_on_window": contrasting(hex_rgb(ERROR_TEXT), [window], TEXT_RATIO),
        "disabled_text": mix(button_text, button, 0.5),
        "disabled_outline": mix(outline, window, 0.5),
        "user_bubble": user_bubble,
        "user_bubble_border": contrasting(mix(user_bubble, highlight, 0.5), [user_bubble], 1.3),
        "assistant_bubble": assistant_bubble,
        "assistant_bubble_border": contrasting(mix(assistant_bubble, text, 0.25), [assistant_bubble], 1.3),
        "bubble_text": contrasting(base_text, bubbles, TEXT_RATIO),
    }
    for severity, (bg, fg, stripe) in BANNERS[dark].items():
        background = hex_rgb(bg)
        names[f"{severity}_bg"] = background
        names[f"{severity}_text"] = contrasting(hex_rgb(fg), [background], TEXT_RATIO)
        names[f"{severity}_stripe"] = contrasting(hex_rgb(stripe), [background, window], BOUNDARY_RATIO)
    sheet = {key: css(value) for key, value in names.items()}
    sheet["microphone"] = _icon(on_accent)
    sheet["microphone_recording"] = _icon(on_recording)
    return tuple(sheet.items())


def _icon(on: RGB) -> str:
    """The microphone glyph (black or white) that stands out on a fill whose text is `on`."""
    name = "microphone-light.png" if luminance(on) > 0.5 else "microphone-dark.png"
    return resource_path("icons", name).as_posix()


def muted_text(palette: QPalette) -> RGB:
    """Secondary text (hints, meta lines, day headers) that still reads at 4.5:1."""
    return hex_rgb(colours(palette)["muted_text"])


@functools.cache
def _template() -> Template:
    try:
        return Template(resource_path("styles", "app.qss").read_text(encoding="utf-8"))
    except OSError:
        return Template("")


def style_sheet(palette: QPalette) -> str:
    return _template().safe_substitute(colours(palette))


def apply(qapp: Any) -> bool:
    """Style the application for its current palette; False when that is already done."""
    sheet = style_sheet(qapp.palette())
    if qapp.property("da_style_sheet") == sheet:
        return False
    qapp.setProperty("da_style_sheet", sheet)
    qapp.setStyleSheet(sheet)
    return True
