#!/usr/bin/env bash
# Run a command inside the test environment: a private PulseAudio server with a null sink
# ("vsink", its monitor is the default source), a reader keeping the monitor awake, and
# offscreen Qt. Everything started here is stopped on exit. The server is private (its own
# runtime dir), so a desktop user's real sound server is never touched.
#   scripts/test-env.sh COMMAND [ARGS…]
set -uo pipefail

export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
RUNTIME="$(mktemp -d "${TMPDIR:-/tmp}/da-pulse.XXXXXX")"
export XDG_RUNTIME_DIR="$RUNTIME" PULSE_RUNTIME_PATH="$RUNTIME/pulse" PULSE_STATE_PATH="$RUNTIME/state"
export PULSE_SERVER="unix:$RUNTIME/pulse/native"
mkdir -p "$PULSE_RUNTIME_PATH" "$PULSE_STATE_PATH"
keepalive=""

cleanup() {
    [ -n "$keepalive" ] && kill "$keepalive" 2>/dev/null
    pulseaudio --kill 2>/dev/null
    rm -rf "$RUNTIME"
}
trap cleanup EXIT

if command -v pulseaudio >/dev/null 2>&1; then
    pulseaudio -n --daemonize=yes --exit-idle-time=-1 --disallow-exit --use-pid-file=yes \
        --load="module-native-protocol-unix" \
        --load="module-null-sink sink_name=vsink rate=48000 sink_properties=device.description=Virtual" \
        --log-target=file:"$RUNTIME/pulse.log" 2>/dev/null
    for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
    if pactl info >/dev/null 2>&1; then
        pactl set-default-sink vsink
        pactl set-default-source vsink.monitor
        # Keep the monitor running, or the first capture waits ~2 s for it to wake up.
        parec -d vsink.monitor --rate=16000 --channels=1 --format=s16le >/dev/null 2>&1 &
        keepalive=$!
        export DA_TEST_PULSE=1
    else
        echo "test-env: PulseAudio did not start (see $RUNTIME/pulse.log); audio tests will fail" >&2
    fi
else
    echo "test-env: pulseaudio is not installed; run scripts/sysdeps.sh test" >&2
fi

"$@"
