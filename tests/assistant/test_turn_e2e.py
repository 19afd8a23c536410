"""Full turns with real parts: a fixture WAV through the embedded tiny.en, the loopback Groq,
gTTS's real code against the loopback TTS endpoint, the Player on the PulseAudio null sink,
and the real SQLite history."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from desktop_assistant.agents import FALLBACK_AGENT, AgentSet
from desktop_assistant.assistant.conductor import Assistant
from desktop_assistant.assistant.events import (
    FragmentSpoken,
    RecordingStarted,
    RecordingStopped,
    ReplyDelta,
    ReplyStarted,
    SpeakingStarted,
    TranscriptPartial,
    TranscriptReady,
    TurnFinished,
    UserMessageStored,
)
from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.audio.player import Player
from desktop_assistant.audio.recorder import Recorder
from desktop_assistant.config import Settings
from desktop_assistant.llm.client import ChatClient
from desktop_assistant.speech.stt import Transcriber
from desktop_assistant.speech.tts import Synthesizer, Voice
from tests.support.audio import (
    FIXTURES,
    SENTENCES,
    SINK_MAX_WER,
    MonitorCapture,
    active_seconds,
    fixture_samples,
    play_into_sink,
)
from tests.support.groq_server import GroqBehaviour, GroqServer
from tests.support.tts_server import TTSServer
from tests.support.wer import word_error_rate

pytestmark = [pytest.mark.audio, pytest.mark.slow]

LONG_REPLY = " ".join(f"This is sentence number {n} of a long spoken answer." for n in range(1, 20))


class Rig:
    def __init__(self, groq: GroqServer, tts: TTSServer, store: object, transcriber: Transcriber) -> None:
        self.events: list = []
        settings = Settings(groq_api_key="gsk_test12345", groq_base_url=groq.base_url)
        self.player = Player(sample_rate=24000)
        self.recorder = Recorder()  # the default source: the null sink's monitor
        self.assistant = Assistant(
            settings, AgentSet({"assistant": FALLBACK_AGENT}, []), store, ChatClient.from_settings(settings),
            transcriber=transcriber, player=self.player, recorder=self.recorder,
            synthesizer_for=lambda agent: Synthesizer("gtts", Voice(), gtts_endpoint=tts.url),
            listener=self.events.append)
        self.player.on_event = self.assistant.on_player_event
        self.recorder.on_event = self.assistant.on_recorder_event

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    def close(self) -> None:
        self.assistant.close()
        self.assistant.chat.close()
        self.recorder.close()
        self.player.close()


@pytest.fixture
def rig(groq_server: GroqServer, tts_server: TTSServer, store, transcriber) -> Iterator[Rig]:
    r = Rig(groq_server, tts_server, store, transcriber)
    yield r
    r.close()


def test_voice_turn_from_wav_to_the_sink(rig: Rig, groq_server: GroqServer, store) -> None:
    groq_server.default = GroqBehaviour(ttft_s=0.1, tokens_per_s=300)
    clip = AudioClip(fixture_samples("weather.wav"))
    with MonitorCapture() as capture:
        result = rig.assistant.send_clip(clip, released_at=time.monotonic()).wait(60)
        time.sleep(0.3)
    assert isinstance(result, TurnFinished), result
    assert result.status == "complete"
    kinds = [type(e) for e in rig.events]
    assert kinds[:3] == [TranscriptReady, UserMessageStored, ReplyStarted]
    assert ReplyDelta in kinds and kinds[-1] is TurnFinished
    assert kinds.index(SpeakingStarted) > kinds.index(ReplyDelta)
    transcript = rig.of(TranscriptReady)[0].text
    assert word_error_rate(SENTENCES["weather.wav"], transcript) == 0.0, transcript
    assert [e.index for e in rig.of(FragmentSpoken)] == [0, 1, 2]
    # stored in SQLite: the user's words and the full reply with all four timings
    messages = store.recent_messages(result.conversation_id, 10)
    assert [(m.role, m.status) for m in messages] == [("user", "complete"), ("assistant", "complete")]
    assert messages[0].text == transcript and messages[0].source == "voice"
    assert messages[1].text == result.reply
    t = result.timings
    assert messages[1].stt_ms == pytest.approx(t.stt_ms)
    assert messages[1].first_audio_ms == pytest.approx(t.first_audio_ms)
    assert 0 < t.stt_ms < t.first_audio_ms < t.total_ms
    assert t.llm_first_token_ms >= 100
    # the speech reached the null sink
    assert active_seconds(capture.samples(), capture.sample_rate) > 2.0


def test_barge_in_silences_the_sink_and_stores_the_spoken_part(rig: Rig, groq_server: GroqServer, store) -> None:
    groq_server.default = GroqBehaviour(reply=LONG_REPLY, tokens_per_s=300)
    second_fragment = threading.Event()
    rig.assistant.add_listener(
        lambda e: second_fragment.set() if isinstance(e, FragmentSpoken) and e.index == 1 else None)
    with MonitorCapture() as capture:
        turn = rig.assistant.send_text("Tell me a long story")
        assert second_fragment.wait(30)
        time.sleep(0.3)
        before = len(capture.samples())
        start = time.perf_counter()
        rig.assistant.stop()
        stop_ms = (time.perf_counter() - start) * 1000
        assert not rig.player.is_playing
        time.sleep(0.6)
        samples = capture.samples()
    assert stop_ms <= 50
    result = turn.wait(10)
    assert isinstance(result, TurnFinished) and result.status == "interrupted"
    loud_before = active_seconds(samples[:before], capture.sample_rate)
    after = samples[before + int(0.25 * capture.sample_rate):]  # allow for the capture's own latency
    assert loud_before > 0.5
    assert after.size > 0 and float(np.max(np.abs(after))) < 0.01
    stored = store.recent_messages(result.conversation_id, 10)[-1]
    assert stored.status == "interrupted"
    assert stored.text == result.spoken
    assert stored.text.startswith("This is sentence number 1 of a long spoken answer. This is sentence number 2")
    assert LONG_REPLY.startswith(stored.text) and len(stored.text) < len(LONG_REPLY)


def test_push_to_talk_records_the_microphone_and_answers(rig: Rig, groq_server: GroqServer, store) -> None:
    groq_server.default = GroqBehaviour(reply="It is sunny in London today.")
    rig.assistant.push_to_talk_pressed()
    assert rig.assistant.is_recording
    # weather.wav, not lights.wav: through the sink tiny.en (int8) hears "turn off my life" for about
    # 1 lead-in in 4 (see test_commands.py::test_talk_records_with_enter_and_answers)
    player = play_into_sink(FIXTURES / "weather.wav", delay_s=0.8)  # let the capture stream start flowing
    player.communicate(timeout=20)
    time.sleep(0.3)
    released = time.monotonic()
    turn = rig.assistant.push_to_talk_released()
    assert turn is not None
    result = turn.wait(60)
    assert isinstance(result, TurnFinished) and result.status == "complete", result
    kinds = [type(e) for e in rig.events]
    stopped = kinds.index(RecordingStopped)
    # the words appeared while the user spoke, and none after the release
    assert kinds[0] == RecordingStarted and set(kinds[1:stopped]) == {TranscriptPartial}, kinds
    assert kinds[stopped + 1] == TranscriptReady and TranscriptPartial not in kinds[stopped:]
    assert rig.of(RecordingStopped)[0].duration_s > 2.0
    heard = rig.of(TranscriptReady)[0].text
    assert word_error_rate(SENTENCES["weather.wav"], heard) <= SINK_MAX_WER, heard
    # first_audio_ms is measured from the release
    speaking = rig.of(SpeakingStarted)[0]
    assert speaking.first_audio_ms == pytest.approx(result.timings.first_audio_ms)
    assert result.timings.first_audio_ms < (time.monotonic() - released) * 1000
    user = store.recent_messages(result.conversation_id, 10)[0]
    assert user.text == heard and user.source == "voice"
