#!/usr/bin/env bash
# Install the packaged app for the current user: a launcher (.desktop file), icons, and a
# `desktop-assistant` command in ~/.local/bin. Undo with: scripts/install-desktop.sh --uninstall
set -euo pipefail
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"
BINDIR="$HOME/.local/bin"
HERE="$(cd "$(dirname "$0")/.." && pwd)"

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$APPS/desktop-assistant.desktop" "$BINDIR/desktop-assistant"
    find "$ICONS" -name 'desktop-assistant.*' -delete 2>/dev/null || true
    echo "Desktop Assistant launcher removed."
    exit 0
fi

BUNDLE="$(cd "${1:?usage: install-desktop.sh BUNDLE_DIR}" && pwd)"
[ -x "$BUNDLE/desktop-assistant" ] || { echo "no desktop-assistant executable in $BUNDLE" >&2; exit 1; }
mkdir -p "$APPS" "$BINDIR" "$ICONS/scalable/apps"
for size in 16 24 32 48 64 128 256 512; do
    mkdir -p "$ICONS/${size}x${size}/apps"
    cp "$HERE/resources/icons/desktop-assistant-$size.png" "$ICONS/${size}x${size}/apps/desktop-assistant.png"
done
cp "$HERE/resources/icons/desktop-assistant.svg" "$ICONS/scalable/apps/desktop-assistant.svg"
sed "s|@EXEC@|$BUNDLE/desktop-assistant|" "$HERE/resources/desktop-assistant.desktop" > "$APPS/desktop-assistant.desktop"
ln -sf "$BUNDLE/desktop-assistant" "$BINDIR/desktop-assistant"
command -v update-desktop-database >/dev/null && update-desktop-database "$APPS" 2>/dev/null || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$DATA/icons/hicolor" 2>/dev/null || true
echo "Installed: $APPS/desktop-assistant.desktop (launcher), icons, and $BINDIR/desktop-assistant"
