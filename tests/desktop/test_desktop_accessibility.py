"""What Orca gets from the real app over AT-SPI (issue 12, item 5): the real window on the
xcb platform, a typed question answered by the loopback Groq, and the accessibility tree
and its events read by Debian's pyatspi (tests/desktop/atspi.py).

- every message is readable (the stored question and reply are in the tree's names);
- no control is nameless, and each name contains the label the user sees;
- a state change is announced (`object:announcement`, what Orca speaks), and so is a problem;
- the conversation is reached with Shift+Tab and walked with Up/Down, each message read on focus.
"""

from __future__ import annotations

from typing import Any

from desktop_assistant.ui.main_events import STATES
from tests.desktop import atspi

QUESTION = "What is the capital of France?"

# What the main window shows when ready after a turn (role over AT-SPI, visible text).
MAIN_WINDOW_LABELS = [
    ("push button", "New conversation"),
    ("check box", "Mute speech"),
    ("push button", "History"),
    ("push button", "Settings"),
    ("push button", "Hold to talk"),
    ("push button", "Stop (Esc)"),
    ("push button", "Send"),
    ("label", STATES["ready"]),
    ("label", "Speech: tiny.en"),
    ("label", "Mic: default"),
    ("label", "Groq: online"),
]


def node_named(nodes: list[dict[str, Any]], role: str, name: str) -> dict[str, Any]:
    found = [n for n in atspi.showing(nodes) if n["role"] == role and n["name"] == name]
    assert found, f"no showing {role} named {name!r}: {[(n['role'], n['name']) for n in atspi.showing(nodes)]}"
    return found[0]


def click(app: Any, node: dict[str, Any]) -> None:
    x, y, w, h = node["extents"]
    app.desktop.xdotool("mousemove", "--sync", str(x + w // 2), str(y + h // 2), "click", "1")


def ask(app: Any, nodes: list[dict[str, Any]], text: str) -> None:
    """Type a question into the text box, as a user does, and send it with Enter."""
    app.focus()
    click(app, node_named(nodes, "text", "Message"))
    app.type(text)
    app.key("Return")


def focused(event: dict[str, Any], prefix: str) -> bool:
    return event["type"] == "object:state-changed:focused" and event.get("detail1") == 1 \
        and event.get("name", "").startswith(prefix)


def test_a_screen_reader_reads_every_message_and_hears_the_states(
    launch_app: Any, desktop: Any, cpu_hog: None
) -> None:
    app = launch_app()
    pid = app.proc.pid
    nodes = atspi.tree(app.env, pid)
    listener = atspi.Listener(app.env, pid)
    try:
        ask(app, nodes, QUESTION)
        rows = app.wait_messages(2)
        texts = [text for _role, text, _status in rows]
        assert texts[0] == QUESTION and texts[1]
        # the state changes are spoken: Thinking…, and Ready again (the turn is over: the events
        # were sent; the seconds allowed are for the bus to deliver them)
        thinking = listener.wait_for(lambda e: e["type"] == "object:announcement" and e["detail"] == STATES["thinking"],
                                     timeout=10)
        app.wait_log(r"state: ready", count=2)
        ready = listener.wait_for(lambda e: e["type"] == "object:announcement" and e["detail"] == STATES["ready"],
                                  timeout=10)
        nodes = atspi.wait_tree(app.env, pid, lambda ns: not atspi.unreadable_texts(ns, texts), timeout=10)

        # the conversation: one Shift+Tab stop away (talk button, Stop), walked with the arrows
        for _ in range(4):
            app.key("shift+Tab")
            if listener.wait_for(lambda e: focused(e, "Assistant said"), timeout=3):
                break
        reply_focus = listener.wait_for(lambda e: focused(e, "Assistant said"), timeout=5)
        app.key("Up")
        question_focus = listener.wait_for(lambda e: focused(e, "You said"), timeout=10)
    finally:
        events = listener.stop()

    assert atspi.unreadable_texts(nodes, texts) == []
    assert [(n["role"], n["path"]) for n in atspi.unnamed(nodes)] == []
    assert atspi.labels_not_in_names(nodes, [*MAIN_WINDOW_LABELS, ("label", texts[0]), ("label", texts[1])]) == []
    names = [n["name"] for n in atspi.showing(nodes)]
    assert names.count("Message") <= 1  # the text box only
    # (the source's name is read when the event arrives: by then the state may have moved on)
    assert thinking is not None and thinking["role"] == "label" and thinking["name"].startswith("State: "), events
    assert ready is not None
    assert reply_focus is not None and atspi.normalised(texts[1]) in atspi.normalised(reply_focus["name"]), events
    assert question_focus is not None and question_focus["name"] == f"You said: {QUESTION}"


def test_a_problem_is_announced_and_its_action_named_as_shown(
    launch_app: Any, desktop: Any, cpu_hog: None
) -> None:
    app = launch_app(extra_env={"GROQ_API_KEY": None})
    pid = app.proc.pid
    shown = app.wait_log(r"banner: (.+)")[0].group(1)  # the no-key banner, with its "Open Settings"
    nodes = atspi.wait_tree(app.env, pid, lambda ns: not atspi.unreadable_texts(ns, [shown]))
    assert atspi.unreadable_texts(nodes, [shown]) == []
    assert atspi.labels_not_in_names(nodes, [("label", shown)]) == []
    # the banner's own button (next to its message; the top bar has a Settings button too)
    banner = node_named(nodes, "label", shown)["path"].rsplit(".", 1)[0]
    beside = [n["name"] for n in atspi.showing(nodes)
              if n["role"] == "push button" and n["path"].rsplit(".", 1)[0] == banner]
    assert "Open Settings" in beside, beside
    assert [(n["role"], n["path"]) for n in atspi.unnamed(nodes)] == []
    names = [n["name"] for n in atspi.showing(nodes)]
    assert names.count("Message") == 1, names  # the banner no longer shares the text box's name

    listener = atspi.Listener(app.env, pid)
    try:
        ask(app, nodes, QUESTION)  # no key: the turn fails, and the banner says why
        problem = app.wait_log(r"banner: (.+)", count=2)[1].group(1)
        said = listener.wait_for(lambda e: e["type"] == "object:announcement" and e["detail"] == problem, timeout=10)
        error = listener.wait_for(lambda e: e["type"] == "object:announcement" and e["detail"] == STATES["error"],
                                  timeout=10)
    finally:
        events = listener.stop()
    assert said is not None, [e for e in events if e["type"] == "object:announcement"]
    assert error is not None
