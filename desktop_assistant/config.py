"""Typed settings, from four layers.

Precedence, lowest first: built-in defaults < the settings file
(`<config dir>/settings.json`) < environment variables < CLI flags.
Each field knows its environment name and its allowed values, so a bad value
becomes one `ConfigError` line naming the variable and the range.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from desktop_assistant.errors import ConfigError, os_reason

log = logging.getLogger(__name__)

COMPUTE_TYPES = ("int8", "int8_float32", "int16", "float32", "float16", "int8_float16", "auto", "default")
TTS_ENGINES = ("gtts", "espeak", "none")
PTT_MODES = ("hold", "toggle")
DEFAULT_GLOBAL_HOTKEY = "Ctrl+Alt+Space"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Field:
    """How one setting is named, parsed and checked."""

    env: str
    parse: Callable[[Any, str], Any]
    allowed: str
    secret: bool = False


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value.strip()


def _text(value: Any, name: str) -> str:
    text = _str(value, name)
    if not text:
        raise ValueError
    return text


def _url(value: Any, name: str) -> str | None:
    text = _opt_str(value, name)
    if text is not None:
        parts = urllib.parse.urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError
    return text


def _opt_str(value: Any, name: str) -> str | None:
    if value is None:
        return None
    text = _str(value, name)
    return text or None


class MalformedKey(ValueError):
    """An API key with characters no key has (non-ASCII, spaces, line breaks, control characters)."""


def _api_key(value: Any, name: str) -> str | None:
    key = _opt_str(value, name)
    # A key is printable ASCII without spaces: anything else came with the copy (a line break, a
    # smart quote, a non-breaking space) and would fail later in an HTTP header, as "cannot reach".
    if key is not None and not all("!" <= ch <= "~" for ch in key):
        raise MalformedKey
    return key


def check_api_key(key: str | None, where: str) -> str | None:
    """`key` if it is well formed; a `ConfigError` saying `where` it came from otherwise
    ("in the key file …", "entered")."""
    try:
        return _api_key(key, "groq_api_key")
    except ValueError:
        raise ConfigError(_MALFORMED_KEY.format(where=where), _KEY_ACTION) from None


_MALFORMED_KEY = ("The Groq API key {where} is malformed: it holds a space, a line break or a character "
                  "that is not plain ASCII")
_KEY_ACTION = "copy the key again from console.groq.com (gsk_ followed by letters and digits)"


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError


def _number(kind: type, lo: float, hi: float) -> Callable[[Any, str], Any]:
    def parse(value: Any, name: str) -> Any:
        if isinstance(value, bool):
            raise ValueError
        number = kind(value.strip() if isinstance(value, str) else value)
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError
        if not lo <= number <= hi:
            raise ValueError
        return number

    return parse


def _choice(choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def parse(value: Any, name: str) -> str:
        text = _str(value, name).lower()
        if text not in choices:
            raise ValueError
        return text

    return parse


def _device(value: Any, name: str) -> str | int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _str(value, name)
    return int(text) if text.isdigit() else text


@dataclass(frozen=True)
class Settings:
    groq_api_key: str | None = None
    groq_base_url: str | None = None
    stt_model: str = "base"
    stt_compute_type: str = "int8"
    llm_model: str = "llama-3.1-8b-instant"
    llm_temperature: float = 0.7
    max_conversation_history: int = 20
    session_timeout: float = 3600.0
    debug: bool = False
    tts_engine: str = "gtts"
    tts_speed: float = 1.0
    input_device: str | int | None = None
    output_device: str | int | None = None
    max_recording_s: float = 120.0
    ptt_key: str = "Space"
    ptt_mode: str = "hold"
    global_hotkey: str = DEFAULT_GLOBAL_HOTKEY  # talks while the window is unfocused or hidden; "" = off
    global_hotkey_mode: str = "hold"
    agent: str = "assistant"
    audio_cues: bool = True
    speech_muted: bool = False
    live_transcript: bool = True  # partial transcripts while the user speaks
    speculative_reply: bool = True  # ask for the reply when the user pauses, before the release

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict with secrets replaced (safe to log or print)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = ("***" if value else None) if SPEC[f.name].secret else value
        return out

    def with_values(self, **values: Any) -> Settings:
        """A copy with `values` validated and applied (used by Settings dialog and CLI flags)."""
        return replace(self, **_validate(values, source="flag"))


SPEC: dict[str, Field] = {
    "groq_api_key": Field("GROQ_API_KEY", _api_key, "your Groq API key (gsk_…)", secret=True),
    "groq_base_url": Field("GROQ_BASE_URL", _url, "an http(s) URL such as https://api.groq.com"),
    "stt_model": Field("STT_MODEL", _text, "a Whisper size (tiny.en, base, small, …) or a model directory"),
    "stt_compute_type": Field("STT_COMPUTE_TYPE", _choice(COMPUTE_TYPES), "one of " + ", ".join(COMPUTE_TYPES)),
    "llm_model": Field("LLM_MODEL", _text, "a Groq model name"),
    "llm_temperature": Field("LLM_TEMPERATURE", _number(float, 0.0, 2.0), "a number from 0 to 2"),
    "max_conversation_history": Field(
        "MAX_CONVERSATION_HISTORY", _number(int, 0, 1000), "a whole number from 0 to 1000"
    ),
    "session_timeout": Field("SESSION_TIMEOUT", _number(float, 0, 30 * 86400), "seconds, from 0 to 2592000"),
    "debug": Field("DEBUG", _bool, "1/0, true/false, yes/no or on/off"),
    "tts_engine": Field("TTS_ENGINE", _choice(TTS_ENGINES), "one of " + ", ".join(TTS_ENGINES)),
    "tts_speed": Field("TTS_SPEED", _number(float, 0.5, 2.0), "a number from 0.5 to 2"),
    "input_device": Field("INPUT_DEVICE", _device, "a device name or index"),
    "output_device": Field("OUTPUT_DEVICE", _device, "a device name or index"),
    "max_recording_s": Field("MAX_RECORDING_SECONDS", _number(float, 1, 3600), "seconds, from 1 to 3600"),
    "ptt_key": Field("PTT_KEY", _text, "a key name such as Space or F9"),
    "ptt_mode": Field("PTT_MODE", _choice(PTT_MODES), "hold or toggle"),
    "global_hotkey": Field("GLOBAL_HOTKEY", _str, "a shortcut such as Ctrl+Alt+Space, or empty for none"),
    "global_hotkey_mode": Field("GLOBAL_HOTKEY_MODE", _choice(PTT_MODES), "hold or toggle"),
    "agent": Field("AGENT", _text, "an agent name from agents/"),
    "audio_cues": Field("AUDIO_CUES", _bool, "1/0, true/false, yes/no or on/off"),
    "speech_muted": Field("SPEECH_MUTED", _bool, "1/0, true/false, yes/no or on/off"),
    "live_transcript": Field("LIVE_TRANSCRIPT", _bool, "1/0, true/false, yes/no or on/off"),
    "speculative_reply": Field("SPECULATIVE_REPLY", _bool, "1/0, true/false, yes/no or on/off"),
}


def _validate(values: Mapping[str, Any], *, source: str, unknown_ok: bool = False) -> dict[str, Any]:
    """Parse each value; `unknown_ok`: skip names this version does not know (a newer version's
    settings file), with a warning in the log."""
    out: dict[str, Any] = {}
    for name, raw in values.items():
        spec = SPEC.get(name)
        if spec is None:
            if unknown_ok:
                log.warning("ignoring the unknown setting %r in %s (from a newer version?)", name, source)
                continue
            raise ConfigError(f"Unknown setting '{name}' in {source}")
        try:
            out[name] = spec.parse(raw, name)
        except MalformedKey:
            where = f"in the {spec.env} environment variable" if source == "environment" else f"in the {source}"
            raise ConfigError(_MALFORMED_KEY.format(where=where), _KEY_ACTION) from None
        except (ValueError, TypeError):
            label = spec.env if source == "environment" else name
            shown = "***" if spec.secret else repr(raw)
            raise ConfigError(f"{label}={shown} is not valid: expected {spec.allowed} ({source})") from None
    return out


def read_settings_file(path: Path) -> dict[str, Any]:
    """The raw values stored in the settings file; {} when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read settings file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Settings file {path} is not UTF-8 text (byte {exc.start})",
                          "fix or delete the file") from None
    import json  # only when there is a file (~1 ms of start-up otherwise)

    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"Settings file {path} is not valid JSON (line {exc.lineno}): {exc.msg}",
            "fix or delete the file",
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"Settings file {path} must hold a JSON object", "fix or delete the file")
    return data


def write_settings_file(path: Path, values: Mapping[str, Any]) -> None:
    """Store `values` (validated, secrets excluded) atomically in the settings file."""
    import json

    clean = _validate({k: v for k, v in values.items() if not SPEC[k].secret}, source=str(path))
    try:  # settings a newer version wrote stay for it
        kept = {k: v for k, v in read_settings_file(path).items() if k not in SPEC}
    except ConfigError:
        kept = {}
    tmp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps({**kept, **clean}, indent=2, sort_keys=True))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only or full disk, a folder in the way: the old file stays whole
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise ConfigError(f"Cannot save the settings to {path}: {os_reason(exc)}",
                          "free some disk space or fix the folder's permissions, then apply again") from None


def env_values(env: Mapping[str, str]) -> dict[str, str]:
    return {name: env[spec.env] for name, spec in SPEC.items() if spec.env in env}


def load_settings(
    settings_file: Path | None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    *,
    problems: list[str] | None = None,
) -> Settings:
    """Build the settings from defaults < file < environment < flags.

    A settings file that cannot be used raises `ConfigError`, unless `problems` is given (the
    window, which must start): then its bad values are left at their defaults, the file is kept
    as `settings.json.bad-<time>` (the good values are written back) and `problems` says so."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if settings_file is not None:
        values.update(_file_values(settings_file, problems))
    values.update(_validate(env_values(env), source="environment"))
    values.update(_validate({k: v for k, v in (flags or {}).items() if v is not None}, source="command line"))
    return Settings(**values)


def _file_values(path: Path, problems: list[str] | None) -> dict[str, Any]:
    source = f"settings file {path}"
    if problems is None:
        return _validate(read_settings_file(path), source=source, unknown_ok=True)
    try:
        raw = read_settings_file(path)
    except ConfigError as exc:
        kept = _set_aside(path)
        problems.append(f"{exc.message}; all settings are at their defaults{kept}")
        return {}
    good: dict[str, Any] = {}
    bad: list[str] = []
    for name, value in raw.items():
        try:
            good.update(_validate({name: value}, source=source, unknown_ok=True))
        except ConfigError as exc:
            bad.append(exc.message.replace(f" ({source})", ""))
    if bad:
        kept = _set_aside(path)
        try:
            write_settings_file(path, {**{k: v for k, v in raw.items() if k not in SPEC}, **good})
        except (OSError, ConfigError):
            log.warning("could not write the settings file %s again", path, exc_info=True)
        problems.append(f"Ignored in the settings file: {'; '.join(bad)}; the defaults are used instead{kept}")
    return good


def _set_aside(path: Path) -> str:
    """Move a settings file that cannot be used to `<name>.bad-<time>`; where it went, in words."""
    import time

    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.bad-{stamp}")
    n = 1
    while target.exists() or target.is_symlink():
        target = path.with_name(f"{path.name}.bad-{stamp}-{n}")
        n += 1
    try:
        os.replace(path, target)
    except OSError as exc:
        log.warning("could not move the settings file %s aside: %s", path, exc.strerror)
        return ""
    log.warning("the settings file %s could not be used; it was kept as %s", path, target)
    return f" (the file was kept as {target})"
