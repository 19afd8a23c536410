"""Settings' microphone and speaker pickers (issue 12 polish): the sound server's device names
("Monitor of Virtual", "Virtual"), not PortAudio's "pulse" / "default"; the choice is stored as
a setting the recorder opens, and it records from that device (PulseAudio null sinks)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.gui.gui_helpers import saved

pytestmark = [pytest.mark.gui, pytest.mark.audio]


@pytest.fixture
def other_sink() -> Iterator[str]:
    """A second null sink, "Other-Sink", next to test-env.sh's "Virtual" (removed afterwards)."""
    from tests.support.audio import pulse_available

    assert pulse_available(), "run inside scripts/test-env.sh (make test)"
    module = subprocess.run(
        ["pactl", "load-module", "module-null-sink", "sink_name=othersink", "rate=48000",
         "sink_properties=device.description=Other-Sink"],
        capture_output=True, text=True, check=True, timeout=10,
    ).stdout.strip()
    try:
        yield "othersink"
    finally:
        subprocess.run(["pactl", "unload-module", module], check=False, timeout=10)


def test_device_pickers_show_server_names_and_the_choice_records(
    qtbot: Any, fake_window: Any, other_sink: str
) -> None:
    from desktop_assistant.audio.recorder import Recorder
    from tests.support.audio import FIXTURES

    dialog = fake_window.open_settings()
    qtbot.waitUntil(lambda: dialog.input_device.count() > 2, timeout=15000)
    inputs = [dialog.input_device.itemText(i) for i in range(dialog.input_device.count())]
    outputs = [dialog.output_device.itemText(i) for i in range(dialog.output_device.count())]
    assert "Monitor of Virtual (default)" in inputs and "Monitor of Other-Sink" in inputs, inputs
    assert "Virtual (default)" in outputs and "Other-Sink" in outputs, outputs
    assert not {"pulse", "default"} & {t.removesuffix(" (default)") for t in inputs + outputs}
    dialog.input_device.setCurrentIndex(inputs.index("Monitor of Other-Sink"))
    dialog.output_device.setCurrentIndex(outputs.index("Other-Sink"))
    assert saved(dialog)
    settings = fake_window.app.settings
    assert (settings.input_device, settings.output_device) == (f"pulse:{other_sink}.monitor", f"pulse:{other_sink}")

    # The stored setting opens that source: sound played into the other sink only is heard.
    peaks: list[float] = []
    recorder = Recorder(device=settings.input_device, on_level=peaks.append)
    recorder.start()
    try:
        player = subprocess.Popen(["paplay", f"--device={other_sink}", str(FIXTURES / "fox.wav")])
        deadline = time.monotonic() + 15
        while not (peaks and max(peaks) > -35) and time.monotonic() < deadline:
            time.sleep(0.05)
        player.wait(15)
    finally:
        clip = recorder.stop()
    assert peaks and max(peaks) > -35, f"nothing heard from {settings.input_device}: {max(peaks, default=None)}"
    assert clip.duration_s > 0.5
    dialog.close()
