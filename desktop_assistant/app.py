"""The composition root: builds settings, paths and logging, and on demand the
agents and the engine pieces (store, transcriber, …) and hands them out.

Nothing else constructs these; the CLI commands and the GUI ask the `App`.
`close()` shuts down in order (input, turn, workers, audio, database).

Only what every caller needs at once is done in `create()`: the agents (YAML)
are parsed on first use, and the GUI reads a key kept in the OS keyring after
its window is shown (`read_stored_key=False`, then `load_stored_key()` off the
GUI thread), so neither delays the first frame.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

from desktop_assistant import __version__
from desktop_assistant.config import SPEC, Settings, load_settings
from desktop_assistant.errors import ConfigError
from desktop_assistant.keystore import KeyStore
from desktop_assistant.log import Redactor, setup_logging
from desktop_assistant.paths import Paths, bundled_agents_dir
from desktop_assistant.speech.onnx_telemetry import disable_onnxruntime_telemetry

if TYPE_CHECKING:  # agents.py imports PyYAML: loaded with the agents, on first use
    from desktop_assistant.agents import Agent, AgentSet

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class App:
    settings: Settings
    paths: Paths
    redactor: Redactor
    _closers: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    _parts: dict[str, Any] = field(default_factory=dict)
    _settings_listeners: list[Callable[[Settings, Settings], None]] = field(default_factory=list)
    _agents: AgentSet | None = None
    _agents_lock: threading.Lock = field(default_factory=threading.Lock)
    _pending_key: KeyStore | None = None  # the store to read the key from in load_stored_key()
    _settings_lock: threading.Lock = field(default_factory=threading.Lock)
    key_override: str | None = None  # where a key that overrides the stored one comes from, in words
    #: what the window ignored to start at all (a settings file it could not use), one sentence each
    settings_problems: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None,
               *, console_log: bool = True, read_stored_key: bool = True, tolerant_settings: bool = False) -> App:
        """`read_stored_key=False`: leave the stored key for `load_stored_key()` (the GUI reads
        it off its thread after the window shows: the OS keyring takes ~0.1 s to load, longer to
        answer, and is waited for up to 3 s). `tolerant_settings`: a settings file that cannot be
        used does not stop the start (the window's): its bad values are left at their defaults and
        `settings_problems` says what was ignored (see `config.load_settings`)."""
        disable_onnxruntime_telemetry()  # before any speech model (and its VAD) loads
        env = os.environ if env is None else env
        paths = Paths.from_env(env).ensure()
        problems: list[str] | None = [] if tolerant_settings else None
        with _held_records("desktop_assistant.config") as held:  # logged once the log is set up
            settings = load_settings(paths.settings_file, env, flags, problems=problems)
        pending = None
        if settings.groq_api_key is None and SPEC["groq_api_key"].env not in env:
            # The key store is the layer under the environment (the settings file never holds it).
            store = KeyStore.for_paths(paths, env)
            if read_stored_key:
                settings = replace(settings, groq_api_key=store.get())
            else:
                pending = store
        redactor = setup_logging(paths.log_file, debug=settings.debug, console=console_log)
        redactor.add_secret(settings.groq_api_key)
        log.info("Desktop Assistant %s starting; data in %s", __version__, paths.data_dir)
        for record in held:
            logging.getLogger(record.name).handle(record)
        key_env = SPEC["groq_api_key"].env
        override = (f"the {key_env} environment variable" if env.get(key_env, "").strip()
                    else "the command line" if (flags or {}).get("groq_api_key") else None)
        return cls(settings, paths, redactor, _pending_key=pending, key_override=override,
                   settings_problems=problems or [])

    def load_stored_key(self) -> None:
        """Read the key that `create(read_stored_key=False)` left out. Blocking (up to the key
        store's timeout): call it off the GUI thread, before building anything that uses the key,
        which is why no settings listener is told. A key entered meanwhile (Settings) wins."""
        store, self._pending_key = self._pending_key, None
        if store is None:
            return
        try:
            key = store.get()
        except ConfigError as exc:  # the window starts without it and says why
            log.warning("stored key not used: %s", exc)
            self.settings_problems.append(str(exc))
            return
        if key is None:
            return
        self.redactor.add_secret(key)
        with self._settings_lock:
            if self.settings.groq_api_key is None:
                self.settings = replace(self.settings, groq_api_key=key)

    @property
    def agents(self) -> AgentSet:
        """The bundled and user agents, parsed on first use (any thread; once)."""
        with self._agents_lock:
            if self._agents is None:
                from desktop_assistant.agents import load_agents

                self._agents = load_agents(bundled_agents_dir(), self.paths.user_agents_dir)
            return self._agents

    @property
    def agents_loaded(self) -> bool:
        return self._agents is not None

    @property
    def agent(self) -> Agent:
        return self.agents.get(self.settings.agent)

    @property
    def keystore(self) -> KeyStore:
        return self.part("keystore", lambda: KeyStore.for_paths(self.paths))

    def on_settings_changed(self, listener: Callable[[Settings, Settings], None]) -> None:
        """Call `listener(old, new)` after `apply_settings()` (on the caller's thread)."""
        self._settings_listeners.append(listener)

    def apply_settings(self, new: Settings) -> None:
        """Use `new` from now on, without a restart: listeners rebuild what depends on it."""
        with self._settings_lock:
            old, self.settings = self.settings, new
        self.redactor.add_secret(new.groq_api_key)
        if old.debug != new.debug:
            logging.getLogger().setLevel(logging.DEBUG if new.debug else logging.INFO)
        changed = [f.name for f in fields(Settings) if getattr(old, f.name) != getattr(new, f.name)]
        log.info("settings changed: %s", ", ".join(changed) or "nothing")
        for listener in list(self._settings_listeners):
            try:
                listener(old, new)
            except Exception:  # one bad listener must not stop the others
                log.exception("a settings listener failed")

    def part(self, name: str, build: Callable[[], T], close: Callable[[T], None] | None = None) -> T:
        """Build a component once (lazily) and register how to close it."""
        if name not in self._parts:
            obj = build()
            self._parts[name] = obj
            if close is not None:
                self._closers.append((name, lambda: close(obj)))
        return cast(T, self._parts[name])

    def replace_part(self, name: str, obj: Any, close: Callable[[Any], None] | None = None) -> Any:
        """Put `obj` in place of part `name` (e.g. a recorder for a new device); returns the old
        one, which the caller closes. The new one is closed at shutdown in the old one's place."""
        old = self._parts.get(name)
        self._parts[name] = obj
        closer = (name, (lambda: close(obj)) if close is not None else (lambda: None))
        for i, (existing, _) in enumerate(self._closers):
            if existing == name:
                self._closers[i] = closer
                break
        else:
            if close is not None:
                self._closers.append(closer)
        return old

    def close(self) -> None:
        """Close components in reverse order of creation (last built, first closed)."""
        while self._closers:
            _, closer = self._closers.pop()
            try:
                closer()
            except Exception:  # shutdown must go on
                log.exception("error while shutting down")
        self._parts.clear()


@contextmanager
def _held_records(name: str) -> Iterator[list[logging.LogRecord]]:
    """Keep what logger `name` logs in a list (for code that runs before logging is set up)."""
    held: list[logging.LogRecord] = []

    class Hold(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            held.append(record)

    logger = logging.getLogger(name)
    handler, propagate = Hold(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield held
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
