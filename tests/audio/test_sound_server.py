"""The test sound server itself: scripts/test-env.sh starts one for a run, and under pytest-xdist
each worker starts its own (tests/conftest.py), so what one test plays into its null sink is never
heard by a recording on another worker."""

from __future__ import annotations

import os
import subprocess

import pytest


@pytest.mark.audio
def test_this_process_has_a_private_null_sink_microphone() -> None:
    server = os.environ["PULSE_SERVER"]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # its own server, not the one test-env.sh started for the controller
        assert f"/da-pulse-{worker}." in server, server
    info = subprocess.run(["pactl", "info"], capture_output=True, text=True, check=True, timeout=10).stdout
    assert server.removeprefix("unix:") in info, info
    assert "Default Sink: vsink" in info and "Default Source: vsink.monitor" in info, info
