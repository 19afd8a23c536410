"""Agents (personas): a system prompt plus LLM, TTS and STT preferences.

Bundled agents live in `agents/*.yaml`; users add or override them (by file
name) in `<data dir>/agents/*.yaml`. A broken file gives an `AgentError`
naming the file, the line (when known) and the field; the others still load.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from desktop_assistant.errors import AgentError

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
_NUM = (int, float)
_TOP = {
    "name": ((str,), lambda v: bool(v.strip()), "non-empty text"),
    "description": ((str,), None, "text"),
    "system_prompt": ((str,), lambda v: bool(v.strip()), "non-empty text"),
    "max_history": ((int,), lambda v: 0 <= v <= 1000, "a whole number from 0 to 1000"),
}
_SECTIONS: dict[str, tuple[type, dict[str, tuple[tuple[type, ...], Any, str]]]] = {
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


def _check(path: str, name: str, value: Any, rule: tuple, line: int | None) -> Any:
    types, ok, allowed = rule
    if value is None and name.rpartition(".")[2] in ("language", "initial_prompt", "model", "temperature", "engine"):
        return None
    if isinstance(value, bool) or not isinstance(value, types) or (ok is not None and not ok(value)):
        raise AgentError(path, f"expected {allowed}, got {value!r}", line=line, field=name)
    return float(value) if types is _NUM else value


def parse_agent(path: Path, text: str) -> Agent:
    """Parse and validate one agent file's text; raises AgentError."""
    shown = str(path)
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise AgentError(shown, f"YAML syntax error: {exc.problem}",
                         line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise AgentError(shown, f"YAML error: {exc}") from None
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


def load_agents(*dirs: Path) -> AgentSet:
    """Load every `*.yaml` in `dirs`; later directories override earlier ones by file name."""
    agents: dict[str, Agent] = {}
    errors: list[AgentError] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            try:
                agent = parse_agent(path, path.read_text(encoding="utf-8"))
            except AgentError as exc:
                log.warning("agent not loaded: %s", exc.message)
                errors.append(exc)
                continue
            except (OSError, UnicodeDecodeError) as exc:
                errors.append(AgentError(str(path), f"cannot read: {exc}"))
                continue
            agents[agent.id] = agent
    ordered = dict(sorted(agents.items(), key=lambda kv: (kv[0] != DEFAULT_AGENT, kv[1].name.lower())))
    return AgentSet(ordered, errors)
