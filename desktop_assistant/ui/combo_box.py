"""Combo boxes whose items carry data: make one from items or (text, data) pairs,
select an item by its data, and read the chosen data back (or what was typed into
an editable box). Used by the Settings dialog and its pages.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget


def combo(parent: QWidget, name: str, items: Any, editable: bool = False) -> QComboBox:
    box = QComboBox(parent)
    box.setAccessibleName(name)
    box.setEditable(editable)
    line = box.lineEdit()  # (an editable box has one)
    if editable and line is not None:
        line.setAccessibleName(name)  # the text field inside is a node of its own
    for item in items:
        if isinstance(item, tuple):
            box.addItem(item[0], item[1])
        else:
            box.addItem(item, item)
    return box


def select(box: QComboBox, value: Any) -> None:
    index = box.findData(value)
    if index < 0 and box.isEditable():
        box.setEditText("" if value is None else str(value))
        return
    if index < 0 and value is not None:
        box.addItem(str(value), value)
        index = box.count() - 1
    box.setCurrentIndex(max(0, index))


def chosen(box: QComboBox) -> Any:
    """The chosen item's data, or what was typed into an editable box."""
    if box.isEditable():
        text = box.currentText().strip()
        index = box.findText(text)
        return box.itemData(index) if index >= 0 else text
    return box.currentData()
