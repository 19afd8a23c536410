"""Reading the running app over AT-SPI, as Orca does: the accessibility tree and the events
it emits. The reading is done by atspi_walk.py under Debian's system python (it has
`pyatspi`; the project's venv has not), with the desktop's environment (its D-Bus session,
where the harness switched accessibility on).

Also the checks a screen-reader user needs from a tree: every message readable, no
control without a name, every name containing the label the user sees.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

WALKER = Path(__file__).with_name("atspi_walk.py")
SYSTEM_PYTHON = "/usr/bin/python3"
# Roles a screen reader announces by name: one without a name is read as "button", "text", …
NAMED_ROLES = {
    "push button", "toggle button", "check box", "radio button", "combo box", "text", "password text",
    "spin button", "page tab", "slider", "list", "table", "tree", "menu item",
}


def _run_walker(env: dict[str, str], *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SYSTEM_PYTHON, str(WALKER), *args], env=_system_env(env), capture_output=True,
                          text=True, timeout=timeout, check=False)


def _system_env(env: dict[str, str]) -> dict[str, str]:
    """The desktop's variables without the venv's: the system python must import its own pyatspi."""
    return {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def tree(env: dict[str, str], pid: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Every node of the app's accessibility tree (see atspi_walk.py for the fields)."""
    out = _run_walker(env, "tree", str(pid), "--timeout", str(timeout), timeout=timeout + 40)
    assert out.returncode == 0, f"AT-SPI walk failed: {out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    return json.loads(out.stdout)["nodes"]


def wait_tree(env: dict[str, str], pid: int, predicate: Any, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Walk until `predicate(nodes)` holds (the bridge catches up with the widgets), or fail."""
    deadline = time.monotonic() + timeout
    while True:
        nodes = tree(env, pid)
        if predicate(nodes):
            return nodes
        if time.monotonic() > deadline:
            return nodes  # the caller's assertion says what is missing
        time.sleep(0.3)


class Listener:
    """AT-SPI events of one app, collected by a walker in `listen` mode while the test acts."""

    def __init__(self, env: dict[str, str], pid: int, seconds: float = 90.0) -> None:
        self._errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, str(WALKER), "listen", str(pid), "--seconds", str(seconds)],
            env=_system_env(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors, text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().strip()
        if first != "ready":
            self.stop()
            self._errors.seek(0)
            raise AssertionError(f"the AT-SPI listener did not start: {first!r} {self._errors.read()[-2000:]}")
        self.events: list[dict[str, Any]] = []
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="atspi-listener", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                with self._arrived:
                    self.events.append(json.loads(line))
                    self._arrived.notify_all()

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> dict[str, Any] | None:
        """The first event for which `predicate(event)` holds, waiting up to `timeout` s; None if none."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = next((e for e in self.events if predicate(e)), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                self._arrived.wait(left)

    def stop(self) -> list[dict[str, Any]]:
        """Stop listening; every event seen, in order."""
        assert self.proc.stdin is not None
        if not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if hasattr(self, "_reader"):
            self._reader.join(10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self._errors.close()
        return list(self.events)


# ------------------------------------------------------------------------------------ checks


def normalised(text: str) -> str:
    """Words only: no case, punctuation, ellipsis or mnemonic."""
    return " ".join(re.findall(r"[^\W_]+", text.replace("&", "").lower()))


def showing(nodes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for n in nodes if "error" not in n and "showing" in n["states"]]


def readable(node: dict[str, Any]) -> str:
    """What a screen reader can read of a node: its name, text and description."""
    return " ".join(x for x in (node["name"], node.get("text") or "", node["description"]) if x)


def unreadable_texts(nodes: list[dict[str, Any]], texts: Iterable[str]) -> list[str]:
    """The texts no showing node lets a screen reader read."""
    pool = [normalised(readable(n)) for n in showing(nodes)]
    return [t for t in texts if not any(normalised(t) in p for p in pool)]


def unnamed(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Showing controls (focusable, or of a role announced by name) with no name and no label."""
    return [
        n for n in showing(nodes)
        if not n["name"].strip() and not n["relations"].get("labelled by")
        and ("focusable" in n["states"] or n["role"] in NAMED_ROLES)
    ]


def labels_not_in_names(nodes: list[dict[str, Any]], labels: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(role, visible label) pairs with no showing node of that role whose name — or label
    relation — contains the label (WCAG 2.5.3 "Label in Name")."""
    missing = []
    for role, label in labels:
        want = normalised(label)
        if not any(
            n["role"] == role
            and (want in normalised(n["name"]) or any(want in normalised(x) for x in n["relations"].get(
                "labelled by", [])))
            for n in showing(nodes)
        ):
            missing.append((role, label))
    return missing
