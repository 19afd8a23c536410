"""A real terminal for command-line tests: a private tmux server runs the command in a pane;
tests type with `send-keys` and read what a user sees with `capture-pane` (wrapped lines
joined, so one logical line is one line of `screen()`)."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


class TmuxTerminal:
    def __init__(self, tmp: Path, command: Sequence[str], env: dict[str, str], *, width: int = 100,
                 height: int = 40) -> None:
        self.socket = tmp / "tmux.sock"
        config = tmp / "tmux.conf"
        # keep the pane after the command exits, to read its last screen and its exit status
        config.write_text("set -g remain-on-exit on\nset -g history-limit 5000\n")
        self._env = env
        self._tmux("-f", str(config), "new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height),
                   "--", *command)
        self.screens: list[str] = []  # every screen read, in order

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True, text=True,
                                env=self._env, timeout=10, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def keys(self, *keys: str) -> None:
        """Keys by tmux's names: "Enter", "C-d", "C-c"."""
        self._tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "t", "-l", text)

    def screen(self) -> str:
        text = self._tmux("capture-pane", "-p", "-J", "-t", "t", "-S", "-")
        self.screens.append(text)
        return text

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen().splitlines()]

    def wait_for(self, pattern: str | Callable[[str], bool], timeout: float = 30.0) -> str:
        """Read the screen about 20 times a second until `pattern` (a regex, or a test) holds."""
        check = pattern if callable(pattern) else (lambda s: re.search(pattern, s) is not None)
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"the terminal never showed {pattern!r}; it shows:\n{text}")
            time.sleep(0.05)

    def exit_status(self) -> int | None:
        """The command's exit status once it has ended (-N: killed by signal N), else None."""
        dead, status, signal = self._tmux("display-message", "-p", "-t", "t",
                                          "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}").strip().split(":")
        if dead != "1":
            return None
        return int(status) if status else -int(signal or 0)

    def wait_exit(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while (status := self.exit_status()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the command did not end; it shows:\n{self.screen()}")
            time.sleep(0.05)
        return status

    def close(self) -> None:
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True, env=self._env,
                       timeout=10, check=False)
