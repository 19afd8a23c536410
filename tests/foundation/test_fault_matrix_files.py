"""The fault matrix, files: agent files that would hang or exhaust the app, `--out` destinations
that cannot be written (checked before the work is done), and a full disk under the data folder
and the log. Real file systems where it matters: a read-only bind mount and a small tmpfs."""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop_assistant.agents import MAX_DEPTH, MAX_FILE_BYTES, load_agents
from desktop_assistant.log import RotatingLogFile
from tests.support.faults import (
    assert_clear_failure,
    assert_usable,
    cli,
    fill,
    read_only_dir,
    small_disk,
)

pytestmark = pytest.mark.timeout(120)

GOOD = "name: Good One\nsystem_prompt: Be good.\n"


# ---- agent files: bounded loading; the others still load, the bad one is named with the reason ----

def _alias_bomb(path: Path) -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    path.write_text("\n".join([*lines, "system_prompt: *i", ""]), encoding="utf-8")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _deep_list(path: Path) -> None:
    path.write_text("system_prompt: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")


def _deep_block(path: Path) -> None:
    path.write_text("system_prompt:\n" + "".join("  " * i + "-\n" for i in range(MAX_DEPTH + 5)), encoding="utf-8")


def _too_big(path: Path) -> None:
    path.write_text("system_prompt: " + "x" * (MAX_FILE_BYTES + 10) + "\n", encoding="utf-8")


def _folder(path: Path) -> None:
    path.mkdir()


def _not_utf8(path: Path) -> None:
    path.write_bytes(b"system_prompt: caf\xe9\n")


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere.yaml")


AGENT_FAULTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "alias-bomb": (_alias_bomb, "aliases expand to more than"),
    "fifo": (_fifo, "named pipe (FIFO), not a regular file"),
    "symlink-to-dev-zero": (_dev_zero, "a device, not a regular file"),
    "10000-deep-list": (_deep_list, f"nested more than {MAX_DEPTH} levels deep"),
    "deep-block-list": (_deep_block, f"nested more than {MAX_DEPTH} levels deep"),
    "too-big": (_too_big, f"more than the {MAX_FILE_BYTES // 1024} KiB"),
    "a-folder": (_folder, "a folder, not a regular file"),
    "not-utf8": (_not_utf8, "not UTF-8"),
    "dangling-symlink": (_dangling, "cannot be read"),
}


@pytest.fixture
def agents_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "agents"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD, encoding="utf-8")
    return folder


@pytest.mark.parametrize("case", list(AGENT_FAULTS))
def test_a_bad_agent_file_is_named_and_the_others_load(agents_dir: Path, case: str) -> None:
    make, reason = AGENT_FAULTS[case]
    bad = agents_dir / "x.yaml"
    make(bad)
    started = time.monotonic()
    loaded = load_agents(agents_dir)
    assert time.monotonic() - started < 30  # bounded (the bomb took 28 s before failing with MemoryError)
    assert list(loaded.agents) == ["good"]
    assert len(loaded.errors) == 1
    error = loaded.errors[0]
    assert error.path == str(bad) and reason in error.message, error.message


def test_bad_agent_files_do_not_stop_the_cli(app_home: Path) -> None:
    folder = app_home / "data" / "agents"
    folder.mkdir(parents=True)
    (folder / "good.yaml").write_text(GOOD, encoding="utf-8")
    for name in ("alias-bomb", "fifo", "symlink-to-dev-zero", "10000-deep-list"):
        AGENT_FAULTS[name][0](folder / f"{name}.yaml")
    result = cli(app_home, "check", "--json", timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    import json

    report = json.loads(result.stdout)["agents"]
    assert "good" in report["loaded"] and "assistant" in report["loaded"]
    named = " ".join(report["errors"])
    for name in ("alias-bomb", "fifo", "symlink-to-dev-zero", "10000-deep-list"):
        assert f"{name}.yaml" in named
    assert_usable(app_home)


# ---- --out destinations: checked first, one line, no .part left ----

def _dir_named_like_the_file(tmp: Path, name: str) -> Path:
    (tmp / name).mkdir()
    return tmp / name


def _missing_folder(tmp: Path, name: str) -> Path:
    return tmp / "no-such-folder" / "deeper" / name


def _below_a_file(tmp: Path, name: str) -> Path:
    (tmp / "plain").write_text("x")
    return tmp / "plain" / name


OUT_FAULTS: dict[str, tuple[Callable[[Path, str], Path], str]] = {
    "a-folder": (_dir_named_like_the_file, "is a folder"),
    "below-a-file": (_below_a_file, "Cannot write"),
}


def _out_command(kind: str, out: Path) -> tuple[str, ...]:
    if kind == "record":
        return ("record", "--seconds", "30", "--out", str(out))
    if kind == "say":
        return ("say", "hello there", "--out", str(out))
    return ("history", "export", "--all", "--out", str(out))


@pytest.mark.parametrize("fault", list(OUT_FAULTS))
@pytest.mark.parametrize("kind", ["record", "say", "export"])
def test_out_that_cannot_be_written_is_one_line_before_any_work(app_home: Path, tmp_path: Path, kind: str,
                                                                   fault: str) -> None:
    make, words = OUT_FAULTS[fault]
    out = make(tmp_path, "out.wav" if kind != "export" else "out.md")
    result = cli(app_home, *_out_command(kind, out), env={"TTS_ENGINE": "espeak"})
    assert "Recording" not in result.stderr  # record: nothing was recorded to be thrown away
    assert_clear_failure(result, 2, str(out), words)
    assert not list(tmp_path.rglob("*.part"))
    assert_usable(app_home)


def test_record_into_a_missing_folder_says_so_before_recording(app_home: Path, tmp_path: Path) -> None:
    out = _missing_folder(tmp_path, "take.wav")
    result = cli(app_home, "record", "--seconds", "30", "--out", str(out))
    assert "Recording" not in result.stderr
    assert_clear_failure(result, 2, "does not exist")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    with read_only_dir(tmp_path / "ro") as path:
        if path is None:
            pytest.skip("a read-only mount needs root (mount --bind -o ro)")
        yield path


@pytest.mark.parametrize("kind", ["record", "say", "export"])
def test_out_on_a_read_only_mount_is_one_line(app_home: Path, read_only: Path, kind: str) -> None:
    out = read_only / ("out.wav" if kind != "export" else "out.md")
    result = cli(app_home, *_out_command(kind, out), env={"TTS_ENGINE": "espeak"})
    assert "Recording" not in result.stderr
    assert_clear_failure(result, 2, str(out), "read-only")
    assert list(read_only.iterdir()) == []
    assert_usable(app_home)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "disk", size_kib=256) as path:
        if path is None:
            pytest.skip("a small tmpfs needs root (mount -t tmpfs)")
        yield path


def _some_history(home: Path) -> None:
    from desktop_assistant.history.store import HistoryStore

    store = HistoryStore.open(home / "data" / "history.db")
    try:
        for i in range(30):
            conv = store.conversation_for_turn("assistant", 3600, new=True)
            store.add_message(conv, "user", f"question {i} " + "words " * 200)
    finally:
        store.close()


def test_export_to_a_full_disk_is_one_line_and_leaves_no_part(app_home: Path, tiny_disk: Path) -> None:
    _some_history(app_home)
    fill(tiny_disk)
    out = tiny_disk / "all.md"
    result = cli(app_home, "history", "export", "--all", "--out", str(out))
    assert_clear_failure(result, 1, str(out), "disk is full")
    assert not out.exists() and not (tiny_disk / "all.md.part").exists()
    assert_usable(app_home)


def test_say_to_a_full_disk_is_one_line_and_leaves_no_part(app_home: Path, tiny_disk: Path) -> None:
    fill(tiny_disk)
    out = tiny_disk / "hello.wav"
    result = cli(app_home, "say", "Hello there, this sentence needs a few kilobytes.", "--out", str(out),
                 env={"TTS_ENGINE": "espeak"})
    assert "Traceback" not in result.stderr
    assert result.returncode in (1, 2), result.stderr  # checked first (no room for a file: 2) or while writing (1)
    assert_clear_failure(result, result.returncode, str(out))
    assert not out.exists() and not list(tiny_disk.glob("*.part"))


# ---- a full disk under the data folder, the log included ----

def test_a_log_file_that_cannot_be_written_warns_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    handler = RotatingLogFile(tmp_path / "app.log", max_bytes=1_000_000, backups=1)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("fault-matrix-log")
    logger.propagate = False
    logger.addHandler(handler)

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    try:
        monkeypatch.setattr(handler.stream, "write", full)
        for i in range(5):
            logger.warning("line %d", i)
    finally:
        logger.removeHandler(handler)
        monkeypatch.undo()
        handler.close()
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "cannot write the log file" in lines[0] and "No space left" in lines[0]


def test_full_disk_under_the_data_folder_is_one_line(tmp_path: Path) -> None:
    with small_disk(tmp_path / "home", size_kib=512) as home:
        if home is None:
            pytest.skip("a small tmpfs needs root (mount -t tmpfs)")
        assert_usable(home)  # history.db and app.log exist
        log_file = home / "logs" / "app.log"
        with open(log_file, "ab") as handle:  # the next log line needs a new block
            handle.write(b"#" * (-log_file.stat().st_size % 4096 or 4096))
        fill(home)
        result = cli(home, "history", "list")
        assert "Logging error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) <= 2, result.stderr  # the log's one warning, and the database's one line
        assert any("cannot write the log file" in line for line in lines), result.stderr
        (home / "filler").unlink()
        (home / "filler-2").unlink(missing_ok=True)
        assert_usable(home)  # space again: everything works, nothing lost
