"""Desktop Assistant: a local push-to-talk voice assistant."""

__version__ = "0.1.0"
APP_NAME = "desktop-assistant"
APP_TITLE = "Desktop Assistant"
