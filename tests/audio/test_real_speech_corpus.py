"""The committed recordings of people (tests/fixtures/real_speech/) load, offline, as a corpus worth scoring.

bench/stt.py --real-speech scores the transcription paths on them; a corpus word error rate is only
worth comparing if no single word can move it far (≥ 300 words: ≤ 0.33 points a word) and every clip
is what the loader claims: 16 kHz mono audio of 1–20 s with its source's transcript.
"""

from __future__ import annotations

import csv
import io
import tarfile
import wave
from pathlib import Path

import av
import numpy as np
from support.speech_corpus import RATE, REAL_FOLDER, REAL_SDIST, committed_real_speech, real_speech
from support.wer import words

GROUPS = {"fleurs", "librispeech", "vctk", "ljspeech", "address", "command"}


def _rows() -> list[dict[str, str]]:
    with (REAL_FOLDER / "transcripts.tsv").open(newline="", encoding="utf-8") as tsv:
        return list(csv.DictReader(tsv, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_every_listed_file_exists_and_no_audio_file_is_unlisted() -> None:
    rows = _rows()
    listed = [row["file"] for row in rows]
    assert len(listed) == len(set(listed))
    on_disk = {p.name for p in REAL_FOLDER.iterdir()} - {"README.md", "transcripts.tsv"}
    assert set(listed) == on_disk
    for row in rows:
        assert set(row) == {"file", "text", "source", "license"}
        assert row["text"].strip() and row["source"].strip() and row["license"].strip(), row
        assert row["file"].endswith(".flac") and row["file"].split("-", 1)[0] in GROUPS, row["file"]


def test_every_file_is_16_khz_mono_flac() -> None:
    for row in _rows():
        with av.open(str(REAL_FOLDER / row["file"])) as container:
            stream = container.streams.audio[0]
            assert (container.format.name, stream.codec_context.name) == ("flac", "flac"), row["file"]
            assert (stream.codec_context.sample_rate, stream.codec_context.channels) == (RATE, 1), row["file"]


def test_the_committed_corpus_loads_as_at_least_30_clips_and_300_words() -> None:
    clips = committed_real_speech()
    rows = _rows()
    assert len(clips) == len(rows) >= 30
    for clip, row in zip(clips, rows, strict=True):
        assert clip.text == row["text"] and words(clip.text)
        assert clip.kind == row["file"].split("-", 1)[0]
        assert clip.samples.dtype == np.float32 and clip.samples.ndim == 1
        assert 1.0 <= len(clip.samples) / RATE <= 20.0, (row["file"], len(clip.samples) / RATE)
        assert np.abs(clip.samples).max() > 0.001, row["file"]  # sound, not silence
    assert sum(len(words(clip.text)) for clip in clips) >= 300
    assert {clip.kind for clip in clips} == GROUPS


def _wav_bytes(seconds: float) -> bytes:
    tone = (0.3 * np.sin(np.arange(int(RATE * seconds)) * 0.05) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(tone.tobytes())
    return out.getvalue()


def test_real_speech_gives_the_downloaded_clips_then_the_committed_ones(tmp_path: Path) -> None:
    # A stand-in for pocketsphinx's source package in the cache, laid out as the real one is.
    data = "pocketsphinx-5.1.1/test/data/"
    members = {data + "librivox/a.wav": _wav_bytes(1.5), data + "librivox/a.txt": b"a reading\n",
               data + "cards/001.wav": _wav_bytes(1.0), data + "cards/cards.transcription": b"<s> ace </s> (001)\n",
               data + "goforward.raw": (np.zeros(RATE, "<i2")).tobytes()}
    with tarfile.open(tmp_path / REAL_SDIST, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))

    clips = real_speech(tmp_path)

    committed = committed_real_speech()
    assert [(c.text, c.kind) for c in clips[:3]] == [("a reading", "read"), ("ace", "command"),
                                                      ("go forward ten meters", "command")]
    assert [(c.text, c.kind) for c in clips[3:]] == [(c.text, c.kind) for c in committed]
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(clips[3:], committed, strict=True))
