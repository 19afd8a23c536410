"""Audit a window's accessibility tree through Qt's own interfaces (the tree Qt's AT-SPI
bridge hands to a screen reader): every node's role, name, description and the label
the user sees on screen, and the two failures a screen-reader user meets:

- a control or a label with text whose accessible name is empty;
- a name that does not contain the visible label (WCAG 2.5.3 "Label in Name").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAccessible, QTextDocument
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QWidget

Role = QAccessible.Role
NAMED_ROLES = {
    Role.Button, Role.CheckBox, Role.RadioButton, Role.ComboBox, Role.EditableText, Role.SpinBox,
    Role.PageTab, Role.ProgressBar, Role.Slider, Role.List, Role.Table, Role.Tree, Role.ButtonMenu,
}


@dataclass(frozen=True)
class Node:
    role: str
    name: str
    description: str
    visible_label: str  # what the user reads on or beside it ("" when nothing)
    labelled_by: tuple[str, ...]  # names of the labels it has a Label relation to
    focusable: bool
    widget: str  # class and object name, to tell nodes apart in a failure


def normalised(text: str) -> str:
    """Compare words only: no mnemonic '&', case, punctuation or ellipsis."""
    text = re.sub(r"&(?!&)", "", text).replace("&&", "&").lower()
    return " ".join(re.findall(r"[^\W_]+", text))


def plain(label: QLabel) -> str:
    if label.textFormat().name == "PlainText":
        return label.text()
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText() if "<" in label.text() else label.text()


def visible_label(obj: Any, window: QWidget) -> str:
    if isinstance(obj, QAbstractButton):
        return obj.text()
    if isinstance(obj, QLabel):
        return plain(obj)
    if isinstance(obj, QWidget):  # a field: the label whose buddy it is
        for label in window.findChildren(QLabel):
            if label.buddy() is obj and label.isVisibleTo(window):
                return plain(label)
    return ""


def nodes(window: QWidget, only_visible: bool = True) -> list[Node]:
    found: list[Node] = []
    stack = [QAccessible.queryAccessibleInterface(window)]
    while stack:
        iface = stack.pop()
        if iface is None or not iface.isValid():
            continue
        state = iface.state()
        if only_visible and state.invisible:
            continue
        obj = iface.object()
        labels = tuple(
            other.text(QAccessible.Text.Name)
            for other, relation in iface.relations(QAccessible.RelationFlag.Label)
            if other is not None
        )
        found.append(Node(
            role=iface.role().name,
            name=iface.text(QAccessible.Text.Name) or "",
            description=iface.text(QAccessible.Text.Description) or "",
            visible_label=visible_label(obj, window) if isinstance(obj, QWidget) and obj.isWidgetType() else "",
            labelled_by=labels,
            focusable=bool(state.focusable),
            widget=f"{type(obj).__name__}#{obj.objectName()}" if obj is not None else "",
        ))
        stack.extend(iface.child(i) for i in range(iface.childCount() - 1, -1, -1))
    return found


def unnamed(found: list[Node]) -> list[Node]:
    """Controls, and labels showing text, that a screen reader would announce without a name."""
    return [
        n for n in found
        if not n.name.strip() and not n.labelled_by
        and (n.focusable or getattr(Role, n.role) in NAMED_ROLES or normalised(n.visible_label))
    ]


def label_not_in_name(found: list[Node]) -> list[Node]:
    """Nodes whose name does not contain the words the user sees (symbols such as ✕ aside).
    A combo box on Linux is named by its value; its label reaches the screen reader as a
    Label relation, which counts as containing it."""
    bad = []
    for n in found:
        label = normalised(n.visible_label)
        if not label:
            continue
        if label in normalised(n.name):
            continue
        if n.role == "ComboBox" and any(label in normalised(x) for x in n.labelled_by):
            continue
        bad.append(n)
    return bad


def combo_labels(window: QWidget) -> list[tuple[str, str]]:
    """(accessible name, buddy label) of each combo box; for platforms that name it by its label."""
    return [
        (box.accessibleName(), visible_label(box, window))
        for box in window.findChildren(QComboBox)
        if visible_label(box, window)
    ]
