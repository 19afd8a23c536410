"""The global push-to-talk hotkey, working while the window is unfocused or hidden.

`base` (the backend interface, the status, which backend this desktop gets), `shortcut` (one
shortcut spelled for each backend), the backends `x11` (a passive key grab), `portal` (Wayland's
GlobalShortcuts portal) and `pynput_keys` (Windows, macOS), and `global_hotkey` (the chosen
backend driving the talk button).
"""
