"""`desktop-assistant ptt …` as a key binding runs it: a real subprocess of the CLI against a listener
on the window's channel path (the window's side is tests/gui/test_talk_control.py; the real app,
tests/desktop/test_desktop_ptt_command.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop_assistant.channel_client import CONNECT_TIMEOUT_S, ChannelError, channel_name, send_command

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(90)


def ptt(home: Path, runtime: Path, *words: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home), "XDG_RUNTIME_DIR": str(runtime),
           "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "desktop_assistant", "ptt", *words], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=60, check=False)


class Listener:
    """A stand-in window on the channel's socket: records each line, answers `answer`."""

    def __init__(self, path: str, answer: str = "ok") -> None:
        self.lines: list[str] = []
        self.answer = answer
        self._server = socket.socket(socket.AF_UNIX)
        self._server.bind(path)
        self._server.listen(4)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                peer, _ = self._server.accept()
            except OSError:
                return
            with peer:
                line = peer.makefile("rb").readline().decode()
                self.lines.append(line)
                peer.sendall(self.answer.encode() + b"\n")

    def close(self) -> None:
        self._server.close()


def test_with_no_window_it_says_so_in_one_line_and_exits_1(tmp_path: Path, runtime_dir: Path) -> None:
    started = time.monotonic()
    done = ptt(tmp_path / "home", runtime_dir, "press")
    took = time.monotonic() - started
    assert done.returncode == 1, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "No Desktop Assistant window is running" in lines[0] and "`desktop-assistant`" in lines[0], lines
    assert done.stdout == ""
    assert took < CONNECT_TIMEOUT_S, took  # no waiting for a window that is not there (one try, ~0.2 s)


def test_a_lock_left_by_a_window_that_ended_does_not_make_it_wait(tmp_path: Path, runtime_dir: Path) -> None:
    home = tmp_path / "home"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    (home / "data").mkdir(parents=True)
    (home / "data" / "window.lock").write_text(gone.stdout)  # what a crashed window leaves
    started = time.monotonic()
    done = ptt(home, runtime_dir, "toggle")
    assert time.monotonic() - started < CONNECT_TIMEOUT_S
    assert done.returncode == 1 and "No Desktop Assistant window is running" in done.stderr, done


def test_a_window_still_starting_is_waited_for(tmp_path: Path, runtime_dir: Path) -> None:
    """The window holds the lock but opens its channel only after its first frame: `ptt` waits for it."""
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    (home / "data" / "window.lock").write_text(f"{os.getpid()}\n")  # a live process holds it
    name = channel_name(home / "data")
    later = threading.Timer(1.0, lambda: listeners.append(Listener(name)))
    listeners: list[Listener] = []
    later.start()
    try:
        done = ptt(home, runtime_dir, "press")
    finally:
        later.join()
        for listener in listeners:
            listener.close()
    assert done.returncode == 0, done
    assert listeners and listeners[0].lines == ["ptt press\n"]


@pytest.mark.parametrize("words", [("dance",), (), ("PRESS", "now")], ids=["unknown", "missing", "extra"])
def test_a_word_it_does_not_know_is_one_line_and_exit_2(tmp_path: Path, runtime_dir: Path,
                                                        words: tuple[str, ...]) -> None:
    done = ptt(tmp_path / "home", runtime_dir, *words)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "press, release, toggle, show" in lines[0], done.stderr


@pytest.mark.parametrize("word", ["press", "release", "toggle", "show"])
def test_each_word_is_sent_to_the_window_as_one_line(tmp_path: Path, runtime_dir: Path, word: str) -> None:
    home = tmp_path / "home"
    listener = Listener(channel_name(home / "data"))
    try:
        done = ptt(home, runtime_dir, word)
    finally:
        listener.close()
    assert done.returncode == 0, done
    assert listener.lines == [f"ptt {word}\n"]
    assert done.stderr == "" and done.stdout == ""


def test_a_window_that_cannot_do_it_is_reported_with_its_reason(tmp_path: Path, runtime_dir: Path) -> None:
    home = tmp_path / "home"
    listener = Listener(channel_name(home / "data"), answer="error the talk button is disabled")
    try:
        done = ptt(home, runtime_dir, "press")
    finally:
        listener.close()
    assert done.returncode == 1, done
    assert done.stderr.strip().splitlines() == [
        "desktop-assistant: The window could not press: the talk button is disabled"]


def test_it_loads_neither_qt_nor_the_key_store_nor_the_other_commands(tmp_path: Path, runtime_dir: Path) -> None:
    home = tmp_path / "home"
    listener = Listener(channel_name(home / "data"))
    probe = ("import sys; from desktop_assistant.cli import main; code = main(['ptt', 'show']); "
             "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'keyring', 'numpy') "
             "or m.startswith('desktop_assistant.commands.') and m != 'desktop_assistant.commands.ptt'); "
             "print(code, loaded)")
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home), "XDG_RUNTIME_DIR": str(runtime_dir),
           "PYTHONPATH": str(REPO)}
    env.pop("GROQ_API_KEY", None)
    try:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=REPO,
                              timeout=60, check=False)
    finally:
        listener.close()
    assert done.stdout.strip() == "0 []", done
    assert listener.lines == ["ptt show\n"]


@pytest.mark.skipif(sys.platform == "win32" or os.getuid() != 0, reason="needs root to make another user's socket")
def test_a_socket_another_user_made_is_not_talked_to(tmp_path: Path, runtime_dir: Path) -> None:
    name = channel_name(tmp_path / "data")
    listener = Listener(name)
    try:
        os.chown(name, 65534, 65534)  # nobody's: e.g. squatted in a shared temp dir
        with pytest.raises(ChannelError) as caught:
            send_command(name, "ptt press", connect_timeout=0)
        assert caught.value.reason == "absent" and "another user" in str(caught.value)
        assert listener.lines == []
    finally:
        listener.close()


@pytest.mark.parametrize(("argv", "command"), [
    (["ptt", "press"], "ptt"), (["--debug", "ptt", "toggle"], "ptt"), (["--stt-model", "ptt", "history", "list"],
    "history"), (["--llm-model=x", "talk"], "talk"), ([], None), (["--version"], None), (["bogus"], None),
])
def test_the_cli_finds_the_command_to_load_alone(argv: list[str], command: str | None) -> None:
    from desktop_assistant.cli import command_in

    assert command_in(argv) == command
