"""A stand-in for the desktop portal's GlobalShortcuts interface on a session bus, speaking real
D-Bus (jeepney) as xdg-desktop-portal does: `python -m tests.support.portal_standin [--refuse]
[--keep]` owns org.freedesktop.portal.Desktop, answers CreateSession / ListShortcuts /
BindShortcuts with Request `Response` signals, and emits `Activated` / `Deactivated` for the
bound shortcut when its stdin says `press` / `release`. It prints what it was asked, a line each
("bind talk CTRL+ALT+space"), for the test to wait on.

--refuse: the user cancels the desktop's dialog (response 1). --keep: the desktop kept a binding
from a previous start, so ListShortcuts already lists it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
REQUEST = "org.freedesktop.portal.Request"
TRIGGER_SHOWN = "Ctrl+Alt+Space"


class Portal:
    def __init__(self, refuse: bool, keep: bool) -> None:
        self.conn = open_dbus_connection(bus="SESSION")
        self.lock = threading.Lock()
        self.refuse = refuse
        self.bound: list[tuple[str, dict[str, Any]]] = (
            [("talk", {"description": ("s", "kept"), "trigger_description": ("s", TRIGGER_SHOWN)})] if keep else [])
        self.session = ""
        self.count = 0

    def send(self, message: Any) -> None:
        with self.lock:
            self.conn.send(message)

    def say(self, text: str) -> None:
        print(text, flush=True)

    def respond(self, call: Any, token: str, code: int, results: dict[str, Any]) -> None:
        sender = call.header.fields[HeaderFields.sender].lstrip(":").replace(".", "_")
        path = f"{PATH}/request/{sender}/{token}"
        self.send(new_method_return(call, "o", (path,)))
        self.send(new_signal(DBusAddress(path, interface=REQUEST), "Response", "ua{sv}", (code, results)))

    def handle(self, call: Any) -> None:
        fields = call.header.fields
        interface, member = fields.get(HeaderFields.interface), fields.get(HeaderFields.member)
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            if call.body == (SHORTCUTS, "version"):
                self.send(new_method_return(call, "v", (("u", 1),)))
            else:
                self.send(new_error(call, "org.freedesktop.DBus.Error.InvalidArgs"))
        elif interface == "org.freedesktop.host.portal.Registry" and member == "Register":
            self.say(f"registered {call.body[0]}")
            self.send(new_method_return(call))
        elif interface == SHORTCUTS and member == "CreateSession":
            options = call.body[0]
            self.count += 1
            self.session = f"{PATH}/session/stand_in/{options['session_handle_token'][1]}"
            self.say("session")
            self.respond(call, options["handle_token"][1], 0, {"session_handle": ("s", self.session)})
        elif interface == SHORTCUTS and member == "ListShortcuts":
            self.say(f"list {len(self.bound)}")
            self.respond(call, call.body[1]["handle_token"][1], 0, {"shortcuts": ("a(sa{sv})", self.bound)})
        elif interface == SHORTCUTS and member == "BindShortcuts":
            _session, shortcuts, _parent, options = call.body
            for shortcut_id, props in shortcuts:
                self.say(f"bind {shortcut_id} {props['preferred_trigger'][1]}")
            if self.refuse:
                self.respond(call, options["handle_token"][1], 1, {})
                return
            self.bound = [(sid, {"description": props["description"],
                                 "trigger_description": ("s", TRIGGER_SHOWN)}) for sid, props in shortcuts]
            self.respond(call, options["handle_token"][1], 0, {"shortcuts": ("a(sa{sv})", self.bound)})
        else:
            self.send(new_error(call, "org.freedesktop.DBus.Error.UnknownMethod"))

    def emit(self, member: str) -> None:
        body = (self.session, "talk", 0, {})
        self.send(new_signal(DBusAddress(PATH, interface=SHORTCUTS), member, "osta{sv}", body))
        self.say(f"emitted {member}")

    def commands(self) -> None:
        for line in sys.stdin:
            word = line.strip()
            if word == "press":
                self.emit("Activated")
            elif word == "release":
                self.emit("Deactivated")

    def run(self) -> None:
        reply = self.conn.send_and_get_reply(message_bus.RequestName(NAME, 4), timeout=10)
        if reply.body[0] != 1:
            raise SystemExit(f"could not own {NAME}: {reply.body}")
        threading.Thread(target=self.commands, daemon=True).start()
        self.say("ready")
        while True:
            message = self.conn.receive()
            if message.header.message_type is MessageType.method_call:
                self.handle(message)


# -- for the tests: a private session bus, the stand-in started on it, and its lines read back ----

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def private_session_bus() -> Iterator[str]:
    """A `dbus-daemon --session` of the test's own; its address."""
    out = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
                         capture_output=True, text=True, check=True, timeout=20)
    address, pid = out.stdout.split()[:2]
    try:
        yield address
    finally:
        os.kill(int(pid), signal.SIGTERM)


class StandIn:
    """The stand-in portal in a subprocess on the bus at `address`."""

    def __init__(self, address: str, *flags: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "DBUS_SESSION_BUS_ADDRESS": address}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.portal_standin", *flags], cwd=REPO,
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_line("ready")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.strip())
                self._changed.notify_all()

    def wait_line(self, prefix: str, timeout: float = 10.0) -> str:
        """The first line it printed that starts with `prefix` (waiting for it)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [line for line in self.lines if line.startswith(prefix)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the stand-in portal did not say {prefix!r}: {self.lines}")
                self._changed.wait(left)

    def tell(self, word: str) -> None:
        """`press` or `release`: it emits Activated or Deactivated."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(word + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refuse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    Portal(args.refuse, args.keep).run()


if __name__ == "__main__":
    main()
