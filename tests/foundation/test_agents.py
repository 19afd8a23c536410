"""Agents: bundled ones load; user files override; broken files are reported precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_assistant.agents import load_agents, parse_agent
from desktop_assistant.errors import AgentError
from desktop_assistant.paths import bundled_agents_dir

GOOD = """\
name: Pirate
system_prompt: Talk like a pirate.
llm:
  temperature: 1.1
tts:
  tld: co.uk
"""


def test_bundled_agents_load_without_errors() -> None:
    agents = load_agents(bundled_agents_dir())
    assert agents.errors == []
    assert len(agents.agents) >= 3
    assert next(iter(agents.agents)) == "assistant"  # the default comes first
    default = agents.get("assistant")
    assert default.llm.model == "llama-3.1-8b-instant" and default.stt.language == "en"
    assert all(a.system_prompt.strip() for a in agents.agents.values())


def test_user_agents_add_and_override(tmp_path: Path) -> None:
    (tmp_path / "pirate.yaml").write_text(GOOD)
    (tmp_path / "assistant.yaml").write_text("name: Mine\nsystem_prompt: Be mine.\n")
    agents = load_agents(bundled_agents_dir(), tmp_path)
    assert agents.get("pirate").llm.temperature == 1.1 and agents.get("pirate").tts.tld == "co.uk"
    assert agents.get("assistant").name == "Mine"
    assert agents.get("no-such-agent").id == "assistant"


@pytest.mark.parametrize(
    ("text", "line", "field", "problem"),
    [
        ("name: X\nsystem_prompt: [unclosed\n", 3, None, "YAML syntax error"),
        ("name: X\nsystem_prompt: hi\ncolour: red\n", 3, "colour", "unknown key"),
        ("name: X\nsystem_prompt: hi\nllm:\n  temperature: warm\n", 4, "llm.temperature",
         "expected a number from 0 to 2"),
        ("name: X\nsystem_prompt: hi\nllm:\n  temprature: 1\n", 4, "llm.temprature", "unknown key"),
        ("name: X\nsystem_prompt: hi\nmax_history: -1\n", 3, "max_history", "expected a whole number"),
        ("name: X\nsystem_prompt: hi\ntts: fast\n", 3, "tts", "expected a mapping"),
        ("name: X\ndescription: no prompt here\n", None, "system_prompt", "missing"),
        ("- just\n- a list\n", None, None, "must be a YAML mapping"),
    ],
)
def test_broken_file_names_file_line_and_field(tmp_path: Path, text: str, line: int | None,
                                               field: str | None, problem: str) -> None:
    path = tmp_path / "broken.yaml"
    with pytest.raises(AgentError) as info:
        parse_agent(path, text)
    err = info.value
    assert err.path == str(path)
    assert err.line == line
    assert err.field == field
    assert problem in err.problem
    assert str(path) in err.message and (field is None or f"'{field}'" in err.message)


def test_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "pirate.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text("name: Bad\nsystem_prompt: hi\nllm:\n  max_tokens: lots\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00bad")
    agents = load_agents(bundled_agents_dir(), tmp_path)
    assert "pirate" in agents.agents and "assistant" in agents.agents and "bad" not in agents.agents
    messages = sorted(e.message for e in agents.errors)
    assert len(messages) == 2
    assert any("bad.yaml:4: field 'llm.max_tokens'" in m for m in messages)
    assert any("binary.yaml" in m for m in messages)
