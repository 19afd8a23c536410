"""The seams' Protocols (assistant/parts.py) fit both sides: the real parts (mypy also checks their
signatures where the Engine builds them) and the small fakes the assistant's tests run on."""

from __future__ import annotations

import pytest

from desktop_assistant.assistant.parts import (
    ChatPart,
    PlayerPart,
    RecorderPart,
    ReplyStreamPart,
    SynthesizerPart,
    TranscriberPart,
)
from desktop_assistant.audio.player import Player
from desktop_assistant.audio.recorder import Recorder
from desktop_assistant.llm.client import ChatClient, ReplyStream
from desktop_assistant.speech.stt import Transcriber
from desktop_assistant.speech.tts import Synthesizer
from tests.assistant.conftest import FakePlayer
from tests.assistant.test_ptt_races import FakeRecorder
from tests.assistant.test_turn_unit import FakeSynth, FakeTranscriber, heard


@pytest.mark.parametrize(("real", "part"), [
    (Transcriber, TranscriberPart), (ChatClient, ChatPart), (ReplyStream, ReplyStreamPart),
    (Synthesizer, SynthesizerPart),
])
def test_the_real_parts_have_the_methods_of_their_protocol(real: type, part: type) -> None:
    assert issubclass(real, part)


def test_the_real_devices_have_the_members_of_their_protocol() -> None:
    # (constructing them opens no device: a stream is opened by start()/open())
    assert isinstance(Recorder(), RecorderPart)
    assert isinstance(Player(), PlayerPart)
    assert not isinstance(Player(), RecorderPart)  # (the check can fail: a player records nothing)


def test_the_fakes_have_the_shape_of_the_parts_they_stand_in_for() -> None:
    assert isinstance(FakeTranscriber(heard("hi")), TranscriberPart)
    assert isinstance(FakeSynth(), SynthesizerPart)
    assert isinstance(FakePlayer(), PlayerPart)
    assert isinstance(FakeRecorder(), RecorderPart)
