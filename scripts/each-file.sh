#!/usr/bin/env bash
# Run every test file on its own, each in a fresh scripts/test-env.sh (its own PulseAudio), so a
# test that passes only after another file prepared something (an open audio output, a loaded
# model, an import side effect) shows up. Prints one line per file and the failures at the end.
#   scripts/each-file.sh [PATH…]        (default: tests; PATH may be a folder or a test file)
# PYTHON (default .venv/bin/python) runs pytest; PYTEST_ARGS are passed on (e.g. "-m 'not slow'").
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
[ "$#" -gt 0 ] || set -- tests
mapfile -t files < <(for p in "$@"; do
    if [ -d "$p" ]; then find "$p" -name 'test_*.py' -type f; else printf '%s\n' "$p"; fi
done | sort -u)
[ "${#files[@]}" -gt 0 ] || { echo "each-file: no test files under $*" >&2; exit 2; }
eval "extra=(${PYTEST_ARGS:-})"  # shell words, quotes allowed: PYTEST_ARGS="-m 'not slow'"
failed=()
log="$(mktemp "${TMPDIR:-/tmp}/da-each-file.XXXXXX")"
trap 'rm -f "$log"' EXIT
for f in "${files[@]}"; do
    started=$SECONDS
    scripts/test-env.sh "$PYTHON" -m pytest -q -p no:cacheprovider "${extra[@]}" "$f" >"$log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 5 ]; then  # 5: every test deselected by PYTEST_ARGS
        echo "pass  $f ($((SECONDS - started)) s): $(tail -n 1 "$log")"
    else
        echo "FAIL  $f ($((SECONDS - started)) s, exit $rc): $(tail -n 1 "$log")"
        grep -E '^(FAILED|ERROR) ' "$log" | sed 's/^/      /'
        failed+=("$f")
    fi
done
echo "each-file: ${#files[@]} files, ${#failed[@]} failed alone"
for f in "${failed[@]}"; do echo "  $f"; done
[ "${#failed[@]}" -eq 0 ]
