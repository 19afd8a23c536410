"""`desktop-assistant transcribe FILE [--model NAME] [--language xx] [--json] [--live [--speed X]]`.

Decodes WAV, FLAC, MP3, OGG, … in-process (PyAV) and prints the text (or JSON).
With --live the file is played in real time (or X times faster) through the live
transcript the app shows while you speak: each update is printed as it appears,
then the final transcript (--json: one JSON object per line per update, then the
final). A missing, empty or non-audio file is one line on stderr and exit code 2.
The command never downloads: when the wanted model is not on disk it says so and
uses the embedded tiny.en.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.terminal import inert

if TYPE_CHECKING:
    from desktop_assistant.audio.clip import AudioClip
    from desktop_assistant.speech.models import ResolvedModel
    from desktop_assistant.speech.transcript import Transcript

LOAD_TIMEOUT_S = 120.0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("transcribe", help="transcribe an audio file (WAV, FLAC, MP3, OGG)",
                              description=__doc__.split("\n\n")[1] if __doc__ else None)
    p.add_argument("file", metavar="FILE", help="audio file to transcribe")
    p.add_argument("--model", metavar="NAME", help="Whisper size or model folder (default: STT_MODEL)")
    p.add_argument("--language", metavar="xx", help="spoken language code, e.g. en (default: the agent's)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of plain text "
                   "(--live: one per line per update)")
    p.add_argument("--live", action="store_true",
                   help="play the file in real time through the live transcript: print each update, then the final")
    p.add_argument("--speed", type=float, metavar="X",
                   help="with --live: play X times faster than real time (default 1)")
    p.set_defaults(func=run)


def _language(app: Any, args: argparse.Namespace) -> str | None:
    if args.language:
        code = str(args.language).strip().lower()
        from faster_whisper.tokenizer import _LANGUAGE_CODES  # Whisper's own list (~100 codes)

        if code not in _LANGUAGE_CODES:
            raise UserFacingError(f"--language {inert(args.language)!r} is not a language code Whisper knows",
                                  "use a code such as en, de, fr, es or ja", kind=ErrorKind.INPUT)
        return code
    try:
        language: str | None = app.agent.stt.language
        return language
    except UserFacingError:
        return None


def english_only(model: ResolvedModel) -> bool:
    return model.name.endswith(".en") or model.path.name.endswith(".en")


def _model_for(settings: Any, paths: Any, language: str | None, asked: bool) -> ResolvedModel | None:
    """The model to use when `--language` asks for another language than an English-only model
    hears: its multilingual sibling when it is on disk (tiny.en → tiny); else a `UserFacingError`.
    None: the usual resolution."""
    from desktop_assistant.speech.models import plan

    if not asked or language in (None, "en"):
        return None
    resolved = plan(settings, paths)
    if not english_only(resolved):
        return None
    sibling = resolved.name.removesuffix(".en")
    if sibling != resolved.name:
        other = plan(settings.with_values(stt_model=sibling), paths)
        if other.source != "embedded" and not english_only(other):
            print(f"desktop-assistant: note: {resolved.name} hears English only; using {sibling} for "
                  f"--language {language}", file=sys.stderr)
            return other
    raise UserFacingError(
        f"The speech model {resolved.name} understands English only, so --language {language} cannot be used",
        "use a multilingual model (--model base, which the app downloads when online), or --language en",
        kind=ErrorKind.INPUT)


def run(app: Any, args: argparse.Namespace) -> int:
    # numpy, PyAV and faster-whisper load only when this command runs, not at every start
    from desktop_assistant.audio.clip import SAMPLE_RATE, AudioClip
    from desktop_assistant.audio.decode import decode_file
    from desktop_assistant.commands.transcribe_live import check_speed
    from desktop_assistant.engine import Engine

    if args.speed is not None and not args.live:
        raise UserFacingError("--speed needs --live", kind=ErrorKind.INPUT)
    speed = check_speed(1.0 if args.speed is None else args.speed)
    language = _language(app, args)
    settings = app.settings.with_values(stt_model=args.model) if args.model else app.settings
    model = _model_for(settings, app.paths, language, asked=bool(args.language))
    samples = decode_file(args.file, SAMPLE_RATE)
    clip = AudioClip(samples, SAMPLE_RATE)
    transcriber = Engine(app).speech_model(settings, model=model, allow_download=False)
    try:
        if not transcriber.wait_ready(LOAD_TIMEOUT_S):
            raise transcriber.error or UserFacingError(
                f"The speech model did not load within {LOAD_TIMEOUT_S:.0f} s")
        resolved = transcriber.resolved
        if resolved is not None and resolved.reason:
            print(f"desktop-assistant: note: {resolved.reason}", file=sys.stderr)
        if args.live:
            return _live(transcriber, clip, language, speed, as_json=args.json)
        timeout = max(60.0, clip.duration_s * 3.0)
        result = transcriber.transcribe(clip, language=language, timeout=timeout)
    finally:
        transcriber.close()
    if args.json:
        print(json.dumps(as_json(result), ensure_ascii=False))
    elif result.no_speech:
        print("desktop-assistant: no speech recognised", file=sys.stderr)
    else:
        print(result.text)
    return 0


def _live(transcriber: Any, clip: AudioClip, language: str | None, speed: float, *, as_json: bool) -> int:
    from desktop_assistant.commands.transcribe_live import final_line, play_live

    result, stats = play_live(transcriber, clip.samples, language=language, speed=speed, as_json=as_json)
    if as_json:
        print(json.dumps(final_line(result, stats), ensure_ascii=False))
        return 0
    if result.no_speech:
        print("desktop-assistant: no speech recognised", file=sys.stderr)
    else:
        print(inert(result.text))
    print(f"desktop-assistant: note: {stats.partials} updates; the final transcript came {stats.final_wait_ms:.0f} ms "
          f"after the end (early decode: {stats.early})", file=sys.stderr)
    return 0


def as_json(t: Transcript) -> dict[str, Any]:
    return {
        "text": t.text,
        "language": t.language,
        "duration_s": t.duration_s,
        "stt_ms": t.stt_ms,
        "model": t.model,
        "model_source": t.model_source,
        "no_speech": t.no_speech,
        "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in t.segments],
    }
