"""The turn orchestration with small fakes (store, player, synthesizer, transcriber) and a loopback Groq."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from desktop_assistant.agents import FALLBACK_AGENT, AgentSet
from desktop_assistant.assistant.conductor import Assistant
from desktop_assistant.assistant.events import (
    ConversationChanged,
    FragmentSpoken,
    Notice,
    ReplyDelta,
    ReplyStarted,
    SpeakingStarted,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
    UserMessageStored,
)
from desktop_assistant.audio.clip import AudioClip
from desktop_assistant.config import Settings
from desktop_assistant.errors import AudioError
from desktop_assistant.llm.client import ChatClient
from desktop_assistant.speech.transcript import Transcript
from desktop_assistant.speech.tts import SpeechAudio
from tests.assistant.conftest import FakePlayer, MemoryStore
from tests.support.groq_server import DEFAULT_REPLY, GroqBehaviour, GroqServer

LONG_REPLY = " ".join(f"This is sentence number {n} of a long answer." for n in range(1, 30))


class FakeSynth:
    engine = "fake"

    def __init__(self, seconds_per_char: float = 0.01, delay: float = 0.0) -> None:
        self.seconds_per_char = seconds_per_char
        self.delay = delay
        self.calls: list[tuple[int, str]] = []

    def prepare(self) -> None:
        pass

    def synthesize(self, text: str, index: int = 0) -> SpeechAudio:
        self.calls.append((index, text))
        time.sleep(self.delay)
        pcm = np.full(int(24000 * self.seconds_per_char * len(text)), 0.1, dtype=np.float32)
        return SpeechAudio(pcm, 24000, text, "fake", index)


def heard(text: str, *, no_speech: bool = False) -> Transcript:
    """What the fake transcriber hears: the real value type, with a fixed decode time and model."""
    return Transcript(text, "en", (), 1.0, 123.0, no_speech=no_speech, model="tiny.en")


class FakeTranscriber:
    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.calls = 0

    def transcribe(self, clip, *, language=None, initial_prompt=None, timeout=60.0, cancel=None):
        self.calls += 1
        return self.transcript

    def listen(self, chunks, *, on_update=None, language=None, initial_prompt=None, partials=True):
        return None  # no live transcript: the release transcribes the clip

    def cancel_download(self) -> None:
        pass

    def close(self, timeout: float = 5.0) -> None:
        pass


class Harness:
    def __init__(self, server: GroqServer, *, speak: bool = True, player: FakePlayer | None = None,
                 synth: FakeSynth | None = None, transcriber=None, settings: Settings | None = None,
                 store=None, agents: AgentSet | None = None) -> None:
        self.store = store if store is not None else MemoryStore()
        self.events: list = []
        self.player = player if player is not None else FakePlayer(speedup=4.0)
        self.synth = synth or FakeSynth()
        settings = settings or Settings(groq_api_key="gsk_test12345", groq_base_url=server.base_url)
        agents = agents or AgentSet({"assistant": FALLBACK_AGENT}, [])
        self.chat = ChatClient.from_settings(settings)  # ours to close (apply_settings may replace assistant.chat)
        self.assistant = Assistant(settings, agents, self.store, self.chat,
                                   transcriber=transcriber, player=self.player if speak else None,
                                   synthesizer_for=lambda agent: self.synth, speak=speak,
                                   listener=self.events.append)
        self.player.on_event = self.assistant.on_player_event

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    def close(self) -> None:
        self.assistant.close()
        self.chat.close()
        self.player.close()


@pytest.fixture
def harness_factory(groq_server: GroqServer):
    made: list[Harness] = []

    def make(**kwargs) -> Harness:
        h = Harness(groq_server, **kwargs)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()


def test_text_turn_without_speech_streams_and_stores_both_messages(harness_factory) -> None:
    h = harness_factory(speak=False)
    result = h.assistant.send_text("What is the capital of France?").wait(10)
    assert isinstance(result, TurnFinished)
    assert result.status == "complete" and result.reply == DEFAULT_REPLY
    kinds = [type(e) for e in h.events]
    assert kinds[0] is UserMessageStored and kinds[1] is ReplyStarted and kinds[-1] is TurnFinished
    assert set(kinds[2:-1]) == {ReplyDelta}
    assert h.of(ReplyDelta)[-1].reply == DEFAULT_REPLY
    user, reply = h.store.of_role("user"), h.store.of_role("assistant")
    assert [(m.text, m.source) for m in user] == [("What is the capital of France?", "typed")]
    assert reply[0].text == DEFAULT_REPLY and reply[0].status == "complete"
    assert reply[0].timings["llm_first_token_ms"] is not None and reply[0].timings["first_audio_ms"] is None
    assert reply[0].timings["total_ms"] >= reply[0].timings["llm_first_token_ms"]
    assert h.store.calls[:3] == ["conversation_for_turn", "add_message:user", "add_message:assistant"]
    assert h.player.enqueued == []


def test_spoken_turn_plays_fragments_in_order_while_streaming(harness_factory, groq_server) -> None:
    groq_server.default = GroqBehaviour(tokens_per_s=200)
    h = harness_factory()
    result = h.assistant.send_text("Tell me about Paris").wait(15)
    assert isinstance(result, TurnFinished) and result.status == "complete"
    turn_id = result.turn_id
    assert h.player.enqueued == [(turn_id, 0), (turn_id, 1), (turn_id, 2)]
    assert [text for _, text in h.synth.calls] == ["Paris is the capital of France.", "It sits on the river Seine.",
                                                   "About two million people live in the city itself."]
    speaking = h.of(SpeakingStarted)
    assert len(speaking) == 1
    kinds = [type(e) for e in h.events]
    # speech began while the reply was still arriving
    assert kinds.index(SpeakingStarted) < max(i for i, k in enumerate(kinds) if k is ReplyDelta)
    assert [e.index for e in h.of(FragmentSpoken)] == [0, 1, 2]
    assert kinds[-1] is TurnFinished  # every playback event comes before the end of the turn
    assert result.spoken == result.reply
    stored = h.store.of_role("assistant")[0]
    assert stored.timings["first_audio_ms"] == pytest.approx(speaking[0].first_audio_ms)
    assert stored.timings["total_ms"] > stored.timings["first_audio_ms"] > stored.timings["llm_first_token_ms"]


def test_voice_turn_transcribes_first_and_stores_stt_timing(harness_factory) -> None:
    h = harness_factory(speak=False, transcriber=FakeTranscriber(heard("what is the capital of france")))
    clip = AudioClip(np.zeros(16000, dtype=np.float32))
    result = h.assistant.send_clip(clip, released_at=time.monotonic()).wait(10)
    assert isinstance(result, TurnFinished)
    assert isinstance(h.events[0], TranscriptReady) and h.events[0].text == "what is the capital of france"
    assert result.timings.stt_ms == 123.0
    user = h.store.of_role("user")[0]
    assert (user.text, user.source) == ("what is the capital of france", "voice")
    assert h.store.of_role("assistant")[0].timings["stt_ms"] == 123.0


def test_no_speech_fails_without_storing(harness_factory) -> None:
    h = harness_factory(speak=False, transcriber=FakeTranscriber(heard("", no_speech=True)))
    result = h.assistant.send_clip(AudioClip(np.zeros(16000, dtype=np.float32))).wait(10)
    assert isinstance(result, TurnFailed) and result.error.kind == "no_speech"
    assert h.store.messages == {}


def test_stop_during_playback_silences_and_stores_the_spoken_part(harness_factory, groq_server) -> None:
    groq_server.default = GroqBehaviour(reply=LONG_REPLY, tokens_per_s=300)
    h = harness_factory(player=FakePlayer(speedup=1.0), synth=FakeSynth(seconds_per_char=0.01))
    spoken = threading.Event()
    h.assistant.add_listener(lambda e: spoken.set() if isinstance(e, FragmentSpoken) and e.index == 1 else None)
    turn = h.assistant.send_text("Talk for a long time")
    assert spoken.wait(10)
    stop_at = time.monotonic()
    h.assistant.stop()
    assert h.player.stops and h.player.stops[0] - stop_at < 0.05
    assert not h.player.is_playing
    result = turn.wait(5)
    assert isinstance(result, TurnFinished) and result.status == "interrupted"
    stored = h.store.of_role("assistant")[0]
    assert stored.status == "interrupted"
    assert stored.text == result.spoken
    assert stored.text.startswith("This is sentence number 1 of a long answer. This is sentence number 2")
    assert len(stored.text) < len(LONG_REPLY)
    assert LONG_REPLY.startswith(stored.text)


def test_new_turn_barges_in_on_the_running_one(harness_factory, groq_server) -> None:
    groq_server.default = GroqBehaviour(reply=LONG_REPLY, tokens_per_s=100)
    h = harness_factory(speak=False)
    first = h.assistant.send_text("Talk for a long time")
    while not h.of(ReplyDelta):
        time.sleep(0.01)
    groq_server.default = GroqBehaviour()
    second = h.assistant.send_text("Actually, the capital of France?")
    assert isinstance(first.wait(5), TurnFinished) and first.result.status == "interrupted"
    assert isinstance(second.wait(10), TurnFinished) and second.result.status == "complete"
    replies = h.store.of_role("assistant")
    assert [m.status for m in replies] == ["interrupted", "complete"]
    assert replies[0].text and LONG_REPLY.startswith(replies[0].text) and replies[0].text != LONG_REPLY
    # the second request's context includes the interrupted reply, not a half-streaming one
    roles = [m["role"] for m in groq_server.received[-1].body["messages"]]
    assert roles == ["system", "user", "assistant", "user"]


def test_llm_error_fails_the_turn_but_keeps_the_user_message(harness_factory, groq_server) -> None:
    groq_server.default = GroqBehaviour(status=401)
    h = harness_factory(speak=False)
    result = h.assistant.send_text("hello").wait(10)
    assert isinstance(result, TurnFailed) and result.error.kind == "auth"
    assert [m.text for m in h.store.of_role("user")] == ["hello"]
    failed = h.store.of_role("assistant")[0]
    assert failed.status == "failed" and "401" in failed.error


def test_missing_key_fails_with_no_key(harness_factory, groq_server) -> None:
    h = harness_factory(speak=False, settings=Settings(groq_base_url=groq_server.base_url))
    result = h.assistant.send_text("hello").wait(10)
    assert isinstance(result, TurnFailed) and result.error.kind == "no_key"


def test_cut_stream_stores_the_partial_reply_as_failed(harness_factory, groq_server) -> None:
    groq_server.default = GroqBehaviour(cut_after_tokens=6)
    h = harness_factory(speak=False)
    result = h.assistant.send_text("hello").wait(10)
    assert isinstance(result, TurnFailed) and result.error.kind == "cut"
    stored = h.store.of_role("assistant")[0]
    assert stored.status == "failed" and stored.text and DEFAULT_REPLY.startswith(stored.text)


def test_empty_reply_is_a_failure(harness_factory, groq_server) -> None:
    groq_server.default = GroqBehaviour(reply="")
    h = harness_factory()
    result = h.assistant.send_text("hello").wait(10)
    assert isinstance(result, TurnFailed) and result.error.kind == "empty"
    assert h.player.enqueued == []


def test_new_conversation_and_agent_switch(harness_factory) -> None:
    h = harness_factory(speak=False)
    first = h.assistant.send_text("one").wait(10)
    second = h.assistant.send_text("two").wait(10)
    assert first.conversation_id == second.conversation_id
    h.assistant.new_conversation()
    assert isinstance(h.events[-1], ConversationChanged)
    third = h.assistant.send_text("three").wait(10)
    assert third.conversation_id != second.conversation_id
    assert h.of(UserMessageStored)[-1].new_conversation is True


def test_no_output_device_still_shows_the_reply_and_warns_once(harness_factory) -> None:
    class BrokenPlayer(FakePlayer):
        def open(self) -> None:
            raise AudioError("No output device")

    h = harness_factory(player=BrokenPlayer())
    for _ in range(2):
        result = h.assistant.send_text("hello").wait(10)
        assert isinstance(result, TurnFinished) and result.reply == DEFAULT_REPLY
    notices = h.of(Notice)
    assert [n.kind for n in notices] == ["no_output"]


def test_a_failing_listener_does_not_break_the_turn(harness_factory) -> None:
    h = harness_factory(speak=False)

    def bad(event) -> None:
        raise RuntimeError("listener bug")

    h.assistant.add_listener(bad)
    assert isinstance(h.assistant.send_text("hello").wait(10), TurnFinished)


def test_context_sent_to_groq_has_system_prompt_and_history(harness_factory, groq_server) -> None:
    h = harness_factory(speak=False)
    h.assistant.send_text("first question").wait(10)
    h.assistant.send_text("second question").wait(10)
    messages = groq_server.received[-1].body["messages"]
    assert messages[0]["role"] == "system" and messages[0]["content"] == FALLBACK_AGENT.system_prompt.strip()
    assert [m["content"] for m in messages[1:]] == ["first question", DEFAULT_REPLY, "second question"]


def test_mute_silences_the_reply_being_spoken_but_the_text_goes_on(harness_factory, groq_server) -> None:
    groq_server.default = GroqBehaviour(reply=LONG_REPLY, tokens_per_s=400)
    h = harness_factory(player=FakePlayer(speedup=1.0))
    spoken = threading.Event()
    h.assistant.add_listener(lambda e: spoken.set() if isinstance(e, FragmentSpoken) else None)
    turn = h.assistant.send_text("Talk for a long time")
    assert spoken.wait(10)
    h.assistant.set_muted(True)
    assert h.player.stops and not h.player.is_playing
    result = turn.wait(10)
    assert isinstance(result, TurnFinished) and result.status == "complete" and result.reply == LONG_REPLY
    assert h.store.of_role("assistant")[0].text == LONG_REPLY
    enqueued = len(h.player.enqueued)
    groq_server.default = GroqBehaviour()
    assert isinstance(h.assistant.send_text("again").wait(10), TurnFinished)
    assert len(h.player.enqueued) == enqueued  # muted: nothing new was spoken


def test_playback_failure_becomes_a_notice(harness_factory) -> None:
    from desktop_assistant.audio.events import PlaybackFailed

    h = harness_factory()
    h.assistant.on_player_event(PlaybackFailed(time.monotonic(), AudioError("The audio output stopped working")))
    deadline = time.monotonic() + 2
    while not h.of(Notice) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [(n.kind, n.message) for n in h.of(Notice)] == [("playback_failed", "The audio output stopped working")]


def test_stop_while_waiting_to_retry_ends_interrupted_not_failed(harness_factory, groq_server) -> None:
    groq_server.default = GroqBehaviour(status=429, retry_after=5)
    h = harness_factory(speak=False)
    turn = h.assistant.send_text("hello")
    while not h.of(ReplyStarted):
        time.sleep(0.01)
    time.sleep(0.1)
    h.assistant.stop()
    result = turn.wait(2)
    assert isinstance(result, TurnFinished) and result.status == "interrupted"
    assert h.store.of_role("assistant")[0].status == "interrupted"
    assert not h.of(TurnFailed)


def test_stop_during_transcription_is_a_quiet_cancel_that_stores_nothing(harness_factory) -> None:
    transcribing = threading.Event()

    class SlowTranscriber(FakeTranscriber):
        def transcribe(self, clip, **kwargs):
            transcribing.set()
            time.sleep(0.3)
            return super().transcribe(clip, **kwargs)

    h = harness_factory(speak=False, transcriber=SlowTranscriber(heard("hello")))
    turn = h.assistant.send_clip(AudioClip(np.zeros(16000, dtype=np.float32)))
    assert transcribing.wait(5)
    h.assistant.stop()
    result = turn.wait(5)
    assert isinstance(result, TurnFailed) and result.error.kind == "cancelled"
    assert h.store.messages == {}


def test_warm_up_prepares_the_client_and_the_voice_once(harness_factory) -> None:
    made: list = []

    class PreparedSynth(FakeSynth):
        prepared = 0

        def prepare(self) -> None:
            self.prepared += 1

    h = harness_factory()
    synth = PreparedSynth()
    h.assistant.voice._synthesizer_for = lambda agent: made.append(agent) or synth
    assert not h.player.opened
    h.assistant.warm_up().join(5)
    assert h.assistant.chat._client is not None  # the SDK client exists before the first turn
    assert synth.prepared == 1
    assert h.player.opened  # the output stream is already flowing when the first reply comes
    assert isinstance(h.assistant.send_text("hello").wait(10), TurnFinished)
    assert len(made) == 1 and synth.calls  # the turn used the prepared synthesizer
