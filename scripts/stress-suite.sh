#!/usr/bin/env bash
# The suite under load, the way issue 13 asks it to hold: clone this checkout's HEAD into a temp
# dir, keep one busy-loop process per core but one running, run `make test` there RUNS times in a
# row, stop the load, print each run's result and exit non-zero if any run failed.
#   scripts/stress-suite.sh [RUNS]          (default 5; each run is a full `make test`: minutes)
# VENV: the virtualenv the clone uses (default: this checkout's .venv, else make builds one in the
#       clone, which needs the network). It is only used: nothing is ever installed into it.
# KEEP=1 keeps the clone and the logs (always kept when a run fails).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${1:-5}"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [RUNS]" >&2; exit 2; }
VENV="${VENV-$ROOT/.venv}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/da-stress.XXXXXX")"
hogs=()

stop_hogs() {
    for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null; done
    hogs=()
}
trap 'stop_hogs' EXIT
trap 'exit 130' INT TERM

if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
    echo "stress: uncommitted changes are not in the clone (it tests HEAD $(git -C "$ROOT" rev-parse --short HEAD))" >&2
fi
git clone --quiet --no-hardlinks "$ROOT" "$WORK/repo" || exit 1
make_args=()
if [ -n "$VENV" ] && [ -x "$VENV/bin/python" ]; then
    # Use that virtualenv, never re-install into it (that would point its editable install at the
    # clone): a stamp of our own, newer than the clone's pyproject.toml and constraints.txt. Variables
    # given on the command line reach the recursive make (smoke); -o would not.
    touch -d @1 "$WORK/repo/pyproject.toml" "$WORK/repo/constraints.txt"
    touch "$WORK/venv-stamp"
    make_args=(BIN="$VENV/bin" STAMP="$WORK/venv-stamp")
    echo "stress: clone $WORK/repo at $(git -C "$WORK/repo" rev-parse --short HEAD), virtualenv $VENV"
else
    echo "stress: clone $WORK/repo at $(git -C "$WORK/repo" rev-parse --short HEAD), make builds its virtualenv"
fi

cores="$(nproc)"
for _ in $(seq $((cores > 1 ? cores - 1 : 1))); do
    python3 -c 'while True: pass' &
    hogs+=($!)
done
nhogs=${#hogs[@]}
echo "stress: $nhogs busy-loop process(es) on $cores core(s); $RUNS run(s) of make test"

failures=0
results=()
for run in $(seq "$RUNS"); do
    log="$WORK/run-$run.log"
    started=$SECONDS
    make -C "$WORK/repo" --no-print-directory "${make_args[@]}" test >"$log" 2>&1
    rc=$?
    summary="$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$log" | tail -n 1 | tr -d '=' | xargs)"
    if [ "$rc" -eq 0 ]; then
        results+=("run $run: pass ($((SECONDS - started)) s) ${summary:-}")
        echo "${results[-1]}"
    else
        failures=$((failures + 1))
        results+=("run $run: FAIL, exit $rc ($((SECONDS - started)) s) ${summary:-see $log}")
        echo "${results[-1]}"
        while IFS= read -r line; do results+=("    $line"); echo "    $line"; done < <(grep -E '^(FAILED|ERROR) ' "$log")
    fi
done
stop_hogs

echo "stress: $((RUNS - failures)) of $RUNS runs passed, $failures failed ($nhogs busy loop(s) beside them)"
for line in "${results[@]}"; do echo "  $line"; done
if [ "$failures" -gt 0 ] || [ "${KEEP:-0}" = 1 ]; then
    echo "stress: logs and clone kept in $WORK"
else
    rm -rf "$WORK"
fi
[ "$failures" -eq 0 ]
