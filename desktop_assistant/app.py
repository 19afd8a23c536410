"""The composition root: builds settings, paths, logging, agents and, on
demand, the engine pieces (store, transcriber, …) and hands them out.

Nothing else constructs these; the CLI commands and the GUI ask the `App`.
`close()` shuts down in order (input, turn, workers, audio, database).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop_assistant import __version__
from desktop_assistant.agents import Agent, AgentSet, load_agents
from desktop_assistant.config import Settings, load_settings
from desktop_assistant.log import Redactor, setup_logging
from desktop_assistant.paths import Paths, bundled_agents_dir

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    paths: Paths
    redactor: Redactor
    agents: AgentSet
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _parts: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None,
               *, console_log: bool = True) -> App:
        env = os.environ if env is None else env
        paths = Paths.from_env(env).ensure()
        settings = load_settings(paths.settings_file, env, flags)
        redactor = setup_logging(paths.log_file, debug=settings.debug, console=console_log)
        redactor.add_secret(settings.groq_api_key)
        log.info("Desktop Assistant %s starting; data in %s", __version__, paths.data_dir)
        agents = load_agents(bundled_agents_dir(), paths.user_agents_dir)
        return cls(settings, paths, redactor, agents)

    @property
    def agent(self) -> Agent:
        return self.agents.get(self.settings.agent)

    def part(self, name: str, build: Callable[[], Any], close: Callable[[Any], None] | None = None) -> Any:
        """Build a component once (lazily) and register how to close it."""
        if name not in self._parts:
            obj = build()
            self._parts[name] = obj
            if close is not None:
                self._closers.append(lambda: close(obj))
        return self._parts[name]

    def close(self) -> None:
        """Close components in reverse order of creation (last built, first closed)."""
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:  # noqa: BLE001 - shutdown must go on
                log.exception("error while shutting down")
        self._parts.clear()
