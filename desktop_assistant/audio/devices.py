"""Audio devices: list them, describe what is missing, and pick one from the settings.

`sounddevice` is imported lazily: without PortAudio the import raises OSError, and
the app must still start (and say so) instead of crashing at import time.

With PulseAudio or PipeWire, `list_devices(described=True)` lists the sound server's
devices by their descriptions (audio/pulse.py); their setting is "pulse:<server name>",
which `pick()` resolves to ALSA's "pulse" device routed to that source or sink.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from types import ModuleType
from typing import cast

from desktop_assistant.audio import pulse
from desktop_assistant.errors import AudioError, NoSuchDevice
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
    pulse_name: str | None = None  # a PulseAudio/PipeWire source or sink, reached through ALSA's "pulse"

    @property
    def setting(self) -> str:
        """What INPUT_DEVICE / OUTPUT_DEVICE hold to choose this device."""
        return pulse.setting_for(self.pulse_name) if self.pulse_name else self.name

    def routed(self, kind: str) -> AbstractContextManager[None]:
        """Open this device's stream inside this: it reaches the server device (when it is one)."""
        return pulse.routed(kind, self.pulse_name)


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
    return cast(ModuleType, sounddevice)  # (sounddevice ships no types)


def list_devices(described: bool = False, run_pactl: pulse.Runner = pulse.run_pactl) -> DeviceList:
    """All input and output devices, with the system defaults flagged.

    `described`: with a PulseAudio/PipeWire server, its devices by their descriptions instead of
    PortAudio's ("pulse", "default"); PortAudio's list otherwise. Runs `pactl` (bounded): not for
    the push-to-talk path."""
    found = _portaudio_devices()
    if described:
        return _server_devices(found, run_pactl) or found
    return found


def _portaudio_devices() -> DeviceList:
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
    return replace(dev, is_default=is_default)


def _pulse_base(pool: tuple[Device, ...]) -> Device | None:
    """PortAudio's way into the sound server: ALSA's "pulse" device (whose libpulse honours
    PULSE_SOURCE / PULSE_SINK). Without it the server's devices cannot be chosen one by one."""
    return next((d for d in pool if d.name == "pulse"), None)


def _server_devices(found: DeviceList, run_pactl: pulse.Runner) -> DeviceList | None:
    base_in, base_out = _pulse_base(found.inputs), _pulse_base(found.outputs)
    if base_in is None or base_out is None:
        return None
    server = pulse.list_server_devices(run_pactl)
    if server is None or not (server.sources or server.sinks):
        return None

    def as_device(base: Device, dev: pulse.ServerDevice) -> Device:
        return replace(base, name=dev.description, hostapi=server.server, is_default=dev.is_default,
                       pulse_name=dev.name)

    return DeviceList(tuple(as_device(base_in, d) for d in server.sources),
                      tuple(as_device(base_out, d) for d in server.sinks))


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
    routed_to = pulse.server_name(spec)
    if routed_to is not None:
        base = _pulse_base(pool)
        if base is None:
            raise AudioError(f"The {label} '{routed_to}' is a PulseAudio/PipeWire device, and no sound server "
                             "is reachable", _choices(pool))
        return replace(base, name=routed_to, is_default=False, pulse_name=routed_to)
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        index = int(spec)
        for dev in pool:
            if dev.index == index:
                return dev
        raise NoSuchDevice(f"There is no {label} with index {index}", _choices(pool))
    wanted = spec.strip().lower()
    exact = [d for d in pool if d.name.lower() == wanted]
    partial = [d for d in pool if wanted in d.name.lower()]
    if exact or len(partial) == 1:
        return (exact or partial)[0]
    if partial:
        raise NoSuchDevice(f"'{spec}' matches several {label}s: " + ", ".join(d.name for d in partial),
                         "use the device index")
    raise NoSuchDevice(f"There is no {label} named '{spec}'", _choices(pool))


def missing_server_device(dev: Device, kind: str, run_pactl: pulse.Runner = pulse.run_pactl) -> AudioError | None:
    """After `dev` failed to open: a `NoSuchDevice` when it names a sound-server device the server does
    not have (a setting from another computer, a typo, a headset unplugged), else None. Asks the
    server (bounded), so only on this failure path, never before each recording."""
    if not dev.pulse_name:
        return None
    server = pulse.list_server_devices(run_pactl)
    if server is None:
        return None
    pool = server.sources if kind == "input" else server.sinks
    if any(d.name == dev.pulse_name for d in pool):
        return None
    label = "microphone" if kind == "input" else "audio output"
    names = ", ".join(f"{pulse.setting_for(d.name)} ({d.description})" for d in pool[:8])
    return NoSuchDevice(f"The sound server has no {label} named '{dev.pulse_name}'",
                        f"available: {names}" if names else "check the system sound settings")


def _choices(pool: tuple[Device, ...]) -> str:
    names = ", ".join(f"{d.index}: {d.name}" for d in pool[:8])
    return f"available: {names}"
