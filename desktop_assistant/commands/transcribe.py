"""`desktop-assistant transcribe FILE [--model NAME] [--language xx] [--json]`.

Decodes WAV, FLAC, MP3, OGG, … in-process (PyAV) and prints the text (or JSON).
A missing, empty or non-audio file is one line on stderr and exit code 2. The
command never downloads: when the wanted model is not on disk it says so and uses
the embedded tiny.en.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.terminal import inert

if TYPE_CHECKING:
    from desktop_assistant.speech.models import ResolvedModel
    from desktop_assistant.speech.transcript import Transcript

LOAD_TIMEOUT_S = 120.0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("transcribe", help="transcribe an audio file (WAV, FLAC, MP3, OGG)",
                              description=__doc__.split("\n\n")[1] if __doc__ else None)
    p.add_argument("file", metavar="FILE", help="audio file to transcribe")
    p.add_argument("--model", metavar="NAME", help="Whisper size or model folder (default: STT_MODEL)")
    p.add_argument("--language", metavar="xx", help="spoken language code, e.g. en (default: the agent's)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of plain text")
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
    from desktop_assistant.engine import Engine

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
