"""The sound server's own devices (PulseAudio, or PipeWire through its pulse protocol), named as
the desktop's sound settings name them ("Built-in Audio Analog Stereo", "Monitor of Virtual"),
and routing a PortAudio stream to one of them.

PortAudio here sees only ALSA's virtual "pulse" / "default" devices. `pactl` lists what is
behind them; a stream opened on ALSA's "pulse" device goes to the source or sink named by
PULSE_SOURCE / PULSE_SINK, which libpulse reads when the ALSA device is opened (`routed`).
A setting names such a device as "pulse:<server name>" (e.g. "pulse:vsink.monitor").
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)

PREFIX = "pulse:"
PACTL_TIMEOUT_S = 3.0
ROUTE_ENV = {"input": "PULSE_SOURCE", "output": "PULSE_SINK"}

# pactl's arguments → its output (None: no pactl, no server, or it failed)
Runner = Callable[[list[str]], str | None]

_route_lock = threading.Lock()  # the environment is process-wide: one stream opens at a time


@dataclass(frozen=True)
class ServerDevice:
    name: str  # the server's name, e.g. "vsink.monitor"
    description: str  # what people see, e.g. "Monitor of Virtual"
    is_monitor: bool = False  # a sink's monitor (what it plays), not a microphone
    is_default: bool = False


@dataclass(frozen=True)
class ServerDevices:
    server: str  # "pulseaudio", "PulseAudio (on PipeWire 1.0.5)"
    sources: tuple[ServerDevice, ...]
    sinks: tuple[ServerDevice, ...]


def run_pactl(args: list[str]) -> str | None:
    """`pactl ARGS` in the C locale (parsable), bounded; None when it cannot answer."""
    if shutil.which("pactl") is None:
        return None
    try:
        out = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=PACTL_TIMEOUT_S,
                             check=False, env={**os.environ, "LC_ALL": "C"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.info("pactl %s: %s", " ".join(args), exc)
        return None
    return out.stdout if out.returncode == 0 else None


def setting_for(name: str) -> str:
    return PREFIX + name


def server_name(setting: object) -> str | None:
    """"pulse:vsink.monitor" → "vsink.monitor"; None for any other setting."""
    if isinstance(setting, str) and setting.startswith(PREFIX) and len(setting) > len(PREFIX):
        return setting[len(PREFIX):]
    return None


def list_server_devices(run: Runner = run_pactl) -> ServerDevices | None:
    """The server's sources and sinks, defaults flagged; None when no pulse-protocol server answers."""
    info = run(["info"])
    if info is None:
        return None
    fields = _colon_fields(info)
    defaults = {"sources": fields.get("Default Source", ""), "sinks": fields.get("Default Sink", "")}
    found: dict[str, tuple[ServerDevice, ...]] = {}
    for kind in ("sources", "sinks"):
        raw = _listed(run, kind)
        if raw is None:
            return None
        devices = [ServerDevice(name, description or name, monitor, name == defaults[kind])
                   for name, description, monitor in raw]
        found[kind] = tuple(sorted(devices, key=lambda d: d.is_monitor))  # microphones before monitors
    return ServerDevices(fields.get("Server Name", "pulseaudio"), found["sources"], found["sinks"])


def _colon_fields(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith((" ", "\t")):
            out[key.strip()] = value.strip()
    return out


def _listed(run: Runner, kind: str) -> list[tuple[str, str, bool]] | None:
    """(name, description, is_monitor) per device: pactl's JSON (pactl 16+), else its text."""
    text = run(["--format=json", "list", kind])
    if text is not None:
        try:
            rows = json.loads(text)
            return [(str(r["name"]), str(r.get("description") or ""), _is_monitor(r)) for r in rows]
        except (ValueError, KeyError, TypeError) as exc:
            log.info("pactl's JSON list of %s is not readable (%s); reading its text", kind, exc)
    text = run(["list", kind])
    return None if text is None else _parse_text(text)


def _is_monitor(row: dict[str, object]) -> bool:
    props = row.get("properties")
    cls = props.get("device.class") if isinstance(props, dict) else None
    return cls == "monitor" or str(row.get("name", "")).endswith(".monitor")


def _parse_text(text: str) -> list[tuple[str, str, bool]]:
    """`pactl list sources|sinks` (C locale): a block per device with Name, Description, properties."""
    out: list[tuple[str, str, bool]] = []
    name = description = ""
    monitor = False
    for line in [*text.splitlines(), "Source #end"]:
        if line.startswith(("Source #", "Sink #")):
            if name:
                out.append((name, description, monitor or name.endswith(".monitor")))
            name, description, monitor = "", "", False
            continue
        stripped = line.strip()
        if stripped.startswith("Name:"):
            name = stripped.partition(":")[2].strip()
        elif stripped.startswith("Description:"):
            description = stripped.partition(":")[2].strip()
        elif stripped.replace(" ", "") == 'device.class="monitor"':
            monitor = True
    return out


@contextmanager
def routed(kind: str, name: str | None) -> Iterator[None]:
    """While a stream on ALSA's "pulse" device opens, point it at server device `name`
    (`kind` "input" or "output"); nothing to do for None."""
    if name is None:
        yield
        return
    var = ROUTE_ENV[kind]
    with _route_lock:
        before = os.environ.get(var)
        os.environ[var] = name
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = before
