"""Audio devices: list them, describe what is missing, and pick one from the settings.

`sounddevice` is imported lazily: without PortAudio the import raises OSError, and
the app must still start (and say so) instead of crashing at import time.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from dataclasses import dataclass
from types import ModuleType

from desktop_assistant.errors import AudioError
from desktop_assistant.paths import is_frozen

PROBE_TIMEOUT_S = 15.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    is_default: bool = False


@dataclass(frozen=True)
class DeviceList:
    inputs: tuple[Device, ...]
    outputs: tuple[Device, ...]

    def default_input(self) -> Device | None:
        return next((d for d in self.inputs if d.is_default), self.inputs[0] if self.inputs else None)

    def default_output(self) -> Device | None:
        return next((d for d in self.outputs if d.is_default), self.outputs[0] if self.outputs else None)


def load_sounddevice() -> ModuleType:
    """The sounddevice module; AudioError when PortAudio is missing."""
    try:
        import sounddevice
    except OSError as exc:  # "PortAudio library not found"
        raise AudioError(
            f"Audio is unavailable: PortAudio could not be loaded ({exc})",
            "install it: sudo apt-get install libportaudio2",
        ) from None
    return sounddevice


def list_devices() -> DeviceList:
    """All input and output devices, with the system defaults flagged."""
    sd = load_sounddevice()
    try:
        raw = sd.query_devices()
        apis = sd.query_hostapis()
        default_in, default_out = (int(i) if i is not None else -1 for i in sd.default.device)
    except sd.PortAudioError as exc:
        raise AudioError(f"Cannot list audio devices: {exc}") from None
    inputs, outputs = [], []
    for info in raw:
        dev = Device(
            index=int(info["index"]),
            name=str(info["name"]),
            hostapi=str(apis[info["hostapi"]]["name"]) if info["hostapi"] < len(apis) else "",
            max_input_channels=int(info["max_input_channels"]),
            max_output_channels=int(info["max_output_channels"]),
            default_samplerate=float(info["default_samplerate"]),
        )
        if dev.max_input_channels > 0:
            inputs.append(_flag(dev, dev.index == default_in))
        if dev.max_output_channels > 0:
            outputs.append(_flag(dev, dev.index == default_out))
    return DeviceList(tuple(inputs), tuple(outputs))


def _flag(dev: Device, is_default: bool) -> Device:
    return Device(dev.index, dev.name, dev.hostapi, dev.max_input_channels, dev.max_output_channels,
                  dev.default_samplerate, is_default)


def probe_in_subprocess(timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Initialise PortAudio in a child process first: on a broken sound setup alsa-lib can
    abort() the whole process, which no try/except catches. None when the child survived
    (or cannot be run, as in a frozen app); else why audio is unusable."""
    if is_frozen():
        return None
    code = "import sounddevice as sd; sd.query_devices()"
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                                check=False)
    except subprocess.TimeoutExpired:
        return f"Audio is unavailable: the sound system did not answer within {timeout:.0f} s"
    except OSError as exc:
        log.info("cannot run the audio probe: %s", exc)
        return None
    if result.returncode >= 0:
        return None  # fine, or a Python error that the in-process check will describe precisely
    try:
        name = signal.Signals(-result.returncode).name
    except ValueError:
        name = f"signal {-result.returncode}"
    log.warning("audio probe died with %s: %s", name, result.stderr.strip()[-300:])
    return (f"Audio is unavailable: the sound system failed to start ({name}); "
            "is a sound server or card present?")


def describe_problem(*, probe: bool = True) -> str | None:
    """One line saying why audio cannot work here, or None when it can.

    With `probe` (the default; used by `check`), PortAudio is first initialised in a child
    process, so a sound setup that crashes on start-up is reported instead of killing us.
    """
    if probe:
        crashed = probe_in_subprocess()
        if crashed:
            return crashed
    try:
        devices = list_devices()
    except AudioError as exc:
        return str(exc)
    missing = [kind for kind, found in (("input (microphone)", devices.inputs), ("output", devices.outputs))
               if not found]
    if missing:
        return "No audio " + " and no ".join(missing) + " device found"
    return None


def pick(spec: str | int | None, kind: str, devices: DeviceList | None = None) -> Device:
    """The device for a setting: an index, a (case-insensitive) name or part of one, or the default.

    `kind` is "input" or "output". Raises AudioError when there is no such device.
    """
    devices = devices or list_devices()
    pool = devices.inputs if kind == "input" else devices.outputs
    label = "microphone" if kind == "input" else "audio output"
    if not pool:
        raise AudioError(f"No {label} found", "connect one, or check the system sound settings")
    if spec is None or spec == "":
        found = devices.default_input() if kind == "input" else devices.default_output()
        assert found is not None
        return found
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        index = int(spec)
        for dev in pool:
            if dev.index == index:
                return dev
        raise AudioError(f"There is no {label} with index {index}", _choices(pool))
    wanted = spec.strip().lower()
    exact = [d for d in pool if d.name.lower() == wanted]
    partial = [d for d in pool if wanted in d.name.lower()]
    if exact or len(partial) == 1:
        return (exact or partial)[0]
    if partial:
        raise AudioError(f"'{spec}' matches several {label}s: " + ", ".join(d.name for d in partial),
                         "use the device index")
    raise AudioError(f"There is no {label} named '{spec}'", _choices(pool))


def _choices(pool: tuple[Device, ...]) -> str:
    names = ", ".join(f"{d.index}: {d.name}" for d in pool[:8])
    return f"available: {names}"
