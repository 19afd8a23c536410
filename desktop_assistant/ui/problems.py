"""What the banner says for a problem: the cause, and the action that fixes it."""

from __future__ import annotations

from desktop_assistant.errors import ErrorKind, UserFacingError

# error kind → (banner text when the error has none, button text, action key, severity)
_ACTIONS: dict[ErrorKind, tuple[str, str | None, str, str]] = {
    ErrorKind.NO_KEY: ("No Groq API key", "Open Settings", "settings", "warning"),
    ErrorKind.AUTH: ("Groq rejected the API key", "Open Settings", "settings", "error"),
    ErrorKind.AUDIO: ("Microphone unavailable — choose another in Settings", "Open Settings", "settings", "error"),
    ErrorKind.CONFIG: ("A setting is not valid", "Open Settings", "settings", "error"),
    ErrorKind.MODEL: ("The speech model could not be loaded", "Open Settings", "settings", "error"),
    ErrorKind.OFFLINE: ("Offline — Groq cannot be reached", None, "", "warning"),
    ErrorKind.RATE_LIMIT: ("Groq is busy (rate limit)", None, "", "warning"),
}


def describe_problem(error: BaseException) -> tuple[str, str | None, str, str, str]:
    """(message, button text or None, action key, kind, severity) for an error."""
    if isinstance(error, UserFacingError):
        kind = error.kind
        default, button, key, severity = _ACTIONS.get(kind, ("", None, "", "error"))
        message = error.message or default
        if error.action:
            message = f"{message} — {error.action}"
        return message, button, key, kind, severity
    return f"Something went wrong: {error}", None, "", ErrorKind.BUG, "error"
