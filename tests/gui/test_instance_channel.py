"""The running window's command channel (issue 12 item 9; issue 16's `ptt` will use it too):
one line in, one line out, private to the user, one channel per data dir."""

from __future__ import annotations

import os
import socket
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from desktop_assistant.ui.instance_channel import ChannelError, InstanceChannel, channel_name, send_command

pytestmark = pytest.mark.gui


def _in_thread(qtbot: Any, work: Any) -> Any:
    """Run a blocking client in a thread while the GUI thread serves the channel."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = work()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=15000)
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_each_data_dir_has_its_own_channel_in_the_runtime_dir(tmp_path: Path, runtime_dir: Path) -> None:
    first, second = channel_name(tmp_path / "a"), channel_name(tmp_path / "b")
    assert first != second
    assert channel_name(tmp_path / "a") == first
    assert Path(first).parent == runtime_dir


def test_show_is_answered_ok_and_runs_its_handler(qtbot: Any, tmp_path: Path, runtime_dir: Path) -> None:
    asked: list[list[str]] = []
    channel = InstanceChannel(channel_name(tmp_path), {"show": asked.append})
    assert channel.listen()
    try:
        assert _in_thread(qtbot, lambda: send_command(channel.name, "show")) == "ok"
        assert asked == [[]]
        assert _in_thread(qtbot, lambda: send_command(channel.name, "show now")) == "ok"
        assert asked == [[], ["now"]]
    finally:
        channel.close()


def test_unknown_and_failing_commands_are_answered_with_an_error(
    qtbot: Any, tmp_path: Path, runtime_dir: Path
) -> None:
    def broken(_words: list[str]) -> None:
        raise RuntimeError("no window")

    channel = InstanceChannel(channel_name(tmp_path), {"show": broken})
    assert channel.listen()
    try:
        assert _in_thread(qtbot, lambda: send_command(channel.name, "dance")).startswith("error unknown command")
        assert _in_thread(qtbot, lambda: send_command(channel.name, "show")) == "error no window"
    finally:
        channel.close()


@pytest.mark.skipif(sys.platform == "win32", reason="a named pipe on Windows")
def test_the_socket_is_this_user_s_only_and_removed_on_close(tmp_path: Path, runtime_dir: Path) -> None:
    os.umask(old := os.umask(0))  # the most permissive umask: the mode must not come from it
    try:
        channel = InstanceChannel(channel_name(tmp_path), {})
        assert channel.listen()
    finally:
        os.umask(old)
    path = Path(channel.path)
    info = path.stat()
    assert stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid()
    assert stat.S_IMODE(info.st_mode) & 0o077 == 0, oct(info.st_mode)
    channel.close()
    assert not path.exists()


def test_a_socket_left_by_a_crash_does_not_stop_the_next_window(
    qtbot: Any, tmp_path: Path, runtime_dir: Path
) -> None:
    name = channel_name(tmp_path)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(name)
    stale.close()  # the file stays, nobody listens: what a killed window leaves
    channel = InstanceChannel(name, {"show": lambda _w: None})
    assert channel.listen()
    try:
        assert _in_thread(qtbot, lambda: send_command(name, "show")) == "ok"
    finally:
        channel.close()


def test_nobody_listening_is_told_within_the_timeout(tmp_path: Path, runtime_dir: Path) -> None:
    start = time.monotonic()
    with pytest.raises(ChannelError) as caught:
        send_command(channel_name(tmp_path), "show", connect_timeout=0.3)
    assert caught.value.reason == "absent"
    assert time.monotonic() - start < 5


def test_a_listener_that_never_answers_is_told_apart(tmp_path: Path, runtime_dir: Path) -> None:
    hung = socket.socket(socket.AF_UNIX)
    hung.bind(channel_name(tmp_path))
    hung.listen(1)  # accepts connections in the kernel, never reads: a hung window
    try:
        with pytest.raises(ChannelError) as caught:
            send_command(channel_name(tmp_path), "show", connect_timeout=1, answer_timeout=0.3)
        assert caught.value.reason == "silent"
    finally:
        hung.close()


def test_an_over_long_line_is_cut_off_not_buffered(qtbot: Any, tmp_path: Path, runtime_dir: Path) -> None:
    asked: list[list[str]] = []
    channel = InstanceChannel(channel_name(tmp_path), {"show": asked.append})
    assert channel.listen()
    try:
        def flood() -> bytes:
            with socket.socket(socket.AF_UNIX) as client:
                client.settimeout(10)
                client.connect(channel.path)
                client.sendall(b"show " + b"x" * 4000 + b"\n")
                return client.recv(100)  # b"": the window hung up

        assert _in_thread(qtbot, flood) == b""
        assert asked == []
    finally:
        channel.close()
