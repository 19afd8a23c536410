"""A global shortcut such as "Ctrl+Alt+Space" (Qt's portable text, what Settings records) and
its spelling for each backend: X11 keysym and modifier mask, the desktop portal's trigger
("CTRL+ALT+space", the XDG shortcuts spec) and pynput's hotkey ("<ctrl>+<alt>+<space>").
Pure Python: no Qt, no X, so each backend's spelling is unit-tested alone."""

from __future__ import annotations

from dataclasses import dataclass

MODIFIERS = ("Ctrl", "Alt", "Shift", "Meta")
_MODIFIER_ALIASES = {"ctrl": "Ctrl", "control": "Ctrl", "alt": "Alt", "shift": "Shift", "meta": "Meta",
                     "super": "Meta", "logo": "Meta", "win": "Meta"}
# X11 core modifier masks (Meta is the Super/Windows key, Mod4 on every common layout).
X11_MASKS = {"Shift": 0x1, "Ctrl": 0x4, "Alt": 0x8, "Meta": 0x40}
LOCK_MASK, NUM_LOCK_MASK = 0x2, 0x10  # CapsLock; NumLock is Mod2 on every common layout
PORTAL_MODIFIERS = {"Ctrl": "CTRL", "Alt": "ALT", "Shift": "SHIFT", "Meta": "LOGO"}
PYNPUT_MODIFIERS = {"Ctrl": "<ctrl>", "Alt": "<alt>", "Shift": "<shift>", "Meta": "<cmd>"}
# Qt's key names → X keysym names (xkbcommon spells the portal's triggers the same way).
_KEYSYM_NAMES = {
    "Space": "space", "Return": "Return", "Enter": "KP_Enter", "Tab": "Tab", "Esc": "Escape",
    "Backspace": "BackSpace", "Ins": "Insert", "Del": "Delete", "Home": "Home", "End": "End",
    "PgUp": "Prior", "PgDown": "Next", "Left": "Left", "Right": "Right", "Up": "Up", "Down": "Down",
    "Pause": "Pause", "Print": "Print", "ScrollLock": "Scroll_Lock", "Menu": "Menu",
}
_KEYSYMS = {
    "space": 0x20, "Return": 0xFF0D, "KP_Enter": 0xFF8D, "Tab": 0xFF09, "Escape": 0xFF1B,
    "BackSpace": 0xFF08, "Insert": 0xFF63, "Delete": 0xFFFF, "Home": 0xFF50, "End": 0xFF57,
    "Prior": 0xFF55, "Next": 0xFF56, "Left": 0xFF51, "Up": 0xFF52, "Right": 0xFF53, "Down": 0xFF54,
    "Pause": 0xFF13, "Print": 0xFF61, "Scroll_Lock": 0xFF14, "Menu": 0xFF67,
}
_PYNPUT_KEYS = {"space": "<space>", "Return": "<enter>", "Tab": "<tab>", "Escape": "<esc>",
                "BackSpace": "<backspace>", "Insert": "<insert>", "Delete": "<delete>", "Home": "<home>",
                "End": "<end>", "Prior": "<page_up>", "Next": "<page_down>", "Left": "<left>",
                "Right": "<right>", "Up": "<up>", "Down": "<down>", "Pause": "<pause>",
                "Print": "<print_screen>", "Scroll_Lock": "<scroll_lock>", "Menu": "<menu>"}


class ShortcutError(ValueError):
    """Not a shortcut a global hotkey can be (empty, only modifiers, an unknown key)."""


@dataclass(frozen=True)
class Shortcut:
    modifiers: frozenset[str]  # of MODIFIERS
    key: str  # an X keysym name: "space", "F9", "a", "Return"

    @classmethod
    def parse(cls, text: str) -> Shortcut:
        """'Ctrl+Alt+Space', 'Meta+F9', 'ctrl+shift+a' → a Shortcut; `ShortcutError` otherwise."""
        parts = [p.strip() for p in (text or "").split("+")]
        if text.rstrip().endswith("++"):  # "Ctrl++": the plus key
            parts = [*parts[:-2], "plus"]
        if not parts or not parts[-1]:
            raise ShortcutError(f"{text!r} is not a shortcut")
        mods = set()
        for part in parts[:-1]:
            mod = _MODIFIER_ALIASES.get(part.lower())
            if mod is None:
                raise ShortcutError(f"{part!r} in {text!r} is not a modifier (Ctrl, Alt, Shift or Meta)")
            mods.add(mod)
        return cls(frozenset(mods), _keysym_name(parts[-1], text))

    def text(self) -> str:
        """Qt's portable text again ("Ctrl+Alt+Space")."""
        key = next((qt for qt, xname in _KEYSYM_NAMES.items() if xname == self.key), None)
        if key is None:
            key = self.key.upper() if len(self.key) == 1 else self.key
        return "+".join([*(m for m in MODIFIERS if m in self.modifiers), key])

    def keysym(self) -> int:
        if self.key in _KEYSYMS:
            return _KEYSYMS[self.key]
        if self.key.startswith("F") and self.key[1:].isdigit():
            return 0xFFBE + int(self.key[1:]) - 1  # XK_F1 = 0xFFBE … XK_F35
        if len(self.key) == 1:
            return ord(self.key)  # Latin-1 keysyms are their code points
        if self.key == "plus":
            return 0x2B
        raise ShortcutError(f"no X keysym for {self.key!r}")

    def x11_modifiers(self) -> int:
        mask = 0
        for mod in self.modifiers:
            mask |= X11_MASKS[mod]
        return mask

    def x11_grab_masks(self) -> tuple[int, ...]:
        """The modifier states to grab: the shortcut's own with and without CapsLock and NumLock,
        or the grab misses the key whenever one of the locks is on."""
        base = self.x11_modifiers()
        return tuple(base | extra for extra in (0, LOCK_MASK, NUM_LOCK_MASK, LOCK_MASK | NUM_LOCK_MASK))

    def portal_trigger(self) -> str:
        """The XDG shortcuts spec's spelling, the portal's `preferred_trigger`: "CTRL+ALT+space"."""
        return "+".join([*(PORTAL_MODIFIERS[m] for m in MODIFIERS if m in self.modifiers), self.key])

    def pynput_hotkey(self) -> str:
        """pynput's `HotKey.parse` spelling: "<ctrl>+<alt>+<space>", "<cmd>+<f9>", "<ctrl>+a"."""
        if self.key in _PYNPUT_KEYS:
            key = _PYNPUT_KEYS[self.key]
        elif self.key.startswith("F") and self.key[1:].isdigit():
            key = f"<{self.key.lower()}>"
        elif self.key == "plus":
            key = "+"
        else:
            key = self.key
        return "+".join([*(PYNPUT_MODIFIERS[m] for m in MODIFIERS if m in self.modifiers), key])


def _keysym_name(key: str, text: str) -> str:
    if key in _KEYSYM_NAMES:
        return _KEYSYM_NAMES[key]
    lowered = {k.lower(): v for k, v in _KEYSYM_NAMES.items()}
    if key.lower() in lowered:
        return lowered[key.lower()]
    if key.lower() == "plus":
        return "plus"
    if key[0] in "Ff" and key[1:].isdigit() and 1 <= int(key[1:]) <= 35:
        return f"F{int(key[1:])}"
    if len(key) == 1 and key.isascii() and key.isprintable():
        return key.lower()
    if key.lower() in (m.lower() for m in _MODIFIER_ALIASES):
        raise ShortcutError(f"{text!r} has only modifiers: add a key (e.g. Ctrl+Alt+Space)")
    raise ShortcutError(f"{key!r} in {text!r} is not a key a global shortcut can use")
