"""Run by the system python (Debian's python3-pyatspi): where the app's windows draw text,
read over AT-SPI — `python3 atspi_texts.py PID` prints one JSON object per showing window:
{"title", "frame": [x, y, w, h], "items": [[kind, name, x, y, w, h], …]} in screen coordinates:
every showing, enabled label, button, check box, text field, spin box, combo box, tab and list
item with a name or text (kind "text" …), and every other named node (kind "other")."""

from __future__ import annotations

import json
import sys

import pyatspi

ROLES = {
    pyatspi.ROLE_LABEL: "label",
    pyatspi.ROLE_PUSH_BUTTON: "button",
    pyatspi.ROLE_TOGGLE_BUTTON: "button",
    pyatspi.ROLE_CHECK_BOX: "check box",
    pyatspi.ROLE_TEXT: "text",
    pyatspi.ROLE_ENTRY: "text",
    pyatspi.ROLE_PASSWORD_TEXT: "text",
    pyatspi.ROLE_SPIN_BUTTON: "spin box",
    pyatspi.ROLE_COMBO_BOX: "combo box",
    pyatspi.ROLE_PAGE_TAB: "tab",
    pyatspi.ROLE_LIST_ITEM: "list item",
}


def _extents(node):
    box = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    return [box.x, box.y, box.width, box.height]


def _text(node):
    try:
        text = node.queryText()
        return text.getText(0, text.characterCount)
    except NotImplementedError:
        return ""


def _walk(node, items, depth=0):
    if depth > 40:
        return
    for child in node:
        if child is None:
            continue
        states = child.getState()
        if not states.contains(pyatspi.STATE_SHOWING):
            continue
        kind = ROLES.get(child.getRole())
        if kind and states.contains(pyatspi.STATE_SENSITIVE):
            label = _text(child) or child.name
            if label.strip():
                items.append([kind, label, *_extents(child)])
        elif kind is None and child.name:
            items.append(["other", child.name, *_extents(child)])
        if kind != "combo box":
            _walk(child, items, depth + 1)


def main(pid: int) -> None:
    desktop = pyatspi.Registry.getDesktop(0)
    for app in desktop:
        if app is None or app.get_process_id() != pid:
            continue
        for window in app:
            if window is None or not window.getState().contains(pyatspi.STATE_SHOWING):
                continue
            items = []
            _walk(window, items)
            print(json.dumps({"title": window.name, "frame": _extents(window), "items": items}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
