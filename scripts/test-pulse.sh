#!/usr/bin/env bash
# A private PulseAudio server for tests: a null sink ("vsink") whose monitor is the default
# source, so `paplay` into the sink is speech into the microphone; a reader keeps the monitor
# awake. Private means its own runtime dir: a desktop user's real sound server is never touched.
#   scripts/test-pulse.sh start DIR   starts it under DIR and prints the environment that reaches
#                                     it (KEY=VALUE lines; DA_TEST_PULSE=1 only when it answers)
#   scripts/test-pulse.sh stop DIR    stops it and removes DIR
# scripts/test-env.sh starts one for a whole run; each pytest-xdist worker starts its own
# (tests/conftest.py), so one worker's sounds never reach another worker's microphone.
set -uo pipefail
action="${1:-}" dir="${2:-}"
[ -n "$dir" ] && { [ "$action" = start ] || [ "$action" = stop ]; } || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
export XDG_RUNTIME_DIR="$dir" PULSE_RUNTIME_PATH="$dir/pulse" PULSE_STATE_PATH="$dir/state"
export PULSE_SERVER="unix:$dir/pulse/native"

if [ "$action" = stop ]; then
    [ -f "$dir/keepalive.pid" ] && kill "$(cat "$dir/keepalive.pid")" 2>/dev/null
    pulseaudio --kill 2>/dev/null
    rm -rf "$dir"
    exit 0
fi

mkdir -p "$PULSE_RUNTIME_PATH" "$PULSE_STATE_PATH"
echo "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"
echo "PULSE_RUNTIME_PATH=$PULSE_RUNTIME_PATH"
echo "PULSE_STATE_PATH=$PULSE_STATE_PATH"
echo "PULSE_SERVER=$PULSE_SERVER"
if ! command -v pulseaudio >/dev/null 2>&1; then
    echo "test-pulse: pulseaudio is not installed; run scripts/sysdeps.sh test" >&2
    exit 0
fi
pulseaudio -n --daemonize=yes --exit-idle-time=-1 --disallow-exit --use-pid-file=yes \
    --load="module-native-protocol-unix" \
    --load="module-null-sink sink_name=vsink rate=48000 sink_properties=device.description=Virtual" \
    --log-target=file:"$dir/pulse.log" 2>/dev/null
for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
if ! pactl info >/dev/null 2>&1; then
    echo "test-pulse: PulseAudio did not start (see $dir/pulse.log); audio tests will fail" >&2
    exit 0
fi
pactl set-default-sink vsink
pactl set-default-source vsink.monitor
# Keep the monitor running, or the first capture waits ~2 s for it to wake up.
setsid parec -d vsink.monitor --rate=16000 --channels=1 --format=s16le >/dev/null 2>&1 </dev/null &
echo $! >"$dir/keepalive.pid"
echo "DA_TEST_PULSE=1"
