"""Agents (personas): a system prompt plus LLM, TTS and STT preferences.

Bundled agents live in `agents/*.yaml`; users add or override them (by file
name) in `<data dir>/agents/*.yaml`. A broken file gives an `AgentError`
naming the file, the line (when known) and the field; the others still load.

Loading is bounded, so no file can hang or exhaust the app: regular files only
(a FIFO or a device such as /dev/zero behind a symlink is refused unread), at
most `MAX_FILE_BYTES`, nesting at most `MAX_DEPTH` deep, aliases expanding to at
most `MAX_NODES` nodes (a "billion laughs" file), parsed within `MAX_PARSE_S`.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from desktop_assistant.errors import AgentError

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_NODES = 20_000
MAX_PARSE_S = 2.0

log = logging.getLogger(__name__)
DEFAULT_AGENT = "assistant"


@dataclass(frozen=True)
class LLMPrefs:
    model: str | None = None
    temperature: float | None = None
    max_tokens: int = 512


@dataclass(frozen=True)
class TTSPrefs:
    engine: str | None = None
    lang: str = "en"
    tld: str = "com"
    speed: float = 1.0


@dataclass(frozen=True)
class STTPrefs:
    language: str | None = "en"
    initial_prompt: str | None = None


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    system_prompt: str
    description: str = ""
    llm: LLMPrefs = field(default_factory=LLMPrefs)
    tts: TTSPrefs = field(default_factory=TTSPrefs)
    stt: STTPrefs = field(default_factory=STTPrefs)
    max_history: int | None = None
    source: str = ""


# field -> (accepted types, check, allowed text); nested sections are separate tables.
_Rule = tuple[tuple[type, ...], Callable[[Any], bool] | None, str]
_NUM = (int, float)
_TOP: dict[str, _Rule] = {
    "name": ((str,), lambda v: bool(v.strip()), "non-empty text"),
    "description": ((str,), None, "text"),
    "system_prompt": ((str,), lambda v: bool(v.strip()), "non-empty text"),
    "max_history": ((int,), lambda v: 0 <= v <= 1000, "a whole number from 0 to 1000"),
}
_SECTIONS: dict[str, tuple[type, dict[str, _Rule]]] = {
    "llm": (LLMPrefs, {
        "model": ((str,), lambda v: bool(v.strip()), "a model name"),
        "temperature": (_NUM, lambda v: 0 <= v <= 2, "a number from 0 to 2"),
        "max_tokens": ((int,), lambda v: 1 <= v <= 32768, "a whole number from 1 to 32768"),
    }),
    "tts": (TTSPrefs, {
        "engine": ((str,), lambda v: v in ("gtts", "espeak", "none"), "gtts, espeak or none"),
        "lang": ((str,), lambda v: bool(v.strip()), "a language code such as en"),
        "tld": ((str,), lambda v: bool(v.strip()), "a Google domain suffix such as com or co.uk"),
        "speed": (_NUM, lambda v: 0.5 <= v <= 2, "a number from 0.5 to 2"),
    }),
    "stt": (STTPrefs, {
        "language": ((str,), lambda v: 2 <= len(v) <= 8, "a language code such as en, or null to detect"),
        "initial_prompt": ((str,), None, "text"),
    }),
}


def _key_lines(node: yaml.Node | None) -> dict[str, tuple[int, yaml.Node]]:
    """Map each key of a YAML mapping node to (1-based line, value node)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: (k.start_mark.line + 1, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _check(path: str, name: str, value: Any, rule: _Rule, line: int | None) -> Any:
    types, ok, allowed = rule
    if value is None and name.rpartition(".")[2] in ("language", "initial_prompt", "model", "temperature", "engine"):
        return None
    accepted = isinstance(value, types)  # (a flag: `value` stays Any for `ok` and float below)
    if isinstance(value, bool) or not accepted or (ok is not None and not ok(value)):
        shown = repr(value)
        raise AgentError(path, f"expected {allowed}, got {shown if len(shown) <= 80 else shown[:77] + '…'}",
                         line=line, field=name)
    return float(value) if types is _NUM else value


class _TooBig(yaml.YAMLError):
    """The document passes a bound of `_BoundedLoader`."""


class _BoundedLoader(yaml.SafeLoader):
    """A safe loader that refuses documents nested too deep, whose aliases expand to too many
    nodes, or that take too long. Each node's size counts the nodes its aliases stand for."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._expanded = 0
        self._sizes: dict[int, int] = {}
        self._deadline = time.monotonic() + MAX_PARSE_S

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if time.monotonic() > self._deadline:
            raise _TooBig(f"it takes more than {MAX_PARSE_S:g} s to read")
        if self.check_event(yaml.AliasEvent):
            node = super().compose_node(parent, index)
            self._count(self._sizes.get(id(node), 1), node)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _TooBig(f"it is nested more than {MAX_DEPTH} levels deep")
        before = self._expanded
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._count(1, node)
        self._sizes[id(node)] = self._expanded - before
        return node

    def _count(self, n: int, node: yaml.Node | None) -> None:
        self._expanded += n
        if self._expanded > MAX_NODES:
            where = f" (line {node.start_mark.line + 1})" if node is not None else ""
            raise _TooBig(f"its aliases expand to more than {MAX_NODES} values{where}")


def _load(text: str) -> tuple[Any, yaml.Node | None]:
    """The document's data and its node tree (for line numbers), within the bounds."""
    loader = _BoundedLoader(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    finally:
        loader.dispose()


def parse_agent(path: Path, text: str) -> Agent:
    """Parse and validate one agent file's text; raises AgentError."""
    shown = str(path)
    try:
        data, root = _load(text)
    except _TooBig as exc:
        raise AgentError(shown, f"{exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise AgentError(shown, f"YAML syntax error: {exc.problem}",
                         line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise AgentError(shown, f"YAML error: {exc}") from None
    except (RecursionError, MemoryError) as exc:  # beyond the bounds above; never the whole app
        raise AgentError(shown, f"too complex to read ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise AgentError(shown, "the file must be a YAML mapping (name:, system_prompt:, …)")
    lines = _key_lines(root)
    top: dict[str, Any] = {}
    for key, value in data.items():
        line = lines.get(str(key), (None, None))[0]
        if key in _TOP:
            top[key] = _check(shown, key, value, _TOP[key], line)
        elif key in _SECTIONS:
            cls, rules = _SECTIONS[key]
            if not isinstance(value, dict):
                raise AgentError(shown, "expected a mapping", line=line, field=key)
            sub_lines = _key_lines(lines[str(key)][1])
            sub = {}
            for sub_key, sub_value in value.items():
                sub_line = sub_lines.get(str(sub_key), (line, None))[0]
                if sub_key not in rules:
                    raise AgentError(shown, f"unknown key (allowed: {', '.join(rules)})",
                                     line=sub_line, field=f"{key}.{sub_key}")
                sub[sub_key] = _check(shown, f"{key}.{sub_key}", sub_value, rules[sub_key], sub_line)
            top[key] = cls(**sub)
        else:
            allowed = ", ".join([*_TOP, *_SECTIONS])
            raise AgentError(shown, f"unknown key (allowed: {allowed})", line=line, field=str(key))
    if "system_prompt" not in top:
        raise AgentError(shown, "missing (every agent needs a system prompt)", field="system_prompt")
    top.setdefault("name", path.stem.replace("_", " ").title())
    return Agent(id=path.stem, source=shown, **top)


@dataclass(frozen=True)
class AgentSet:
    agents: dict[str, Agent]
    errors: list[AgentError]

    def get(self, agent_id: str) -> Agent:
        """The agent with that id; the default one (or any) when it is unknown."""
        if agent_id in self.agents:
            return self.agents[agent_id]
        if agent_id != DEFAULT_AGENT:
            log.warning("agent %r not found, using %r", agent_id, DEFAULT_AGENT)
        if DEFAULT_AGENT in self.agents:
            return self.agents[DEFAULT_AGENT]
        if self.agents:
            return next(iter(self.agents.values()))
        return FALLBACK_AGENT


FALLBACK_AGENT = Agent(
    id=DEFAULT_AGENT, name="Assistant", source="built-in",
    system_prompt="You are a helpful voice assistant. Answer briefly, in plain spoken sentences.",
)


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def read_agent_file(path: Path) -> str:
    """The text of an agent file: a regular file (after symlinks) of at most `MAX_FILE_BYTES`,
    in UTF-8. Opened without blocking, so a FIFO cannot hang the app; raises AgentError."""
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise AgentError(shown, f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
            raise AgentError(shown, f"it is {kind}, not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise AgentError(shown, f"it is {info.st_size // 1024} KiB, more than the "
                                    f"{MAX_FILE_BYTES // 1024} KiB an agent file may be")
        data = os.read(fd, MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:  # grew since fstat
            raise AgentError(shown, f"more than {MAX_FILE_BYTES // 1024} KiB")
    except OSError as exc:
        raise AgentError(shown, f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AgentError(shown, f"not UTF-8 text (byte {exc.start})") from None


def load_agents(*dirs: Path) -> AgentSet:
    """Load every `*.yaml` in `dirs`; later directories override earlier ones by file name."""
    agents: dict[str, Agent] = {}
    errors: list[AgentError] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            try:
                agent = parse_agent(path, read_agent_file(path))
            except AgentError as exc:
                log.warning("agent not loaded: %s", exc.message)
                errors.append(exc)
                continue
            agents[agent.id] = agent
    ordered = dict(sorted(agents.items(), key=lambda kv: (kv[0] != DEFAULT_AGENT, kv[1].name.lower())))
    return AgentSet(ordered, errors)
