"""The app's transcription path under every CPU numerics this machine can produce.

tiny.en's words move with the CPU's arithmetic: int8 GEMMs with or without VNNI, CTranslate2's
own kernels per ISA, the thread count's summation order. A test that passes only on the numerics
it was tuned on fails on the next machine, so this runs the app's path (speech.stt.Transcriber,
the embedded tiny.en, the app's decode options and short window) over the espeak-ng corpus
(tests/support/speech_corpus.py) and the committed fixtures once per configuration, each in a
fresh process (the ISA is chosen when CTranslate2 loads):
  CT2_FORCE_CPU_ISA   GENERIC | AVX | AVX2 | AVX512 (those the CPU has)
  ONEDNN_MAX_CPU_ISA  oneDNN runs CTranslate2's GEMMs and picks its own ISA: CT2_FORCE_CPU_ISA
                      does not reach it. SSE41 | AVX2 | AVX512_CORE are CPUs without VNNI
  threads             1 (the app) | 2
  compute type        int8 (the app) | float32
It prints the corpus word error rate per configuration (substitutions + deletions + insertions
over the words spoken, tests/support/wer.py) and what each fixture was heard as, so test bars can
be set at the worst measured figure plus a margin (tests/audio/test_stt_corpus.py).

    .venv/bin/python bench/stt_numerics.py [--all] [--quick] [--fixtures-only] [--json]

By default the 8 configurations whose words differ (~10 min); --all: all 22; --quick: no oneDNN caps;
--fixtures-only: the fixtures in every form the tests use, not the 95-clip corpus.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.audio import SENTENCES, fixture_samples  # noqa: E402
from support.wer import corpus_wer, edits  # noqa: E402

CT2_ISAS = {"GENERIC": None, "AVX": "avx", "AVX2": "avx2", "AVX512": "avx512f"}  # name: /proc/cpuinfo flag
ONEDNN_ISAS = {"SSE41": "sse4_1", "AVX2": "avx2", "AVX512_CORE": "avx512bw"}


def cpu_flags() -> set[str]:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def extra_clips() -> dict[str, tuple[str, np.ndarray, int]]:
    """The fixtures as the tests feed them: name → (text said, samples, sample rate). Besides the
    WAVs: weather.wav as the CLI tests give it (MP3, FLAC, Opus, decoded by the app's decoder), and
    as the null-sink tests capture it (some lead-in silence; captured at 48 kHz and resampled)."""
    from support.audio import encode

    from desktop_assistant.audio.decode import decode_file, resample

    clips = {name: (text, fixture_samples(name), 16000) for name, text in SENTENCES.items()}
    weather = fixture_samples("weather.wav")
    clips["weather@44.1k"] = (SENTENCES["weather.wav"], resample(weather, 16000, 44100), 44100)
    gap = np.zeros(8000, np.float32)
    names = ("weather.wav", "lights.wav", "fox.wav")
    clips["weather+lights+fox"] = (" ".join(SENTENCES[n] for n in names),
                                   np.concatenate([p for n in names for p in (fixture_samples(n), gap)]), 16000)
    with tempfile.TemporaryDirectory(prefix="da-numerics-enc-") as tmp:
        for codec, suffix in (("mp3", ".mp3"), ("flac", ".flac"), ("libopus", ".ogg")):
            path = encode(weather, 16000, Path(tmp) / f"weather{suffix}", codec)
            clips[f"weather{suffix}"] = (SENTENCES["weather.wav"], decode_file(path, 16000), 16000)
    for name in ("weather.wav", "lights.wav"):  # the GUI's fake microphone: the clip, then 0.5 s of silence
        clips[f"{name}+0.5s"] = (SENTENCES[name], np.concatenate([fixture_samples(name), gap]), 16000)
    for lead in (0.1, 0.3, 0.5, 0.8, 1.2):  # sink captures: silence before and after the speech
        silence = np.zeros(int(lead * 16000), np.float32)
        clips[f"weather lead {lead}s"] = (SENTENCES["weather.wav"],
                                          np.concatenate([silence, weather, np.zeros(4800, np.float32)]), 16000)
    looped = resample(resample(np.concatenate([np.zeros(8000, np.float32), weather, gap]), 16000, 48000), 48000,
                      16000)
    clips["weather 48k capture"] = (SENTENCES["weather.wav"], looped, 16000)
    clips["weather half volume"] = (SENTENCES["weather.wav"], 0.5 * weather, 16000)
    return clips


def worker(corpus_file: Path, threads: int, compute: str) -> None:
    """In a fresh process: load the app's tiny.en and print one JSON line per clip heard."""
    from desktop_assistant.audio.clip import AudioClip
    from desktop_assistant.config import Settings
    from desktop_assistant.paths import Paths
    from desktop_assistant.speech import stt
    from desktop_assistant.speech.models import ResolvedModel, embedded_model_dir

    stt.CPU_THREADS = threads
    home = Path(tempfile.mkdtemp(prefix="da-numerics-"))
    paths = Paths(home / "data", home / "config", home / "logs", home / "cache").ensure()
    transcriber = stt.Transcriber(Settings(stt_model="tiny.en", stt_compute_type=compute), paths,
                                  allow_download=False,
                                  model=ResolvedModel("tiny.en", embedded_model_dir(), "embedded")).start()
    assert transcriber.wait_ready(120), transcriber.status
    data = np.load(corpus_file) if corpus_file.name != "-" else {"texts": "[]"}
    texts = json.loads(str(data["texts"]))
    for i, (text, kind) in enumerate(texts):
        heard = transcriber.transcribe(AudioClip(data[f"c{i}"]), language="en").text
        print(json.dumps({"clip": i, "kind": kind, "text": text, "heard": heard}), flush=True)
    for name, (text, samples, rate) in extra_clips().items():
        heard = transcriber.transcribe(AudioClip(samples, rate), language="en").text
        print(json.dumps({"clip": name, "kind": "fixture", "text": text, "heard": heard}), flush=True)
    transcriber.close()


def configurations(quick: bool, distinct: bool = False) -> list[dict[str, str]]:
    flags = cpu_flags()
    ct2 = [isa for isa, flag in CT2_ISAS.items() if flag is None or flag in flags]
    configs = [{"CT2_FORCE_CPU_ISA": isa, "threads": str(t), "compute": c}
               for isa, t, c in itertools.product(ct2, (1, 2), ("int8", "float32"))]
    if distinct:
        configs = [c for c in configs if c["threads"] == "1"
                   and (c["compute"] == "int8" or c["CT2_FORCE_CPU_ISA"] == "GENERIC")]
    if not quick:  # CPUs without VNNI (or without AVX-512): oneDNN's int8 GEMM differs most
        configs += [{"ONEDNN_MAX_CPU_ISA": isa, "threads": "1", "compute": c}
                    for isa, flag in ONEDNN_ISAS.items() if flag in flags
                    for c in (("int8",) if distinct else ("int8", "float32"))]
    return configs


def label(config: dict[str, str]) -> str:
    isa = (f"CT2 {config['CT2_FORCE_CPU_ISA']}" if "CT2_FORCE_CPU_ISA" in config
           else f"oneDNN {config['ONEDNN_MAX_CPU_ISA']}")
    return f"{isa}, {config['threads']} thr, {config['compute']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the oneDNN ISA caps")
    parser.add_argument("--json", action="store_true", help="print every clip heard, as JSON")
    parser.add_argument("--fixtures-only", action="store_true", help="skip the corpus: only the fixtures")
    parser.add_argument("--all", action="store_true",
                        help="the full matrix (22 configurations, ~45 min on 2 busy cores); by default 8: "
                             "1 thread, int8 per ISA, float32 once (the full matrix showed that 2 threads, "
                             "and float32 under another ISA, change no word)")
    parser.add_argument("--worker", nargs=3, metavar=("CORPUS", "THREADS", "COMPUTE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), int(args.worker[1]), args.worker[2])
        return 0

    from support.speech_corpus import make_corpus

    results = []
    with tempfile.TemporaryDirectory(prefix="da-numerics-") as tmp:
        corpus_file = Path("-")
        if not args.fixtures_only:
            corpus = make_corpus()
            corpus_file = Path(tmp) / "corpus.npz"
            np.savez(corpus_file, texts=json.dumps([(c.text, c.kind) for c in corpus]),
                     **{f"c{i}": c.samples for i, c in enumerate(corpus)})
        for config in configurations(args.quick, not args.all):
            env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
            env.update({k: v for k, v in config.items() if k.endswith("_ISA")})
            out = subprocess.run([sys.executable, __file__, "--worker", str(corpus_file), config["threads"],
                                  config["compute"]], env=env, capture_output=True, text=True, check=True,
                                 timeout=3600).stdout
            heard = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            scored = corpus_wer([(h["text"], h["heard"]) for h in heard if h["kind"] != "fixture"]
                                or [(h["text"], h["heard"]) for h in heard])
            fixtures = {h["clip"]: {"heard": h["heard"], **edits(h["text"], h["heard"]).__dict__,
                                    "wer": round(edits(h["text"], h["heard"]).wer, 3)}
                        for h in heard if h["kind"] == "fixture"}
            results.append({"config": config, "label": label(config), "wer_pct": round(100 * scored.wer, 2),
                            "errors": scored.errors, "words": scored.expected, "fixtures": fixtures,
                            "clips": heard})
            print(f"{label(config):<34} WER {100 * scored.wer:5.2f} % ({scored.errors}/{scored.expected} words: "
                  f"{scored.substitutions} sub, {scored.deletions} del, {scored.insertions} ins)", flush=True)
            for name, f in fixtures.items():
                print(f"    {name:<20} WER {f['wer']:.3f}  {f['heard']!r}", flush=True)
    if args.json:
        print(json.dumps(results, indent=1, ensure_ascii=False))
    worst = max(results, key=lambda r: r["wer_pct"])
    print(f"worst corpus WER: {worst['wer_pct']:.2f} % ({worst['label']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
