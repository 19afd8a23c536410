"""Speech synthesis: gTTS's real code against a loopback endpoint, and the real espeak-ng fallback."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from desktop_assistant.agents import FALLBACK_AGENT
from desktop_assistant.config import Settings
from desktop_assistant.speech.tts import (
    NO_VOICE_NOTICE,
    OFFLINE_NOTICE,
    Synthesizer,
    Voice,
    engine_for,
    process,
)
from tests.support.groq_server import closed_port_url
from tests.support.tts_server import TTSServer

TEXT = "The capital of France is Paris."


def synth(url: str, notices: list, **kwargs) -> Synthesizer:
    return Synthesizer(gtts_endpoint=url, on_notice=lambda kind, msg: notices.append((kind, msg)), **kwargs)


def test_gtts_request_is_answered_with_real_mp3_decoded_to_player_pcm(tts_server: TTSServer) -> None:
    notices: list = []
    audio = synth(tts_server.url, notices, voice=Voice(lang="en", tld="co.uk")).synthesize(TEXT, index=3)
    assert audio is not None
    assert audio.engine == "gtts"
    assert audio.index == 3 and audio.text == TEXT
    assert audio.sample_rate == 24000
    assert audio.pcm.dtype == np.float32
    assert 1.0 < audio.duration_s < 4.0  # espeak-ng speech of the sentence, silence trimmed
    assert 0.2 < float(np.max(np.abs(audio.pcm))) <= 1.0
    assert notices == []
    assert [(r.text.rstrip("."), r.lang) for r in tts_server.requests] == [("The capital of France is Paris", "en")]


def test_leading_and_trailing_silence_is_trimmed() -> None:
    rate = 24000
    tone = np.sin(np.arange(rate // 2) * 2 * np.pi * 300 / rate).astype(np.float32) * 0.5
    padded = np.concatenate([np.zeros(rate), tone, np.zeros(rate)])
    out = process(padded, rate)
    assert 0.5 <= len(out) / rate < 0.6


def test_speed_above_one_shortens_the_audio(tts_server: TTSServer) -> None:
    normal = synth(tts_server.url, []).synthesize(TEXT)
    fast = synth(tts_server.url, [], voice=Voice(speed=1.5)).synthesize(TEXT)
    assert fast.duration_s < normal.duration_s * 0.8


@pytest.mark.parametrize("failure", ["429", "500", "garbage", "timeout", "refused"])
def test_gtts_failure_falls_back_to_espeak_and_notices_once(failure: str) -> None:
    with TTSServer(status={"429": 429, "500": 500}.get(failure, 200), garbage=failure == "garbage",
                   delay_s=2.0 if failure == "timeout" else 0.0) as server:
        url = closed_port_url() if failure == "refused" else server.url
        notices: list = []
        tts = synth(url, notices, timeout=0.5)
        start = time.monotonic()
        first = tts.synthesize(TEXT)
        assert time.monotonic() - start < 1.5
        second = tts.synthesize("And a second sentence.")
    assert first is not None and first.engine == "espeak"
    assert second is not None and second.engine == "espeak"
    assert first.duration_s > 0.5
    assert notices == [("offline_voice", OFFLINE_NOTICE)]
    if failure != "refused":
        assert len(server.requests) == 1  # gTTS is not retried for every fragment


def test_gtts_is_tried_again_after_the_cool_down(tts_server: TTSServer) -> None:
    tts = synth(closed_port_url(), [], retry_gtts_after_s=0.0)
    assert tts.synthesize(TEXT).engine == "espeak"
    tts.gtts_endpoint = tts_server.url
    tts._gtts_cls = None
    assert tts.synthesize(TEXT).engine == "gtts"


def test_espeak_engine_speaks_offline_without_notice() -> None:
    notices: list = []
    audio = Synthesizer("espeak", on_notice=lambda *a: notices.append(a)).synthesize(TEXT)
    assert audio is not None and audio.engine == "espeak"
    assert audio.sample_rate == 24000 and audio.duration_s > 1.0
    assert notices == []


def test_unknown_espeak_language_still_speaks_in_the_default_voice() -> None:
    audio = Synthesizer("espeak", Voice(lang="zz-nope")).synthesize(TEXT)
    assert audio is not None and audio.duration_s > 1.0


def test_no_engine_able_to_speak_gives_none_and_one_notice() -> None:
    notices: list = []
    tts = Synthesizer("gtts", gtts_endpoint=closed_port_url(), espeak_binary="/nonexistent/espeak-ng",
                      on_notice=lambda kind, msg: notices.append((kind, msg)))
    assert tts.synthesize(TEXT) is None
    assert tts.synthesize(TEXT) is None
    assert notices == [("offline_voice", OFFLINE_NOTICE), ("no_voice", NO_VOICE_NOTICE)]


def test_engine_none_and_unspeakable_text_give_none(tts_server: TTSServer) -> None:
    assert Synthesizer("none").synthesize(TEXT) is None
    assert synth(tts_server.url, []).synthesize(" ... ") is None
    assert tts_server.requests == []


def test_parallel_requests_are_served_concurrently() -> None:
    with TTSServer(delay_s=0.3, voice="tone") as server:
        tts = synth(server.url, [])
        start = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(tts.synthesize, ["One sentence.", "Two sentence."]))
        elapsed = time.monotonic() - start
    assert all(r is not None and r.engine == "gtts" for r in results)
    assert elapsed < 0.55
    assert server.max_active == 2


def test_engine_and_voice_come_from_settings_and_agent() -> None:
    agent = FALLBACK_AGENT
    assert engine_for(Settings(tts_engine="espeak"), agent) == "espeak"
    assert engine_for(Settings(), agent) == "gtts"
    voice = Voice.for_agent(agent, Settings(tts_speed=1.5))
    assert voice == Voice("en", "com", 1.5)


def test_text_over_100_characters_takes_several_requests_and_one_clip(tts_server: TTSServer) -> None:
    text = ("Paris is the capital of France, and it is famous for the Eiffel Tower, the Louvre museum, "
            "its cafés and its long history as a centre of art.")
    audio = synth(tts_server.url, []).synthesize(text)
    assert audio is not None and audio.engine == "gtts"
    assert len(tts_server.requests) >= 2  # gTTS's own 100-character split; the MP3 parts concatenate
    assert audio.duration_s > 5.0
