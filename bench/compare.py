"""Before and after, in one sitting: run benchmarks on another revision (a temporary git worktree)
and on this checkout, alternating A, B, A, B…, and print each figure's median for both and the
ratio after/before. The machine is noisy: only a ratio from the same sitting means something.

    scripts/test-env.sh .venv/bin/python bench/compare.py REV [--rounds 2] [--json] [BENCH …]

BENCH is a benchmark with its arguments, quoted, e.g. "startup.py --runs 3" (default: startup,
responsiveness, latency, stt and history with short settings). Each must support --json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ["startup.py --runs 3", "responsiveness.py --turns 1", "latency.py --turns 5",
           "stt.py --reps 2 --no-corpus", "history.py --messages 50000 --queries 5 --like-queries 1"]


def flatten(value: Any, prefix: str = "") -> dict[str, float]:
    """Every number in a JSON result, keyed by its path."""
    out: dict[str, float] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out[prefix] = float(value)
    return out


def text_figures(text: str) -> dict[str, float]:
    """The numbers of a benchmark's printed report, keyed by their line's label (for an older
    revision whose script has no --json)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        numbers = re.findall(r"-?\d+(?:\.\d+)?", line)
        label = re.split(r"[:\d(]", line, maxsplit=1)[0].strip()
        for i, number in enumerate(numbers):
            out[f"{label} #{i}"] = float(number)
    return out


def run(tree: Path, bench: str, as_json: bool) -> dict[str, float]:
    script, *args = bench.split()
    cmd = [sys.executable, str(tree / "bench" / script), *args, *(["--json"] if as_json else [])]
    env = {**os.environ, "PYTHONPATH": str(tree)}  # that tree's package, not the installed (editable) one
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{bench} failed in {tree}:\n{done.stderr[-2000:]}")
    if not as_json:
        return text_figures(done.stdout)
    return flatten(json.loads(done.stdout[done.stdout.index("{"):]))


def speaks_json(tree: Path, bench: str) -> bool:
    return '"--json"' in (tree / "bench" / bench.split()[0]).read_text()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the revision to compare against (before)")
    parser.add_argument("bench", nargs="*", default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="da-compare-") as tmp:
        before = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before), args.rev],
                       check=True, capture_output=True)
        try:
            for bench in args.bench:
                as_json = speaks_json(before, bench) and speaks_json(ROOT, bench)
                for _ in range(args.rounds):
                    for side, tree in (("before", before), ("after", ROOT)):
                        for key, value in run(tree, bench, as_json).items():
                            results.setdefault(bench, {}).setdefault(key, {}).setdefault(side, []).append(value)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=False)
    table = {bench: {key: {"before": statistics.median(v["before"]), "after": statistics.median(v["after"]),
                           "ratio": (statistics.median(v["after"]) / statistics.median(v["before"])
                                     if statistics.median(v["before"]) else None)}
                     for key, v in figures.items() if "before" in v and "after" in v}
             for bench, figures in results.items()}
    if args.json:
        print(json.dumps({"rev": args.rev, "rounds": args.rounds, "results": table}))
        return 0
    print(f"before = {args.rev}, after = this checkout; medians of {args.rounds} alternating rounds")
    for bench, figures in table.items():
        print(f"\n{bench}")
        for key, f in figures.items():
            ratio = f"{f['ratio']:.2f}×" if f["ratio"] is not None else "—"
            print(f"  {key:<48} {f['before']:>12.2f} {f['after']:>12.2f}   {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
