"""Switching agent on the real desktop (issue 12 polish): the picker, reached with its Alt+A
mnemonic and chosen by typing as a keyboard user does, describes the chosen agent, and the
switch is a line in the live chat ("New conversation with Language Tutor — …") that a screen
reader can read and hears, not a banner."""

from __future__ import annotations

import json
from typing import Any

from desktop_assistant.agents import load_agents
from desktop_assistant.paths import bundled_agents_dir
from tests.desktop import atspi
from tests.desktop.test_desktop_accessibility import QUESTION, ask


def combo(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """The agent picker: the window's one combo box (Linux names a combo box by its value)."""
    found = [n for n in atspi.showing(nodes) if n["role"] == "combo box"]
    assert len(found) == 1, [(n["role"], n["name"]) for n in atspi.showing(nodes)]
    return found[0]


def test_switching_agent_is_a_line_in_the_chat(launch_app: Any, desktop: Any, cpu_hog: None) -> None:
    agents = load_agents(bundled_agents_dir())
    tutor, assistant = agents.get("tutor"), agents.get("assistant")
    expected = f"New conversation with {tutor.name} — {tutor.description}"
    app = launch_app()
    pid = app.proc.pid
    nodes = atspi.tree(app.env, pid)
    assert combo(nodes)["description"] == assistant.description
    ask(app, nodes, QUESTION)
    app.wait_messages(2)
    banners = app.count_log(r"banner: ")

    listener = atspi.Listener(app.env, pid)
    try:
        app.focus()
        app.key("alt+a")  # the picker's mnemonic ("&Agent:")
        app.type("L")  # keyboard search: Language Tutor
        app.wait_log(r"settings changed: agent")  # the switch was made (the line is read below)
        heard = listener.wait_for(lambda e: e["type"] == "object:announcement" and e["detail"] == expected,
                                  timeout=10)
        nodes = atspi.wait_tree(app.env, pid, lambda ns: not atspi.unreadable_texts(ns, [expected]), timeout=10)
    finally:
        events = listener.stop()

    assert heard is not None, [e for e in events if e["type"] == "object:announcement"]
    assert atspi.unreadable_texts(nodes, [expected]) == []
    assert combo(nodes)["name"] == tutor.name and combo(nodes)["description"] == tutor.description
    shown = [n["name"] for n in atspi.showing(nodes)]
    assert not any(name.startswith(("You said", "Assistant said")) for name in shown), shown  # a new conversation
    assert app.count_log(r"banner: ") == banners  # no banner for it
    assert json.loads((app.home / "config" / "settings.json").read_text())["agent"] == "tutor"
