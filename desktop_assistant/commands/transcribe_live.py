"""`transcribe --live`: a file played through the live transcript in simulated real time.

The samples go into an `AudioChunks` at a microphone's pace (`audio.chunks.play_into`, `speed` times
faster) while `Transcriber.listen` follows them, as it follows a held push-to-talk recording; each
update is printed as it would appear, then the final transcript of the whole clip, as at a release.
Plain: one line per update ("  0.85 s … what is the", "✓" instead of "…" when it was decoded as the
final at a pause), then the final text. `--json`: one object per line per update, then the final.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.terminal import inert

if TYPE_CHECKING:
    import numpy as np

    from desktop_assistant.speech.stt import Transcriber
    from desktop_assistant.speech.transcript import LiveStats, LiveUpdate, Transcript

MAX_SPEED = 50.0
PARTIAL_MARK, SETTLED_MARK = "…", "✓"


def check_speed(speed: float) -> float:
    if not 0 < speed <= MAX_SPEED:
        raise UserFacingError(f"--speed {speed:g} is out of range", f"use a value above 0 and at most {MAX_SPEED:g}",
                              kind=ErrorKind.INPUT)
    return speed


def update_line(update: LiveUpdate, t_ms: float, as_json: bool) -> str:
    if as_json:
        return json.dumps({"type": "partial", "seq": update.seq, "t_ms": round(t_ms, 1), "text": update.text,
                           "settled": update.settled}, ensure_ascii=False)
    mark = SETTLED_MARK if update.settled else PARTIAL_MARK
    return f"{t_ms / 1000:6.2f} s {mark} {inert(update.text)}"


def final_line(transcript: Transcript, stats: LiveStats) -> dict[str, Any]:
    first = stats.first_update_ms
    return {"type": "final", "text": transcript.text, "final_wait_ms": stats.final_wait_ms, "early": stats.early,
            "partials": stats.partials, "first_update_ms": None if first is None else round(first, 1),
            "language": transcript.language, "stt_ms": transcript.stt_ms, "no_speech": transcript.no_speech}


def play_live(transcriber: Transcriber, samples: np.ndarray, *, language: str | None, speed: float = 1.0,
              as_json: bool = False, out: TextIO = sys.stdout) -> tuple[Transcript, LiveStats]:
    """Play `samples` (16 kHz) into a live transcription, printing each update to `out`; then the final
    transcript of the whole clip (printed by the caller) and the live transcript's stats."""
    from desktop_assistant.audio.chunks import AudioChunks, play_into
    from desktop_assistant.audio.clip import SAMPLE_RATE, AudioClip

    chunks = AudioChunks(SAMPLE_RATE, len(samples) + SAMPLE_RATE)
    stop = threading.Event()
    started = time.monotonic()

    def show(update: LiveUpdate) -> None:  # on the live transcript's thread
        print(update_line(update, (update.at - started) * 1000.0, as_json), file=out, flush=True)

    player = threading.Thread(target=play_into, args=(chunks, samples), kwargs={"speed": speed, "stop": stop},
                              name="live-file-player", daemon=True)
    live = transcriber.listen(chunks, on_update=show, language=language)
    done = False
    try:
        player.start()
        duration_s = len(samples) / SAMPLE_RATE
        player.join(duration_s / speed + 30.0)
        if player.is_alive():
            raise UserFacingError("Playing the file into the live transcript did not keep pace")
        clip = AudioClip(chunks.samples(), SAMPLE_RATE)  # what a recording of it would hold at the release
        result = live.finish(clip, timeout=max(60.0, duration_s * 3.0))
        done = True
        return result
    finally:
        stop.set()
        if not done:
            live.cancel()
