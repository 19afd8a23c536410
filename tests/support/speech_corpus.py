"""A speech corpus made on the spot with espeak-ng, recordings of people, and word error rates over
them (bench/stt.py).

Three fixtures say little about accuracy, so bench/stt.py also runs both transcription paths over
this corpus: 30 assistant-style requests, each in two voices and speeds (60 clips), every third
clip again with background noise, and 15 clips of two or three requests in a row (5–13 s), which
show whether a decode stops after the first sentence. The word error rate is counted against the
text espeak-ng was given, after light normalisation (case, punctuation, spelled-out numbers,
British/American spellings).

Recorded people: `real_speech(cache)` gives 74 clips, the 11 in pocketsphinx's source package
(downloaded once) and the 63 committed under tests/fixtures/real_speech/ (`committed_real_speech()`;
its README says where each comes from and under which licence).
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .wer import edits, words

REQUESTS = (
    "Set a timer for ten minutes.",
    "What time is it in Tokyo right now?",
    "Remind me to call my mother tomorrow at noon.",
    "How many kilometres are there in a mile?",
    "Can you explain how photosynthesis works?",
    "Translate good morning into Spanish.",
    "Write a short poem about the sea.",
    "What is the capital of Australia?",
    "Tell me a joke about computers.",
    "How do I make a cup of green tea?",
    "Who wrote the novel Pride and Prejudice?",
    "Add milk, eggs and bread to my shopping list.",
    "What's the difference between a virus and a bacterium?",
    "Play some relaxing music in the living room.",
    "How far away is the moon from the earth?",
    "Summarise the main causes of the first world war in two sentences.",
    "I need a recipe for a vegetarian lasagne that serves four people.",
    "Why is the sky blue during the day and red at sunset?",
    "Give me three ideas for a birthday present for my brother.",
    "What should I pack for a weekend hiking trip in the mountains?",
    "Convert seventy degrees Fahrenheit to Celsius.",
    "Explain recursion to a ten year old.",
    "How do I reverse a list in Python?",
    "Book a table for two at an Italian restaurant on Friday evening.",
    "What are the symptoms of the common cold?",
    "Spell the word necessary.",
    "Hello, how are you doing today?",
    "Open the garage door.",
    "Is it going to rain this afternoon?",
    "Read me the latest news headlines about science and technology.",
)
VOICES = ("en-us", "en-gb", "en-us+f2", "en-gb+m3", "en-us+klatt2")
SPEEDS = (150, 175)
RATE = 16000
LEAD, TAIL = 4000, 6000  # samples of silence around each single request
@dataclass(frozen=True)
class Clip:
    text: str
    samples: np.ndarray
    kind: str  # "single" | "noisy" | "several" (espeak-ng); "read" | "command" (pocketsphinx's people);
    # the group of a committed recording: "fleurs" | "librispeech" | "vctk" | "ljspeech" | "address" | "command"


def _speak(text: str, voice: str, speed: int, folder: Path, index: int) -> np.ndarray:
    from faster_whisper import decode_audio

    path = folder / f"c{index:03d}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True,
                   timeout=30)
    return decode_audio(str(path), sampling_rate=RATE)


def _variant(i: int) -> tuple[str, str, int]:
    """Request i // 2, in the voice and speed of its variant i % 2: (text, voice, speed)."""
    return REQUESTS[i // 2], VOICES[(i + 2 * (i % 2)) % len(VOICES)], SPEEDS[i % 2]


def make_corpus() -> list[Clip]:
    """Generates the clips (a few seconds; needs espeak-ng)."""
    rng = np.random.default_rng(0)
    lead, tail, gap = (np.zeros(n, np.float32) for n in (LEAD, TAIL, 5000))
    clips: list[Clip] = []
    spoken: list[tuple[str, np.ndarray]] = []
    with tempfile.TemporaryDirectory(prefix="da-stt-corpus-") as tmp:
        for i in range(2 * len(REQUESTS)):
            text, voice, speed = _variant(i)
            samples = _speak(text, voice, speed, Path(tmp), i)
            spoken.append((text, samples))
            padded = np.concatenate([lead, samples, tail])
            clips.append(Clip(text, padded, "single"))
            if i % 3 == 2:
                noisy = padded + rng.normal(0.0, 0.01, len(padded)).astype(np.float32)
                clips.append(Clip(text, noisy, "noisy"))
    for i in range(0, len(spoken), 4):
        group = spoken[i:i + 4:2] + ([spoken[i + 1]] if i % 8 == 0 else [])
        samples = np.concatenate([part for _, s in group for part in (s, gap)])
        clips.append(Clip(" ".join(t for t, _ in group), samples, "several"))
    return clips


def make_requests() -> list[Clip]:
    """The corpus's first "single" clip of each request (30 clips, 243 words), for the test suite:
    the same samples as in make_corpus(), so bench/stt_numerics.py's figures apply to them."""
    from concurrent.futures import ThreadPoolExecutor

    lead, tail = np.zeros(LEAD, np.float32), np.zeros(TAIL, np.float32)
    with tempfile.TemporaryDirectory(prefix="da-stt-requests-") as tmp, ThreadPoolExecutor(4) as pool:
        def clip(i: int) -> Clip:  # espeak-ng runs are processes: four at a time
            text, voice, speed = _variant(i)
            return Clip(text, np.concatenate([lead, _speak(text, voice, speed, Path(tmp), i), tail]), "single")

        return list(pool.map(clip, range(0, 2 * len(REQUESTS), 2)))


def evaluate(clips: list[Clip], transcribe: Callable[[np.ndarray], str]) -> dict[str, dict[str, float]]:
    """Word error rate (%) and median time (ms) per kind of clip, and over all."""
    per_kind: dict[str, tuple[int, int, list[float]]] = {}
    for clip in clips:
        started = time.perf_counter()
        heard = transcribe(clip.samples)
        ms = (time.perf_counter() - started) * 1000.0
        errors, total, times = per_kind.get(clip.kind, (0, 0, []))
        expected = words(clip.text)
        per_kind[clip.kind] = (errors + edits(expected, words(heard)).errors, total + len(expected), [*times, ms])
    report = {kind: {"wer_pct": round(100.0 * e / n, 1), "median_ms": round(statistics.median(t), 1),
                     "clips": len(t), "errors": e, "words": n} for kind, (e, n, t) in per_kind.items()}
    errors = sum(e for e, _, _ in per_kind.values())
    total = sum(n for _, n, _ in per_kind.values())
    all_times = [t for _, _, ts in per_kind.values() for t in ts]
    report["all"] = {"wer_pct": round(100.0 * errors / total, 1), "median_ms": round(statistics.median(all_times), 1),
                     "clips": len(all_times), "errors": errors, "words": total}
    return report


# ---------------------------------------------------------------- recorded human speech

REAL_SDIST = "pocketsphinx-5.1.1.tar.gz"  # its test data: LibriVox readings, card names, a command
REAL_SDIST_URL = ("https://files.pythonhosted.org/packages/61/e7/13e0e787ff467218de880310d79cba14424f13b87171ac44"
                  "af0bde1e428c/pocketsphinx-5.1.1.tar.gz")


REAL_FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "real_speech"


def committed_real_speech(folder: Path = REAL_FOLDER) -> list[Clip]:
    """The 63 recordings of people committed under tests/fixtures/real_speech/ (16 kHz mono FLAC,
    1.1–11.5 s, 784 words), with the transcripts their sources give, in transcripts.tsv's order.
    A clip's kind is its group, the file name up to the first "-" (e.g. "vctk-p238_165.flac")."""
    import csv

    from faster_whisper import decode_audio

    with (folder / "transcripts.tsv").open(newline="", encoding="utf-8") as tsv:
        rows = list(csv.DictReader(tsv, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [Clip(row["text"], decode_audio(str(folder / row["file"]), sampling_rate=RATE), row["file"].split("-", 1)[0])
            for row in rows]


def real_speech(cache: Path) -> list[Clip]:
    """74 recordings of people speaking, with their transcripts: 11 from pocketsphinx's source package
    on PyPI (downloaded once into `cache`, 34 MB: LibriVox readings, card names, a command), then the
    63 committed ones (`committed_real_speech`)."""
    import tarfile
    import urllib.request

    from faster_whisper import decode_audio

    archive = cache / REAL_SDIST
    if not archive.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = archive.with_suffix(".part")
        with urllib.request.urlopen(REAL_SDIST_URL, timeout=60) as response, partial.open("wb") as out:
            while block := response.read(1 << 20):
                out.write(block)
        partial.rename(archive)
    clips: list[Clip] = []
    with tarfile.open(archive) as tar, tempfile.TemporaryDirectory(prefix="da-real-speech-") as tmp:
        data = "pocketsphinx-5.1.1/test/data/"
        wanted = [m for m in tar.getmembers() if m.name.startswith((data + "librivox/", data + "cards/"))
                  or m.name == data + "goforward.raw"]
        tar.extractall(tmp, members=wanted, filter="data")
        root = Path(tmp) / data
        for wav in sorted((root / "librivox").glob("*.wav")):
            clips.append(Clip(wav.with_suffix(".txt").read_text().strip(), decode_audio(str(wav), RATE), "read"))
        lines = (root / "cards" / "cards.transcription").read_text().splitlines()
        for wav, line in zip(sorted((root / "cards").glob("*.wav")), lines, strict=True):
            text = line.rsplit("(", 1)[0].replace("<s>", "").replace("</s>", "").strip()
            clips.append(Clip(text, decode_audio(str(wav), RATE), "command"))
        raw = np.frombuffer((root / "goforward.raw").read_bytes(), "<i2").astype(np.float32) / 32768.0
        clips.append(Clip("go forward ten meters", raw, "command"))
    return clips + committed_real_speech()
