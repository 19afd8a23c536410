"""`desktop-assistant say "TEXT" [--out FILE.wav]`: speak text (or write it to a WAV file).

Uses the same voice as replies (TTS_ENGINE, the agent's language/accent/speed),
including the offline fallback; the text is split into sentences so playback starts
after the first one is ready.
"""

from __future__ import annotations

import argparse
import sys
import wave
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.output_file import check_output, output_file

if TYPE_CHECKING:
    import numpy as np


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("say", help="speak text aloud, or save it as a WAV file")
    p.add_argument("text", nargs="+", help="what to say")
    p.add_argument("--out", metavar="FILE.wav", type=Path, help="write a WAV file instead of playing")
    p.add_argument("--agent", metavar="NAME", help="use this agent's voice")
    p.set_defaults(func=run)


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> None:
    import numpy as np

    data = (np.clip(pcm, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    with output_file(path) as handle, wave.open(handle, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(data)


def _prepare(app: Any, text: str, on_notice: Any) -> tuple[list[Any], Any, int]:
    from desktop_assistant.assistant.sentences import SentenceSplitter
    from desktop_assistant.engine import Engine
    from desktop_assistant.speech.tts import PLAYER_RATE

    splitter = SentenceSplitter()
    fragments = [*splitter.feed(text), *splitter.flush()]
    if not fragments:
        raise UserFacingError("Nothing to say", "give some words to speak", kind=ErrorKind.INPUT)
    if app.settings.tts_engine == "none":
        raise UserFacingError("Speech is turned off (TTS_ENGINE=none)", "use --tts-engine gtts or espeak",
                              kind=ErrorKind.INPUT)
    return fragments, Engine(app).synthesizer(app.agent, on_notice), PLAYER_RATE


def run(app: Any, args: argparse.Namespace) -> int:
    import numpy as np  # loaded only when this command runs

    text = " ".join(args.text).strip()
    if args.agent is not None and args.agent not in app.agents.agents:
        raise UserFacingError(f"Unknown agent '{args.agent}'", "choose one of: " + ", ".join(app.agents.agents),
                              kind=ErrorKind.INPUT)
    if args.out is not None:
        if args.out.suffix.lower() != ".wav":
            raise UserFacingError(f"{args.out}: the output file must end in .wav", kind=ErrorKind.INPUT)
        check_output(args.out, create_parents=True)  # before the voice is fetched
    notices: list[str] = []
    fragments, synth, rate = _prepare(app, text, lambda kind, msg: notices.append(msg))

    def warn() -> None:
        for message in dict.fromkeys(notices):
            print(f"desktop-assistant: warning: {message}", file=sys.stderr, flush=True)
        notices.clear()

    if args.out is not None:
        parts = [a.pcm for a in (synth.synthesize(s.text, s.index) for s in fragments) if a is not None]
        warn()
        if not parts:
            raise UserFacingError("No voice could speak this text", "check TTS_ENGINE and your connection",
                                  kind=ErrorKind.TTS)
        gap = np.zeros(int(0.15 * rate), dtype=np.float32)
        pcm = np.concatenate([x for p in parts for x in (p, gap)][:-1])
        write_wav(args.out, pcm, rate)
        print(f"wrote {args.out} ({len(pcm) / rate:.1f} s)")
        return 0
    from desktop_assistant.assistant.speaking import SpeechRun
    from desktop_assistant.engine import Engine

    out = Engine(app, speak=True).output()  # closed with the app
    out.open()
    run_ = SpeechRun(1, synth, out)
    out.on_event = run_.on_player_event
    try:
        for sentence in fragments:
            run_.submit(sentence)
        run_.finish()
        finished = run_.wait(600.0)
    except KeyboardInterrupt:
        run_.cancel()
        raise
    finally:
        run_.close()
    warn()
    if run_.fragments_started == 0:
        raise UserFacingError("No voice could speak this text", "check TTS_ENGINE and your connection",
                              kind=ErrorKind.TTS)
    return 0 if finished else 1
