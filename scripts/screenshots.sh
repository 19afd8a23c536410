#!/usr/bin/env bash
# Regenerate docs/screenshots/: the main window, the main window with a banner, listening with the
# live transcript, History and
# Settings, each in light and dark. `desktop-assistant screenshot` renders them on a private
# Xvfb with Qt's gtk3 platform theme (GTK_THEME=Adwaita / Adwaita:dark), i.e. with the palette a
# GNOME desktop gives the app. Needs xvfb and gnome-themes-extra (scripts/sysdeps.sh test).
#   scripts/screenshots.sh [OUT_DIR]        (default: docs/screenshots)
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$HERE/.venv/bin/python}"
OUT="${1:-$HERE/docs/screenshots}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/da-screenshots.XXXXXX")"
xvfb=""
cleanup() {
    [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

exec {fd}<> <(:)
Xvfb -displayfd "$fd" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
read -r -t 20 display <&"$fd" || { echo "screenshots: Xvfb did not start" >&2; exit 1; }
mkdir -p "$OUT"
for theme in light dark; do
    gtk_theme=Adwaita
    [ "$theme" = dark ] && gtk_theme=Adwaita:dark
    # (no session bus: the desktop's own bus and portal are not asked; the theme comes from GTK_THEME)
    env -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS DISPLAY=":$display" QT_QPA_PLATFORM=xcb \
        QT_QPA_PLATFORMTHEME=gtk3 GTK_THEME="$gtk_theme" DESKTOP_ASSISTANT_HOME="$WORK/home-$theme" \
        PYTHONPATH="$HERE" "$PYTHON" -m desktop_assistant screenshot "$WORK/$theme" >"$WORK/$theme.log" 2>&1 \
        || { cat "$WORK/$theme.log" >&2; exit 1; }
    for name in main-window main-window-banner main-window-live history settings; do
        cp "$WORK/$theme/$name.png" "$OUT/$name-$theme.png"
        echo "$OUT/$name-$theme.png"
    done
done
