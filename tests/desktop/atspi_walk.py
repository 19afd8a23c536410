"""Read an application's accessibility tree over AT-SPI, as a screen reader does.

Run by Debian's system python (it has `pyatspi`), never by the project's venv, with the
desktop's environment (DISPLAY, DBUS_SESSION_BUS_ADDRESS). Prints JSON on stdout.

    atspi_walk.py tree PID [--timeout S]
        {"app": name, "nodes": [{"path", "role", "name", "description", "text", "value",
                                 "states", "children", "relations", "extents"}, ...]}
        Waits up to S seconds for the application to appear on the bus.
    atspi_walk.py listen PID [--seconds S]
        Prints "ready" once its listeners are registered, then one JSON line per event of PID:
        {"type", "role", "name", "detail", "detail1", "text"}; stops after S seconds or when stdin closes.
"""

from __future__ import annotations

import json
import sys
import time

import pyatspi
from gi.repository import GLib

EVENTS = (
    "object:announcement",
    "object:property-change:accessible-name",
    "object:property-change:accessible-description",
    "object:text-changed",
    "object:state-changed:focused",
    "focus:",
)
MAX_NODES = 3000


def find_app(pid: int, timeout: float):
    """The Qt application of process `pid` (with the gtk3 platform theme GTK registers one too,
    empty and named after the interpreter): the one with windows, waiting for them to appear."""
    deadline = time.monotonic() + timeout
    while True:
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            try:
                if app is not None and app.get_process_id() == pid and app.childCount > 0:
                    return app
            except Exception:  # noqa: BLE001 - an application that left the bus meanwhile
                continue
        if time.monotonic() > deadline:
            return None
        time.sleep(0.25)


def text_of(node) -> str | None:
    try:
        text = node.queryText()
    except NotImplementedError:
        return None
    return text.getText(0, text.characterCount)


def value_of(node) -> float | None:
    try:
        return node.queryValue().currentValue
    except NotImplementedError:
        return None


def extents_of(node) -> list[int] | None:
    try:
        box = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    except NotImplementedError:
        return None
    return [box.x, box.y, box.width, box.height]


def relations_of(node) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for relation in node.getRelationSet():
        kind = pyatspi.relationToString(relation.getRelationType()) if hasattr(pyatspi, "relationToString") \
            else str(relation.getRelationType())
        found[kind] = [relation.getTarget(i).name or "" for i in range(relation.getNTargets())]
    return found


def describe(node, path: str) -> dict:
    states = node.getState().getStates()
    return {
        "path": path,
        "role": node.getRoleName(),
        "name": node.name or "",
        "description": node.description or "",
        "text": text_of(node),
        "value": value_of(node),
        "states": sorted(pyatspi.stateToString(s) for s in states),
        "children": node.childCount,
        "relations": relations_of(node),
        "extents": extents_of(node),
    }


def walk(app) -> list[dict]:
    nodes: list[dict] = []
    stack = [(app, "0")]
    while stack and len(nodes) < MAX_NODES:
        node, path = stack.pop()
        if node is None:
            continue
        try:
            nodes.append(describe(node, path))
            children = [(node.getChildAtIndex(i), f"{path}.{i}") for i in range(node.childCount)]
        except Exception as exc:  # noqa: BLE001 - a node deleted while walking
            nodes.append({"path": path, "error": str(exc)})
            continue
        stack.extend(reversed(children))
    return nodes


def tree(pid: int, timeout: float) -> int:
    app = find_app(pid, timeout)
    if app is None:
        print(json.dumps({"error": f"no application with pid {pid} on the accessibility bus"}))
        return 1
    print(json.dumps({"app": app.name, "nodes": walk(app)}))
    return 0


def listen(pid: int, seconds: float) -> int:
    loop = GLib.MainLoop()

    def on_event(event) -> None:
        source = event.source
        try:
            if source is None or source.get_process_id() != pid:
                return
            record = {
                "type": event.type,
                "role": source.getRoleName(),
                "name": source.name or "",
                "detail": str(event.any_data) if event.any_data is not None else "",
                "detail1": event.detail1,
                "text": text_of(source),
            }
        except Exception as exc:  # noqa: BLE001 - the source left the bus
            record = {"type": event.type, "error": str(exc)}
        print(json.dumps(record), flush=True)

    for kind in EVENTS:
        pyatspi.Registry.registerEventListener(on_event, kind)
    GLib.timeout_add(int(seconds * 1000), loop.quit)
    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_HUP | GLib.IO_IN, lambda *_: loop.quit() or False)
    print("ready", flush=True)
    loop.run()
    return 0


def main(argv: list[str]) -> int:
    mode, pid = argv[1], int(argv[2])
    option = float(argv[4]) if len(argv) > 4 else 20.0
    if mode == "tree":
        return tree(pid, option)
    if mode == "listen":
        return listen(pid, option)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
