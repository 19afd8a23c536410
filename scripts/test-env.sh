#!/usr/bin/env bash
# Run a command inside the test environment: a private PulseAudio server with a null sink
# ("vsink", its monitor is the default source; scripts/test-pulse.sh) and offscreen Qt.
# Everything started here is stopped on exit. The server is private (its own runtime dir), so a
# desktop user's real sound server is never touched.
#   scripts/test-env.sh COMMAND [ARGS…]
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"

export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
RUNTIME="$(mktemp -d "${TMPDIR:-/tmp}/da-pulse.XXXXXX")"
trap '"$HERE/test-pulse.sh" stop "$RUNTIME"' EXIT
while IFS='=' read -r key value; do
    export "$key=$value"
done < <("$HERE/test-pulse.sh" start "$RUNTIME")

"$@"
