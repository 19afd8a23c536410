"""Audio: devices, recording, playback, decoding. Qt-free; `sounddevice` is imported lazily
(see `devices.load_sounddevice`) so a machine without PortAudio still starts."""
