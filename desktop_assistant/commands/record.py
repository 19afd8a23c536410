"""`desktop-assistant record --seconds N [--out FILE.wav]`: record the input device to a WAV
(16 kHz mono 16-bit, written with the stdlib `wave` module). Useful to check the microphone."""

from __future__ import annotations

import argparse
import sys
import threading
import time
import wave
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.output_file import check_output, output_file

if TYPE_CHECKING:
    from desktop_assistant.audio.clip import AudioClip
    from desktop_assistant.audio.events import RecorderEvent


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 3600")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("record", help="record from the microphone into a WAV file",
                              description=__doc__)
    p.add_argument("--seconds", type=_seconds, required=True, metavar="N", help="how long to record")
    p.add_argument("--out", metavar="FILE.wav", help="output file (default: recording-<time>.wav here)")
    p.add_argument("--device", metavar="NAME|INDEX",
                   help="input device (default: INPUT_DEVICE or the system's)")
    p.set_defaults(func=run)


def write_wav(path: Path, clip: AudioClip) -> None:
    import numpy as np

    pcm = (np.clip(clip.samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with output_file(path) as handle, wave.open(handle, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(clip.sample_rate)
        w.writeframes(pcm.tobytes())


def run(app: Any, args: argparse.Namespace) -> int:
    # the audio stack loads only when this command runs, not at every start
    from desktop_assistant.audio.clip import level_dbfs
    from desktop_assistant.audio.events import RecordingFailed, RecordingLimitReached
    from desktop_assistant.engine import Engine

    out = Path(args.out or time.strftime("recording-%Y%m%d-%H%M%S.wav")).expanduser()
    if out.suffix.lower() != ".wav":
        raise UserFacingError(f"{out}: the output must be a .wav file", kind=ErrorKind.INPUT)
    check_output(out)  # before recording: a recording is never made only to be thrown away
    ended = threading.Event()

    def on_event(event: RecorderEvent) -> None:
        if isinstance(event, RecordingFailed | RecordingLimitReached):
            ended.set()

    device = args.device if args.device is not None else app.settings.input_device
    if isinstance(device, str) and device.isdigit():
        device = int(device)
    recorder = Engine(app).microphone(device, max_seconds=args.seconds, on_event=on_event)
    recorder.start()  # a missing or busy microphone is one line before "Recording" is said
    print(f"Recording {args.seconds:g} s…", file=sys.stderr)
    try:
        ended.wait(args.seconds + 2.0)  # the limit ends it; the margin bounds a silent device
    finally:
        try:
            clip = recorder.stop()
        finally:  # the stream is closed before the process ends: PortAudio's exit handler must not
            recorder.close()  # run while a background thread still closes it (it hung the exit once)
    write_wav(out, clip)
    print(f"{out}: {clip.duration_s:.2f} s, level {level_dbfs(clip.samples):.1f} dBFS, "
          f"peak {clip.peak:.3f}")
    return 0
