#!/usr/bin/env bash
# Check the Debian/Ubuntu system packages the app needs and install the missing ones.
#   scripts/sysdeps.sh app    libraries to run the app (PortAudio, Qt's xcb libraries)
#   scripts/sysdeps.sh test   the above plus what the tests use (PulseAudio, espeak-ng, Xvfb)
# As root it runs apt-get; otherwise it uses sudo when that needs no password; otherwise it
# prints the exact command to run and exits 1.
set -euo pipefail

APP_PKGS=(libportaudio2 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
          libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libxkbcommon0
          libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0)
TEST_PKGS=(pulseaudio pulseaudio-utils libasound2-plugins espeak-ng xvfb)
# The light/dark contrast tests: GTK's Adwaita and Adwaita:dark for Qt's gtk3 platform theme, DejaVu
# Sans for the glyph check, AT-SPI (read by the system python) to find the texts on the real desktop.
TEST_PKGS+=(libgtk-3-0 gnome-themes-extra fonts-dejavu-core at-spi2-core python3-pyatspi)
# The real-desktop suite (tests/desktop): a window manager, input through the X server, key repeat
# settings (xset), the WM check (xprop), a session bus, screenshots.
TEST_PKGS+=(openbox xdotool x11-xserver-utils x11-utils dbus dbus-x11 imagemagick)
# The terminal tests of `talk`: a real terminal (a tmux pane) to type into and read the screen of.
TEST_PKGS+=(tmux)
# The privacy test (tests/privacy): every connection of the app's process tree, recorded with strace.
TEST_PKGS+=(strace)

want=("${APP_PKGS[@]}")
# Debian's own python3 needs python3-venv to create the .venv (pyenv/other builds have ensurepip).
if ! "${PYTHON:-python3}" -c "import ensurepip, venv" >/dev/null 2>&1; then
    ver=$("${PYTHON:-python3}" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null)
    want+=("python${ver:-3}-venv")
fi
[ "${1:-app}" = "test" ] && want+=("${TEST_PKGS[@]}")

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "sysdeps: not a Debian/Ubuntu system; make sure these (or your distribution's equivalents) are installed:" >&2
    echo "  ${want[*]}" >&2
    exit 0
fi

missing=()
for pkg in "${want[@]}"; do
    # libglib2.0-0 was renamed libglib2.0-0t64 on newer releases: either is fine.
    alts=("$pkg")
    [ "$pkg" = libglib2.0-0 ] && alts+=(libglib2.0-0t64)
    ok=0
    for alt in "${alts[@]}"; do
        if dpkg-query -W -f='${Status}' "$alt" 2>/dev/null | grep -q "install ok installed"; then ok=1; break; fi
    done
    [ $ok = 1 ] || missing+=("$pkg")
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "sysdeps: installing missing system packages: ${missing[*]}"
if [ "$(id -u)" = 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo)
else
    echo "sysdeps: these system packages are missing and I cannot install them without root:" >&2
    echo "" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    echo "" >&2
    echo "Run that command, then run make again." >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
# A package name unknown to this release (e.g. the glib rename) is retried with its new name.
if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    fixed=("${missing[@]/#libglib2.0-0/libglib2.0-0t64}")
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${fixed[@]}"
fi
