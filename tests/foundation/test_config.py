"""Settings: precedence of the four layers and every validation message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_assistant.config import SPEC, Settings, load_settings, write_settings_file
from desktop_assistant.errors import ConfigError


def test_defaults_match_the_documented_names() -> None:
    s = load_settings(None, env={})
    assert (s.stt_model, s.stt_compute_type, s.llm_model) == ("base", "int8", "llama-3.1-8b-instant")
    assert (s.llm_temperature, s.max_conversation_history, s.session_timeout) == (0.7, 20, 3600.0)
    assert s.debug is False and s.groq_api_key is None and s.groq_base_url is None


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(json.dumps({"llm_temperature": 0.1, "stt_model": "small", "session_timeout": 10}))
    env = {"LLM_TEMPERATURE": "0.2", "STT_MODEL": "tiny.en"}
    flags = {"llm_temperature": "0.3"}
    s = load_settings(settings_file, env=env, flags=flags)
    assert s.llm_temperature == 0.3  # flag beats env
    assert s.stt_model == "tiny.en"  # env beats file
    assert s.session_timeout == 10  # file beats default
    assert s.max_conversation_history == 20  # default
    assert load_settings(settings_file, env=env).llm_temperature == 0.2
    assert load_settings(settings_file, env={}).llm_temperature == 0.1


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LLM_TEMPERATURE": "hot"}, "LLM_TEMPERATURE='hot' is not valid: expected a number from 0 to 2"),
        ({"LLM_TEMPERATURE": "2.5"}, "LLM_TEMPERATURE='2.5' is not valid: expected a number from 0 to 2"),
        ({"LLM_TEMPERATURE": "nan"}, "LLM_TEMPERATURE='nan' is not valid"),
        ({"MAX_CONVERSATION_HISTORY": "-3"},
         "MAX_CONVERSATION_HISTORY='-3' is not valid: expected a whole number from 0 to 1000"),
        ({"MAX_CONVERSATION_HISTORY": "2.5"}, "MAX_CONVERSATION_HISTORY='2.5' is not valid"),
        ({"SESSION_TIMEOUT": "soon"}, "SESSION_TIMEOUT='soon' is not valid: expected seconds, from 0 to 2592000"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not valid: expected 1/0, true/false"),
        ({"STT_COMPUTE_TYPE": "int4"}, "STT_COMPUTE_TYPE='int4' is not valid: expected one of int8"),
        ({"TTS_ENGINE": "siri"}, "TTS_ENGINE='siri' is not valid: expected one of gtts, espeak, none"),
        ({"TTS_SPEED": "9"}, "TTS_SPEED='9' is not valid: expected a number from 0.5 to 2"),
        ({"MAX_RECORDING_SECONDS": "0"}, "MAX_RECORDING_SECONDS='0' is not valid: expected seconds, from 1 to 3600"),
        ({"PTT_MODE": "tap"}, "PTT_MODE='tap' is not valid: expected hold or toggle"),
        ({"AUDIO_CUES": "loud"}, "AUDIO_CUES='loud' is not valid"),
        ({"SPEECH_MUTED": "quiet"}, "SPEECH_MUTED='quiet' is not valid: expected 1/0, true/false"),
        ({"GROQ_BASE_URL": "api.groq.com"}, "GROQ_BASE_URL='api.groq.com' is not valid: expected an http(s) URL"),
        ({"GROQ_BASE_URL": "ftp://x"}, "GROQ_BASE_URL='ftp://x' is not valid"),
        ({"STT_MODEL": " "}, "STT_MODEL=' ' is not valid: expected a Whisper size"),
        ({"LLM_MODEL": ""}, "LLM_MODEL='' is not valid: expected a Groq model name"),
        ({"PTT_KEY": ""}, "PTT_KEY='' is not valid: expected a key name"),
        ({"AGENT": ""}, "AGENT='' is not valid: expected an agent name"),
    ],
)
def test_bad_environment_value_names_variable_and_range(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, env=env)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and "(environment)" in message


def test_every_field_has_an_allowed_range_text() -> None:
    assert set(SPEC) == set(Settings.__dataclass_fields__)
    assert all(spec.allowed for spec in SPEC.values())


def test_bad_values_in_settings_file_name_the_file(tmp_path: Path) -> None:
    f = tmp_path / "settings.json"
    f.write_text(json.dumps({"max_conversation_history": -3}))
    with pytest.raises(ConfigError, match=r"max_conversation_history=-3 is not valid.*settings file"):
        load_settings(f, env={})
    f.write_text("{not json")
    with pytest.raises(ConfigError, match=r"not valid JSON \(line 1\)"):
        load_settings(f, env={})
    # a setting a newer version wrote is ignored (with a warning in the log), the others apply
    f.write_text(json.dumps({"colour": "blue", "llm_model": "m"}))
    assert load_settings(f, env={}).llm_model == "m"


def test_secret_value_never_shown_in_messages() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, env={}, flags={"groq_api_key": 12345})
    assert "12345" not in str(info.value)
    s = load_settings(None, env={"GROQ_API_KEY": "gsk_abcdefghijkl"})
    assert s.redacted()["groq_api_key"] == "***"
    assert "gsk_abcdefghijkl" not in json.dumps(s.redacted())


def test_settings_file_round_trip_excludes_secrets(tmp_path: Path) -> None:
    f = tmp_path / "cfg" / "settings.json"
    write_settings_file(f, {"llm_temperature": 1.2, "ptt_key": "F9", "groq_api_key": "gsk_secret_value"})
    stored = json.loads(f.read_text())
    assert stored == {"llm_temperature": 1.2, "ptt_key": "F9"}
    assert load_settings(f, env={}).ptt_key == "F9"


def test_with_values_validates() -> None:
    s = Settings()
    assert s.with_values(llm_temperature="1.5").llm_temperature == 1.5
    with pytest.raises(ConfigError):
        s.with_values(llm_temperature="x")


def test_base_url_accepts_http_and_https() -> None:
    assert load_settings(None, env={"GROQ_BASE_URL": "http://127.0.0.1:8080"}).groq_base_url == "http://127.0.0.1:8080"
    assert load_settings(None, env={"GROQ_BASE_URL": ""}).groq_base_url is None


def test_devices_parse_index_or_name() -> None:
    assert load_settings(None, env={"INPUT_DEVICE": "3"}).input_device == 3
    assert load_settings(None, env={"INPUT_DEVICE": "USB Mic"}).input_device == "USB Mic"
    assert load_settings(None, env={"INPUT_DEVICE": ""}).input_device is None
