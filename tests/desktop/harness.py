"""A real X11 desktop for tests: Xvfb, the openbox window manager, a private D-Bus session
with the accessibility bus, key autorepeat on at a fast rate, and the real app on the `xcb`
platform driven through the X server with xdotool (what a person's keyboard and mouse do).

`Desktop` owns the processes and stops them on `close()`; `RunningApp` is one started app
(`python -m desktop_assistant`) in its own DESKTOP_ASSISTANT_HOME, read back through its log
file and its history database — what the user gets.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.cpu_share import cpu_exclusive

REPO = Path(__file__).resolve().parents[2]
SCREEN = (1600, 1000)
APP_TITLE = "Desktop Assistant"
# What a user's keyboard does: a repeat starts after 200 ms and runs at 40 per second.
REPEAT_DELAY_MS, REPEAT_RATE_HZ = 200, 40
TOOLS = ("Xvfb", "openbox", "xdotool", "xset", "dbus-daemon", "import")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _stop(proc: subprocess.Popen[bytes] | None, timeout: float = 5.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


class Desktop:
    """Xvfb + openbox + a private session bus (with AT-SPI) on a free display."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env: dict[str, str] = {}
        self.display = ""

    def start(self) -> Desktop:
        self.workdir.mkdir(parents=True, exist_ok=True)
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
             "-nolisten", "tcp", "-ac", "+extension", "RANDR"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        self.procs.append(xvfb)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        runtime = self.workdir / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env = {
            "DISPLAY": self.display,
            "XDG_SESSION_TYPE": "x11",
            "NO_AT_BRIDGE": "0",
            "GTK_A11Y": "atspi",
        }
        base = {**os.environ, **env}
        bus = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
            env=base, capture_output=True, text=True, check=True, timeout=20,
        )
        address, pid = bus.stdout.split()[:2]
        self._bus_pid = int(pid)
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        self.env = {**base, **env}
        self.procs.append(subprocess.Popen(
            ["openbox", "--sm-disable"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self._wait_for_wm()
        self.run("xset", "r", "on")
        self.run("xset", "r", "rate", str(REPEAT_DELAY_MS), str(REPEAT_RATE_HZ))
        self._enable_accessibility()
        return self

    def _wait_for_wm(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=self.env,
                                 capture_output=True, text=True, check=False)
            if "window id" in out.stdout:
                return
            time.sleep(0.1)
        raise RuntimeError("the window manager did not start")

    def _enable_accessibility(self) -> None:
        """Screen reader on, as GNOME's accessibility switch does (Qt then exposes AT-SPI)."""
        subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.a11y.Bus", "/org/a11y/bus",
             "org.freedesktop.DBus.Properties.Set", "string:org.a11y.Status", "string:IsEnabled",
             "variant:boolean:true"],
            env=self.env, capture_output=True, check=False, timeout=20,
        )

    def run(self, *args: str, timeout: float = 30.0) -> str:
        out = subprocess.run(list(args), env=self.env, capture_output=True, text=True, timeout=timeout, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout

    def xdotool(self, *args: str, timeout: float = 30.0) -> str:
        return self.run("xdotool", *args, timeout=timeout)

    def screenshot(self, path: Path, window: str | None = None) -> Path:
        self.run("import", "-window", window or "root", str(path))
        return path

    def active_window(self) -> str:
        """The active window's id, or "" while there is none (for a moment as the focus moves)."""
        out = subprocess.run(["xdotool", "getactivewindow"], env=self.env, capture_output=True, text=True,
                             timeout=30, check=False)
        return out.stdout.strip() if out.returncode == 0 else ""

    def close(self) -> None:
        for proc in reversed(self.procs):
            _stop(proc)
        with suppress(AttributeError, ProcessLookupError):
            os.kill(self._bus_pid, signal.SIGTERM)


@contextmanager
def cpu_hog(cores: int = 1) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Busy loops in other processes: what a loaded machine does to the app's timing (one load at a
    time across the suite's workers: tests/support/cpu_share.py)."""
    with cpu_exclusive():
        procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
        try:
            yield procs
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()


@dataclass
class RunningApp:
    desktop: Desktop
    proc: subprocess.Popen[bytes]
    home: Path
    env: dict[str, str]
    window_id: str = ""
    output: Path = field(default_factory=Path)

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / "app.log"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern: str, timeout: float = 30.0, count: int = 1) -> list[re.Match[str]]:
        """Wait until the app's log holds `count` lines matching `pattern`; return the matches."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = list(regex.finditer(self.log_text()))
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                raise AssertionError(f"the app exited ({self.proc.returncode}) waiting for {pattern!r}\n"
                                     + self.tail())
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not logged {count}x within {timeout} s\n" + self.tail())
            time.sleep(0.05)

    def last_state(self) -> str:
        states = re.findall(r"state: (\w+)", self.log_text())
        return states[-1] if states else ""

    def wait_state(self, state: str, timeout: float = 30.0) -> None:
        """Wait until the window's newest state is `state`."""
        deadline = time.monotonic() + timeout
        while self.last_state() != state:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"state {state!r} not reached within {timeout} s\n" + self.tail())
            time.sleep(0.05)

    def count_log(self, pattern: str) -> int:
        return len(re.findall(pattern, self.log_text()))

    def tail(self, lines: int = 40) -> str:
        out = self.output.read_text(errors="replace") if self.output.exists() else ""
        return "--- app.log ---\n" + "\n".join(self.log_text().splitlines()[-lines:]) + \
            "\n--- output ---\n" + "\n".join(out.splitlines()[-lines:])

    def messages(self) -> list[tuple[str, str, str]]:
        """(role, text, status) of every stored message, oldest first."""
        db = self.home / "data" / "history.db"
        if not db.exists():
            return []
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as con:
            return list(con.execute("SELECT role, text, status FROM messages ORDER BY id"))

    def wait_messages(self, count: int, timeout: float = 60.0) -> list[tuple[str, str, str]]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.messages()
            done = [r for r in rows if r[2] != "streaming"]
            if len(done) >= count:
                return rows
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} finished messages not stored within {timeout} s: {rows}\n"
                                     + self.tail())
            time.sleep(0.1)

    # -- input, through the X server ---------------------------------------------------------------
    def focus(self) -> None:
        self.desktop.xdotool("windowactivate", "--sync", self.window_id)
        self.desktop.xdotool("windowfocus", "--sync", self.window_id)

    def key_down(self, key: str) -> None:
        self.desktop.xdotool("keydown", key)

    def key_up(self, key: str) -> None:
        self.desktop.xdotool("keyup", key)

    def key(self, *keys: str) -> None:
        self.desktop.xdotool("key", "--clearmodifiers", *keys)

    def type(self, text: str) -> None:
        self.desktop.xdotool("type", "--delay", "30", text)

    def close(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        return self.proc.returncode


def app_env(desktop: Desktop, home: Path, *, groq_url: str, theme: str = "light", scale: float | None = None,
            extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(desktop.env)
    env.pop("QT_QPA_PLATFORM", None)  # the real xcb platform
    env.update({
        "QT_QPA_PLATFORM": "xcb",
        "DESKTOP_ASSISTANT_HOME": str(home),
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "STT_MODEL": "tiny.en",
        "GROQ_BASE_URL": groq_url,
        "GROQ_API_KEY": "gsk_loopbacktestkey0123456789",
        "TTS_ENGINE": "espeak",
        "QT_QPA_PLATFORMTHEME": "gtk3",
        "GTK_THEME": "Adwaita:dark" if theme == "dark" else "Adwaita",
        "QT_ACCESSIBILITY": "1",
        "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
        "PYTHONUNBUFFERED": "1",
    })
    if scale is not None:
        env["QT_SCALE_FACTOR"] = str(scale)
    for name, value in (extra or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def launch(desktop: Desktop, home: Path, env: dict[str, str], args: list[str] | None = None,
           timeout: float = 60.0, wait_ready: bool = True, wrap: Callable[[list[str]], list[str]] | None = None,
           ) -> RunningApp:
    """Start the real app and wait for its main window (and, by default, its engine). `wrap` turns
    the command line into another that runs it (e.g. under strace) and keeps its pid."""
    home.mkdir(parents=True, exist_ok=True)
    output = home / "output.txt"
    cmd = [sys.executable, "-m", "desktop_assistant", *(args or [])]
    with open(output, "wb") as out:
        proc = subprocess.Popen(wrap(cmd) if wrap else cmd, cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    app = RunningApp(desktop, proc, home, env, output=output)
    deadline = time.monotonic() + timeout
    while not app.window_id:
        search = ["xdotool", "search", "--all", "--onlyvisible", "--pid", str(proc.pid), "--name", APP_TITLE]
        ids = subprocess.run(search, env=desktop.env, capture_output=True, text=True, check=False).stdout.split()
        if ids:
            app.window_id = ids[0]
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            app.close()
            raise AssertionError("the main window did not appear\n" + app.tail())
        time.sleep(0.1)
    if wait_ready:  # the engine and the speech model
        app.wait_log(r"speech model \S+ ready", timeout=max(1.0, deadline - time.monotonic()))
        app.wait_state("ready", timeout=max(1.0, deadline - time.monotonic()))
    return app
