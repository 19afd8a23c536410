#!/usr/bin/env bash
# Run the packaged app's --smoke-test the way a new user would meet it: a clean environment
# (only HOME — a fresh one —, LANG, PATH without the venv, QT_QPA_PLATFORM) and no network.
set -euo pipefail
BIN="${1:-dist/desktop-assistant/desktop-assistant}"
[ -x "$BIN" ] || { echo "smoke: $BIN not found; run make package" >&2; exit 1; }
# The bundle must stay within 650 MB (issue 7): the decode path must not drag in ffmpeg binaries.
LIMIT_BYTES=650000000
size=$(du -sb "$(dirname "$BIN")" | cut -f1)
echo "smoke: bundle is $((size / 1000000)) MB (limit $((LIMIT_BYTES / 1000000)) MB)"
[ "$size" -le "$LIMIT_BYTES" ] || { echo "smoke: the bundle is larger than $((LIMIT_BYTES / 1000000)) MB" >&2; exit 1; }
HOME_DIR="$(mktemp -d "${TMPDIR:-/tmp}/da-smoke-home.XXXXXX")"
trap 'rm -rf "$HOME_DIR"' EXIT
CLEAN_PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '/\.venv/' -e "${VIRTUAL_ENV:-/nonexistent}" | paste -sd: -)"
ENV=(env -i HOME="$HOME_DIR" LANG="${LANG:-C.UTF-8}" PATH="$CLEAN_PATH" QT_QPA_PLATFORM=offscreen)
# No network: a private network namespace (root, or an unprivileged user namespace).
if unshare -n true 2>/dev/null; then NONET=(unshare -n)
elif unshare -rn true 2>/dev/null; then NONET=(unshare -rn)
else
    echo "smoke: cannot create a network namespace here; running with proxies pointed at a closed port" >&2
    NONET=()
    ENV+=(http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9)
fi
start=$(date +%s%N)
"${NONET[@]}" "${ENV[@]}" "$BIN" --smoke-test
echo "smoke: frozen app passed in $(( ($(date +%s%N) - start) / 1000000 )) ms"
