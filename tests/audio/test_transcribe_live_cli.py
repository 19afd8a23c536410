"""`desktop-assistant transcribe --live FILE`: the file played in simulated real time through the live
transcript (the real tiny.en), each update printed as it appears, then the final transcript — the same
text as the plain `transcribe` gives. Run as a user runs it: a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.audio import FIXTURES

REPO = Path(__file__).resolve().parents[2]
WEATHER = FIXTURES / "weather.wav"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "desktop_assistant", "transcribe", *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=100, check=False)


@pytest.mark.slow
def test_live_json_prints_partials_as_they_come_then_the_same_final_as_plain_transcribe() -> None:
    live = _run("--live", str(WEATHER), "--json")
    assert live.returncode == 0, live.stderr
    lines = [json.loads(line) for line in live.stdout.splitlines()]
    *updates, final = lines
    assert len(updates) >= 2, lines
    assert {u["type"] for u in updates} == {"partial"} and final["type"] == "final"
    assert all(set(u) == {"type", "seq", "t_ms", "text", "settled"} for u in updates)
    assert [u["seq"] for u in updates] == sorted({u["seq"] for u in updates})
    times = [u["t_ms"] for u in updates]
    assert times == sorted(times) and len(set(times)) == len(times), times
    assert all(u["text"].strip() for u in updates)
    assert final["partials"] == updates[-1]["seq"] and final["early"] in ("hit", "miss", "none")
    assert final["final_wait_ms"] >= 0
    plain = _run(str(WEATHER), "--json")
    assert plain.returncode == 0, plain.stderr
    assert final["text"] == json.loads(plain.stdout)["text"]
    assert "Traceback" not in live.stderr


@pytest.mark.slow
def test_live_plain_text_faster_than_real_time() -> None:
    """--speed 3: one line per update ("  0.52 s … what is"), then the final text alone."""
    plain = _run(str(WEATHER))
    live = _run("--live", str(WEATHER), "--speed", "3")
    assert live.returncode == 0, live.stderr
    *updates, final = live.stdout.splitlines()
    assert final == plain.stdout.strip() and final
    assert updates and all(" s … " in u or " s ✓ " in u for u in updates), updates
    assert "updates; the final transcript came" in live.stderr


@pytest.mark.parametrize("args", [
    ("--live", "{missing}"),
    ("--live", "{missing}", "--json"),
    ("--live", str(WEATHER), "--speed", "0"),
    ("--live", str(WEATHER), "--speed", "nan"),
    (str(WEATHER), "--speed", "2"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = tmp_path / "no-such.wav"
    result = _run(*(a.format(missing=missing) for a in args))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("desktop-assistant: "), result.stderr
