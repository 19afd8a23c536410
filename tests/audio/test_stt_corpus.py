"""Accuracy of the app's speech recognition over a corpus, not over one word of one clip.

tiny.en's words move with the CPU's numerics (int8 GEMMs with or without VNNI, CTranslate2's
kernels per ISA): "Please turn off the lights" is heard as "… my life …" on this machine, word for
word on another. So accuracy is asserted as a word error rate (substitutions + deletions +
insertions, tests/support/wer.py) over 30 spoken requests and the three fixture sentences, where
one word moves the rate by 0.4 points, against a bound set from measurement.

Measured with `bench/stt_numerics.py --all` (AMD EPYC, AVX-512 with VNNI; ctranslate2 4.8.5,
faster-whisper 1.2.1, espeak-ng 1.51), the app's path (Transcriber: tiny.en, beam 5, VAD, the
short encoder window) over exactly these clips:
    numerics (CT2_FORCE_CPU_ISA | ONEDNN_MAX_CPU_ISA,     these 33 clips       the whole corpus
    CTranslate2 threads, compute type)                    WER (errors/268)     (bench, 95 clips, 951 words)
    CT2 GENERIC  1 or 2 threads  int8                     11.9 % (32)          12.3 %
    CT2 AVX      1 or 2 threads  int8                     11.6 % (31)          12.6 %
    CT2 AVX2     1 or 2 threads  int8                     11.2 % (30)          12.8 %
    CT2 AVX512   1 or 2 threads  int8  (this machine)     11.2 % (30)          13.1 %
    oneDNN SSE41      1 thread   int8  (no AVX, no VNNI)  11.6 % (31)          12.6 %
    oneDNN AVX2       1 thread   int8  (no AVX-512)       10.1 % (27)          11.8 %
    oneDNN AVX512_CORE 1 thread  int8  (no VNNI)          10.4 % (28)          10.7 %
    any of the above             float32                  10.1 % (27)          13.1 %
Those figures are the short-window path the app used before its final transcript became the default
call's decode (beam 5, the full 30 s window; issue 15): that path, re-measured on this machine's
numerics (AVX512 int8), makes 31 errors of 268 (11.6 %), one more than the old path's 30 here,
well inside the bound; bench/stt.py --real-speech compares it with the default call on recordings of
people.
(oneDNN runs CTranslate2's GEMMs and picks its ISA itself: CT2_FORCE_CPU_ISA does not reach it.
The thread count never changed a word.) Worst: 32 errors, best: 27, a spread of 5 words. The
bound allows 10 words more than the worst, twice that spread, for numerics this machine cannot
produce: 42 / 268 = 15.7 %. What breaks recognition costs far more: clips cut short, the wrong
language, broken resampling or a decode that stops early lose whole requests (7+ words each).
"""

from __future__ import annotations

import pytest
from support.audio import SENTENCES, fixture_samples
from support.wer import corpus_wer, edits

from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.speech.stt import Transcriber

MAX_WER = 42 / 268  # the worst measured (32 errors) + 10 words (twice the spread across numerics)
MIN_WORDS = 268  # one word moves the rate by 0.37 points: no single word can flip the verdict


@pytest.mark.slow
def test_word_error_rate_over_spoken_requests_is_within_the_measured_bound(
        transcriber: Transcriber, spoken_requests: list) -> None:  # type: ignore[type-arg]
    said = [(clip.text, clip.samples) for clip in spoken_requests]
    said += [(text, fixture_samples(name)) for name, text in SENTENCES.items()]
    pairs = [(text, transcriber.transcribe(AudioClip(samples), language="en").text) for text, samples in said]
    scored = corpus_wer(pairs)
    assert scored.expected >= MIN_WORDS  # one word moves the rate by less than half a point
    worst = sorted(pairs, key=lambda p: -edits(*p).errors)[:5]
    assert scored.wer <= MAX_WER, (f"{100 * scored.wer:.1f} % ({scored.substitutions} substituted, "
                                   f"{scored.deletions} deleted, {scored.insertions} inserted of "
                                   f"{scored.expected} words); worst clips: {worst}")
