"""What a screen reader is told beyond the widgets' own names: announcements of state
changes and problems (`QAccessibleAnnouncementEvent`, which Qt's AT-SPI bridge delivers
as `object:announcement`, the event Orca speaks), and the state label's name.

Names follow WCAG 2.5.3 "Label in Name": an accessible name contains the text the user
sees, so a screen reader and voice control use the same words as the screen.
"""

from __future__ import annotations

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import QLabel, QWidget


def announce(widget: QWidget, text: str, *, assertive: bool = False) -> None:
    """Have a screen reader say `text` now (assertive: interrupting what it is saying)."""
    if not text or not QAccessible.isActive():
        return
    event = QAccessibleAnnouncementEvent(widget, text)
    if assertive:
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(event)


def show_state(label: QLabel) -> None:
    """The state label's name says what it shows ("State: Thinking…"), and a change is announced."""
    shown = label.text()
    name = f"State: {shown}"
    if label.accessibleName() == name:
        return
    label.setAccessibleName(name)
    label.setAccessibleDescription("")  # the name says it all: no second "Thinking…"
    if label.isVisible():  # nobody hears the window being built
        announce(label, shown)
