"""Status that tells the truth on the real app: a rejected key says so (not "Groq: ready"), the
problem and the Error state clear when the next turn succeeds; a stale "too short" does not
outlive a good turn; Google's voice being unreachable is not called "Offline"."""

from __future__ import annotations

from typing import Any

from tests.support.groq_server import GroqBehaviour, closed_port_url


def send(app: Any, text: str) -> None:
    app.type(text)
    app.key("Return")


def test_a_rejected_key_is_named_and_cleared_by_the_next_good_turn(
    desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None
) -> None:
    groq_server.queue.append(GroqBehaviour(status=401, error_message="Invalid API Key"))
    groq_server.default = GroqBehaviour(reply="It is sunny.")
    app = launch_app()
    app.focus()
    send(app, "first question")
    app.wait_state("error", timeout=30)
    app.wait_log(r"connection: Groq: key rejected", timeout=10)
    assert app.count_log("connection: Groq: ready") == 0
    send(app, "second question")
    rows = app.wait_messages(4, timeout=60)
    assert rows[-1][:2] == ("assistant", "It is sunny."), rows
    app.wait_state("ready", timeout=10)
    app.wait_log(r"banner cleared \(auth\)", timeout=10)
    app.wait_log(r"connection: Groq: online", timeout=10)


def test_the_offline_voice_notice_does_not_say_offline_while_groq_answers(
    desktop: Any, launch_app: Any, groq_server: Any, cpu_hog: None
) -> None:
    groq_server.default = GroqBehaviour(reply="It is sunny.")
    # Google's voice is unreachable (through a proxy that refuses), the loopback Groq answers.
    unreachable = {"TTS_ENGINE": "gtts", "HTTPS_PROXY": closed_port_url(), "https_proxy": closed_port_url(),
                   "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    app = launch_app(extra_env=unreachable)
    app.focus()
    send(app, "what is the weather")
    app.wait_messages(2, timeout=60)
    notice = app.wait_log(r"banner: (.*voice.*)", timeout=30)[0].group(1)
    assert "Google" in notice and not notice.startswith("Offline"), notice
    app.wait_log(r"connection: Groq: online", timeout=30)  # Groq answered: it is not "offline"
