"""What the window contacts: the real app on the real desktop, under strace from its first
instruction to its exit, answers a typed question and a spoken one (push-to-talk with the null-sink
microphone, so the VAD and onnxruntime run). Only the loopback Groq is reached over AF_INET (the
window speaks with espeak-ng here, a local program); over AF_UNIX only the desktop's own services
(`desktop_sockets`). Nothing is left in a fresh TMPDIR, nothing of onnxruntime's telemetry in HOME.
See tests/privacy/ for the same with `talk` and the gTTS stand-in."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.desktop.test_desktop_ptt import hold
from tests.privacy.connections import Connection, ended, read_trace, traced, unexpected
from tests.privacy.test_privacy import TELEMETRY_WINDOW_S, port_of, sound_sockets
from tests.support.groq_server import GroqBehaviour

REPLY = "It is sunny in London."


def report(connections: list[Connection]) -> str:
    return "connections seen:\n" + "\n".join(sorted({str(c).split(" (")[0] for c in connections}))


@pytest.mark.audio
def test_the_window_contacts_only_the_loopback_groq(launch_app: Any, groq_server: Any, desktop: Any,
                                                   tmp_path: Path) -> None:
    if shutil.which("strace") is None:  # never skipped: `make test` installs it
        pytest.fail("this test needs strace: run scripts/sysdeps.sh test", pytrace=False)
    groq_server.default = GroqBehaviour(reply=REPLY)
    tmpdir, user_home, trace = tmp_path / "tmpdir", tmp_path / "user", tmp_path / "window.trace"
    tmpdir.mkdir()
    user_home.mkdir()
    app = launch_app(extra_env={"TMPDIR": str(tmpdir), "HOME": str(user_home), "XDG_CACHE_HOME": None,
                                "XDG_CONFIG_HOME": None, "XDG_DATA_HOME": None, "ORT_DISABLE_TELEMETRY": None},
                     wrap=lambda cmd: traced(cmd, trace, detached=True))
    app.focus()
    app.type("hello there")
    app.key("Return")
    app.wait_messages(2)
    app.wait_state("ready")
    app.key("Tab")  # away from the message box: Space talks
    hold(app, 3.6)
    app.wait_messages(4, timeout=60)
    voice_done = time.monotonic()
    app.wait_state("ready")
    time.sleep(max(0.0, voice_done + TELEMETRY_WINDOW_S - time.monotonic()))  # a window to watch, not a proof
    assert app.close() == 0, app.tail()
    deadline = time.monotonic() + 20
    while not ended(trace, app.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ended(trace, app.proc.pid), "strace did not record the app's end"

    rows = app.messages()
    # the spoken question was heard (through the VAD and Whisper; accuracy is tests/audio's business)
    assert [role for role, _, _ in rows] == ["user", "assistant"] * 2 and len(rows[2][1].split()) >= 3, rows
    connections = read_trace(trace)
    groq = ("127.0.0.1", port_of(groq_server.base_url))
    inet = {(c.address, c.port) for c in connections if c.family in ("AF_INET", "AF_INET6")}
    assert inet == {groq}, report(connections)
    assert unexpected(connections, {groq}, sound_sockets() + desktop_sockets(desktop)) == [], \
        report(connections)
    assert sorted(p.name for p in tmpdir.iterdir()) == []
    assert [str(p.relative_to(user_home)) for p in user_home.rglob("*") if "Microsoft" in p.parts] == []


def bus_socket(address: str) -> str:
    """A D-Bus address's socket as strace shows it (an abstract one starts with @)."""
    found = re.search(r"unix:(path|abstract)=([^,;]+)", address)
    assert found is not None, address
    return ("@" if found.group(1) == "abstract" else "") + found.group(2)


def desktop_sockets(desktop: Any) -> list[str]:
    """The window's AF_UNIX peers besides the sound system: the X server (its abstract socket, or
    the path), the session bus and the accessibility bus (a screen reader is on in this desktop, so
    Qt talks to AT-SPI; the bus tells where it is). Everything else is unexpected."""
    display = desktop.env["DISPLAY"].lstrip(":").split(".")[0]
    a11y = desktop.run("dbus-send", "--session", "--print-reply", "--dest=org.a11y.Bus", "/org/a11y/bus",
                       "org.a11y.Bus.GetAddress")
    return [rf"@?/tmp/\.X11-unix/X{display}", re.escape(bus_socket(desktop.env["DBUS_SESSION_BUS_ADDRESS"])),
            re.escape(bus_socket(a11y))]
