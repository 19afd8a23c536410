"""The real groq SDK against a loopback server speaking Groq's streaming API."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from desktop_assistant.config import Settings
from desktop_assistant.errors import UserFacingError
from desktop_assistant.llm.client import ChatClient, ChatMessage, ChatOptions
from tests.support.groq_server import DEFAULT_REPLY, GroqBehaviour, GroqServer, closed_port_url

MESSAGES = [ChatMessage("system", "Be brief."), ChatMessage("user", "What is the capital of France?")]
OPTIONS = ChatOptions(model="llama-test", temperature=0.3, max_tokens=64)
MakeClient = Callable[..., ChatClient]


@pytest.fixture(autouse=True)
def _every_connection_is_closed(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test closes what it opened: ChatClient.close() hangs up every connection, so no socket is
    left for the garbage collector to find (and warn about, in whichever later test it runs)."""
    server = request.getfixturevalue("groq_server") if "groq_server" in request.fixturenames else None
    yield
    if server is not None:
        assert server.wait_all_closed(5), f"{server.open_connections()} connection(s) still open"


@pytest.fixture
def client() -> Iterator[MakeClient]:
    """Makes ChatClients (with a test key) and closes them when the test ends."""
    made: list[ChatClient] = []

    def make(server_url: str, **kwargs: Any) -> ChatClient:
        made.append(ChatClient("gsk_test_key_123456", server_url, **kwargs))
        return made[-1]

    yield make
    for chat in made:
        chat.close()


def collect(chat: ChatClient) -> str:
    return "".join(chat.stream(MESSAGES, OPTIONS))


def test_normal_stream_yields_the_reply_and_sends_the_request(groq_server: GroqServer, client: MakeClient) -> None:
    deltas = list(client(groq_server.base_url).stream(MESSAGES, OPTIONS))
    assert "".join(deltas) == DEFAULT_REPLY
    assert len(deltas) > 10  # streamed in pieces, not one blob
    request = groq_server.received[-1]
    assert request.path == "/openai/v1/chat/completions"
    assert request.body["stream"] is True
    assert request.body["model"] == "llama-test"
    assert request.body["temperature"] == 0.3
    assert request.body["max_tokens"] == 64
    assert request.body["messages"][1] == {"role": "user", "content": "What is the capital of France?"}
    assert request.headers["authorization"] == "Bearer gsk_test_key_123456"


def test_from_settings_uses_the_base_url(groq_server: GroqServer) -> None:
    settings = Settings(groq_api_key="gsk_abc12345", groq_base_url=groq_server.base_url)
    with contextlib.closing(ChatClient.from_settings(settings)) as chat:
        assert collect(chat) == DEFAULT_REPLY


def test_slow_first_token_still_arrives(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.default = GroqBehaviour(reply="Hello there.", ttft_s=0.4)
    stream = client(groq_server.base_url).stream(MESSAGES, OPTIONS)
    start = time.monotonic()
    first = next(iter(stream))
    assert time.monotonic() - start >= 0.35
    assert first == "Hell"  # 4-character tokens


def test_first_token_slower_than_the_read_timeout_is_a_timeout(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.default = GroqBehaviour(ttft_s=2.0)
    start = time.monotonic()
    with pytest.raises(UserFacingError) as info:
        collect(client(groq_server.base_url, read_timeout=0.5))
    assert info.value.kind == "timeout"
    assert time.monotonic() - start < 1.8


def test_missing_key_is_no_key_without_a_request(groq_server: GroqServer) -> None:
    with pytest.raises(UserFacingError) as info:
        ChatClient(None, groq_server.base_url).stream(MESSAGES, OPTIONS)
    assert info.value.kind == "no_key"
    assert info.value.message == "No Groq API key"
    assert info.value.action == "add your Groq API key in Settings or GROQ_API_KEY"
    assert groq_server.received == []


def test_401_is_auth_and_not_retried(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.default = GroqBehaviour(status=401, error_message="Invalid API Key")
    with pytest.raises(UserFacingError) as info:
        collect(client(groq_server.base_url))
    assert info.value.kind == "auth"
    assert "rejected" in info.value.message
    assert len(groq_server.received) == 1


def test_429_with_retry_after_is_retried_then_succeeds(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.queue.append(GroqBehaviour(status=429, retry_after=0.3))
    start = time.monotonic()
    assert collect(client(groq_server.base_url)) == DEFAULT_REPLY
    assert time.monotonic() - start >= 0.3
    assert len(groq_server.received) == 2
    assert groq_server.received[1].at - groq_server.received[0].at >= 0.3


def test_429_longer_than_the_budget_fails_at_once_saying_when(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.default = GroqBehaviour(status=429, retry_after=30)
    start = time.monotonic()
    with pytest.raises(UserFacingError) as info:
        collect(client(groq_server.base_url))
    assert time.monotonic() - start < 1.0
    assert info.value.kind == "rate_limit"
    assert info.value.action == "retry in 30 s"
    assert len(groq_server.received) == 1


def test_retries_stop_within_the_total_budget(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.default = GroqBehaviour(status=429, retry_after=0.4)
    start = time.monotonic()
    with pytest.raises(UserFacingError) as info:
        collect(client(groq_server.base_url, retry_budget_s=1.0, max_attempts=10))
    elapsed = time.monotonic() - start
    assert info.value.kind == "rate_limit"
    assert 0.8 <= elapsed < 1.5
    assert len(groq_server.received) == 3


def test_500_is_retried_then_reported_as_server(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.default = GroqBehaviour(status=500, retry_after=0.05)
    with pytest.raises(UserFacingError) as info:
        collect(client(groq_server.base_url, max_attempts=2))
    assert info.value.kind == "server"
    assert "500" in info.value.message
    assert len(groq_server.received) == 2


def test_500_then_success(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.queue.append(GroqBehaviour(status=503, retry_after=0.05))
    assert collect(client(groq_server.base_url)) == DEFAULT_REPLY


def test_connection_refused_is_offline(client: MakeClient) -> None:
    start = time.monotonic()
    with pytest.raises(UserFacingError) as info:
        collect(client(closed_port_url()))
    assert info.value.kind == "offline"
    assert info.value.message == "Cannot reach Groq"
    assert time.monotonic() - start < 3.0


def test_stream_cut_midway_is_reported_after_the_partial_text(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.default = GroqBehaviour(cut_after_tokens=5)
    received: list[str] = []
    with pytest.raises(UserFacingError) as info:
        for delta in client(groq_server.base_url).stream(MESSAGES, OPTIONS):
            received.append(delta)
    assert info.value.kind == "cut"
    assert "".join(received) == DEFAULT_REPLY[: len("".join(received))]
    assert 0 < len(received) <= 5


def test_empty_reply_streams_nothing(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.default = GroqBehaviour(reply="")
    stream = client(groq_server.base_url).stream(MESSAGES, OPTIONS)
    assert list(stream) == []
    assert stream.finish_reason == "stop"


def test_close_from_another_thread_ends_the_stream_quietly(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.default = GroqBehaviour(reply="word " * 400, tokens_per_s=50)
    stream = client(groq_server.base_url).stream(MESSAGES, OPTIONS)
    got: list[str] = []
    timer = threading.Timer(0.3, stream.close)
    timer.start()
    start = time.monotonic()
    for delta in stream:
        got.append(delta)
    timer.join()
    assert time.monotonic() - start < 1.5
    assert 0 < len(got) < 100


def test_cancel_during_retry_wait_stops_quickly(groq_server: GroqServer, client: MakeClient) -> None:
    groq_server.default = GroqBehaviour(status=429, retry_after=5)
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    start = time.monotonic()
    with pytest.raises(UserFacingError) as info:
        client(groq_server.base_url).stream(MESSAGES, OPTIONS, cancel=cancel)
    assert info.value.kind == "cancelled"
    assert time.monotonic() - start < 1.0
