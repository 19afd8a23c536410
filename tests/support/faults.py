"""The fault matrix's tools: the real CLI in a subprocess, what a clear failure looks like, and
file systems that are read-only or full (real mounts: the tests run as root in CI; without the
privilege a test that needs one is skipped with the reason)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: settings a developer's shell may carry (tests/conftest.py removes them from os.environ too)
_DROP = ("GROQ_API_KEY", "GROQ_BASE_URL", "DEBUG", "LLM_MODEL", "STT_MODEL", "TTS_ENGINE", "AGENT")


def cli(home: Path, *args: str | bytes, env: dict[str, str] | None = None, stdin: bytes | None = None,
        timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """`python -m desktop_assistant ARGS` from this checkout, in `home`; stdout/stderr as text
    (undecodable bytes shown as \\xNN, never an error of the test itself)."""
    full = {k: v for k, v in os.environ.items() if k not in _DROP}
    full.update({"DESKTOP_ASSISTANT_HOME": str(home), "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1",
                 "TTS_ENGINE": "none", **(env or {})})
    raw = subprocess.run([sys.executable, "-m", "desktop_assistant", *args], input=stdin, capture_output=True,
                         env=full, timeout=timeout, check=False)
    return subprocess.CompletedProcess(raw.args, raw.returncode, raw.stdout.decode("utf-8", "backslashreplace"),
                                       raw.stderr.decode("utf-8", "backslashreplace"))


def assert_clear_failure(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """Exit `code`, exactly one line on stderr that holds every one of `words`, no traceback."""
    assert "Traceback" not in result.stderr and "Logging error" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == code, (result.returncode, result.stderr)
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert lines[0].startswith("desktop-assistant: ")
    return lines[0]


def assert_usage_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """An argparse refusal: exit 2, the usage, then one `error:` line holding `words`."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "error: argument" in last, result.stderr
    for word in words:
        assert word in last, (word, last)
    return last


def assert_usable(home: Path) -> None:
    """The app works right after: `history list` answers."""
    after = cli(home, "history", "list")
    assert after.returncode == 0 and "Traceback" not in after.stderr, after.stderr


def _mount(*args: str) -> bool:
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", *args], capture_output=True, timeout=30, check=False).returncode == 0


def _umount(path: Path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True, timeout=30, check=False).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30, check=False)


@contextlib.contextmanager
def read_only_dir(path: Path) -> Iterator[Path | None]:
    """`path` (created) bind-mounted read-only over itself; None when mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    if not _mount("--bind", "-o", "ro", str(path), str(path)):
        yield None
        return
    try:
        yield path
    finally:
        _umount(path)


@contextlib.contextmanager
def small_disk(path: Path, size_kib: int = 512) -> Iterator[Path | None]:
    """A tmpfs of `size_kib` at `path` (`fill(path)` uses up what is left of it); None when
    mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    if not _mount("-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", f"fault-{uuid.uuid4().hex[:8]}", str(path)):
        yield None
        return
    try:
        yield path
    finally:
        _umount(path)


def fill(path: Path) -> None:
    """Use up every free byte of the file system holding `path`."""
    with open(path / "filler", "ab", buffering=0) as handle, contextlib.suppress(OSError):
        while handle.write(b"\0" * 4096):
            pass
    with contextlib.suppress(OSError), open(path / "filler-2", "ab", buffering=0) as last:  # a last partial block
        while last.write(b"\0"):
            pass
