"""WCAG 2.2 contrast measured from pixels: a screenshot (QImage or PNG) and the
rectangles where text or a control boundary is drawn.

Text: the background is the most common colour inside the text's rectangle; the
foreground is the pixel farthest in luminance from it (a glyph's solid core, not its
anti-aliased edge). Boundaries: the colour of a border against the colour just outside it.
Independent of the app's own colour code (desktop_assistant/ui/theme.py) on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RGB = tuple[int, int, int]
TEXT_MINIMUM = 4.5  # WCAG 2.2 SC 1.4.3 (normal text)
BOUNDARY_MINIMUM = 3.0  # WCAG 2.2 SC 1.4.11 (user-interface components, focus indicators)


def luminance(rgb: RGB) -> float:
    """Relative luminance (WCAG 2.2)."""
    linear = []
    for value in rgb:
        c = value / 255
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(a: RGB, b: RGB) -> float:
    """Contrast ratio, 1 (none) … 21 (black on white)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def pixels(image: Any) -> np.ndarray:
    """A QImage, or a PNG path, as an (height, width, 3) uint8 RGB array."""
    from PySide6.QtGui import QImage

    if isinstance(image, str | Path):
        image = QImage(str(image))
    if image.isNull():
        raise ValueError("empty image")
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    stride = rgb.bytesPerLine()
    data = np.frombuffer(bytes(rgb.constBits()), dtype=np.uint8).reshape(rgb.height(), stride)
    return data[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()


def _luminances(region: np.ndarray) -> np.ndarray:
    c = region.astype(np.float64) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


@dataclass(frozen=True)
class Measure:
    name: str
    ratio: float
    foreground: RGB
    background: RGB

    def __str__(self) -> str:
        fg, bg = ("#{:02x}{:02x}{:02x}".format(*c) for c in (self.foreground, self.background))
        return f"{self.name}: {self.ratio:.2f}:1 ({fg} on {bg})"


def background_of(region: np.ndarray) -> RGB:
    """The most common colour of a region."""
    flat = region.reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    return tuple(int(v) for v in colours[counts.argmax()])  # type: ignore[return-value]


def text_contrast(image: np.ndarray, rect: tuple[int, int, int, int], name: str = "") -> Measure | None:
    """Contrast of the text drawn inside rect = (x, y, width, height); None when the rectangle
    holds a single colour (no text)."""
    x, y, w, h = rect
    x0, y0 = max(0, x), max(0, y)
    region = image[y0 : y + h, x0 : x + w]
    if region.size == 0:
        return None
    bg = background_of(region)
    lum = _luminances(region)
    distance = np.abs(lum - luminance(bg))
    if distance.max() <= 0:
        return None
    iy, ix = np.unravel_index(distance.argmax(), distance.shape)
    fg = tuple(int(v) for v in region[iy, ix])
    return Measure(name, ratio(fg, bg), fg, bg)  # type: ignore[arg-type]


def boundary_contrast(
    image: np.ndarray, outside: tuple[int, int], edge: list[tuple[int, int]], name: str = ""
) -> Measure:
    """A control's border against the colour just outside it: `outside` is one (x, y) pixel of
    the surroundings, `edge` the (x, y) pixels across the border; the border's colour is the
    edge pixel farthest in luminance from the outside."""
    out = tuple(int(v) for v in image[outside[1], outside[0]])
    best = max(edge, key=lambda p: abs(luminance(tuple(int(v) for v in image[p[1], p[0]])) - luminance(out)))
    border = tuple(int(v) for v in image[best[1], best[0]])
    return Measure(name, ratio(border, out), border, out)  # type: ignore[arg-type]


def colour_distance(a: RGB, b: RGB) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)
