"""From the key banner to a working key on the real desktop (issue 12, Settings polish): the app
started without a Groq key shows the no-key banner; its "Open Settings" button, clicked through
the X server, opens Settings with the keyboard focus in the key field, so the key typed next lands
there; "Test key" asks the loopback Groq with that key and says it works; Apply stores it and the
banner goes. The buttons are found over AT-SPI (as a screen reader sees them) and clicked with
xdotool; what happened is read from the app's log, the loopback server and the key file."""

from __future__ import annotations

import time
from typing import Any

from tests.desktop import atspi
from tests.desktop.test_desktop_windows import find_window, wait_active
from tests.support.groq_server import CHAT_PATH

KEY = "gsk_desktopsettingskey0123456789"


def showing_node(app: Any, role: str, name: str, timeout: float = 30.0) -> dict[str, Any]:
    """The showing node of `role` named `name`, once the accessibility bridge has it."""
    deadline = time.monotonic() + timeout
    while True:
        nodes = atspi.showing(atspi.tree(app.env, app.proc.pid))
        found = [n for n in nodes if n["role"] == role and n["name"] == name and n["extents"]]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no showing {role} {name!r}: {sorted({(n['role'], n['name']) for n in nodes})}")
        time.sleep(0.3)


def click(app: Any, node: dict[str, Any]) -> None:
    x, y, w, h = node["extents"]
    app.desktop.xdotool("mousemove", "--sync", str(x + w // 2), str(y + h // 2), "click", "1")


def test_key_banner_opens_the_key_field_and_a_tested_key_clears_the_banner(
    launch_app: Any, desktop: Any, groq_server: Any, cpu_hog: None
) -> None:
    app = launch_app(extra_env={"GROQ_API_KEY": None})
    assert app.wait_log(r"banner: (.+)")[0].group(1).startswith("No Groq API key")
    app.focus()
    click(app, showing_node(app, "push button", "Open Settings"))

    settings = find_window(desktop, app.proc.pid, "^Settings")
    wait_active(desktop, settings, timeout=15)
    app.type(KEY)  # no click: the key field has the keyboard focus
    click(app, showing_node(app, "push button", "Test key"))
    app.wait_log(r"settings: key test: works", timeout=30)
    asked = [r for r in groq_server.received if r.path == CHAT_PATH]
    assert asked and asked[-1].headers["authorization"] == f"Bearer {KEY}", "the test did not use the typed key"
    said = [n["name"] for n in atspi.showing(atspi.tree(app.env, app.proc.pid)) if n["role"] == "label"]
    assert any(name.startswith("✓ The key works") for name in said), said  # what a screen reader reads

    click(app, showing_node(app, "push button", "Apply"))
    app.wait_log(r"banner cleared \(no_key\)", timeout=15)
    assert (app.home / "config" / "groq_api_key").read_text() == KEY
    assert KEY not in app.log_text()
