"""Where the Groq API key is kept: the OS keyring when a real one is available,
otherwise a file in the config dir that only the user can read (mode 0600).

The key is never logged; callers register it with the log `Redactor`.
`App.create()` reads it as the layer under the environment (GROQ_API_KEY wins).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from desktop_assistant.config import check_api_key
from desktop_assistant.errors import ConfigError, os_reason
from desktop_assistant.paths import HOME_ENV, Paths

log = logging.getLogger(__name__)

SERVICE = "desktop-assistant"
USERNAME = "groq_api_key"
KEY_FILE = "groq_api_key"


T = TypeVar("T")


class KeyringLike(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


def system_keyring() -> KeyringLike | None:
    """The OS keyring backend, or None when only keyring's 'fail'/null backends exist."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # a broken keyring install means "no keyring"
        log.debug("no usable keyring", exc_info=True)
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    if type(backend).__module__.startswith("keyring.backends.null"):
        return None
    return backend


class KeyStore:
    """Get / set / clear the Groq API key."""

    def __init__(self, config_dir: Path, backend: KeyringLike | Literal["auto"] | None = "auto") -> None:
        self.file = Path(config_dir) / KEY_FILE
        self._spec = backend

    @property
    def _backend(self) -> KeyringLike | None:
        """The keyring, found on first use (probing the OS keyring takes a moment)."""
        spec = self._spec
        if spec == "auto":
            spec = self._spec = system_keyring()
        return spec

    @classmethod
    def for_paths(cls, paths: Paths, env: Mapping[str, str] | None = None) -> KeyStore:
        """The store for these paths. An isolated home (DESKTOP_ASSISTANT_HOME, as in tests and
        portable installs) keeps the key in its own file, never in the user's keyring."""
        env = os.environ if env is None else env
        isolated = bool(env.get(HOME_ENV, "").strip())
        return cls(paths.config_dir, None if isolated else "auto")

    @property
    def location(self) -> str:
        """Where the key is stored, in words for the Settings dialog."""
        try:
            backend = self._bounded(lambda: self._backend, "find the system keyring")
        except TimeoutError:
            backend = None
        return self._describe(backend)

    @property
    def known_location(self) -> str | None:
        """`location` when telling it needs no wait (no keyring, or the keyring found already);
        None while the keyring has not been looked for (that can hang: ask `location` off the GUI thread)."""
        spec = self._spec
        return None if isinstance(spec, str) else self._describe(spec)  # a str: "auto", not looked for yet

    def _describe(self, backend: KeyringLike | None) -> str:
        if backend is not None:
            return f"the system keyring ({type(backend).__name__})"
        return f"a private file ({self.file})"

    #: a keyring that hangs (a locked collection waiting for an unlock prompt, a stuck D-Bus
    #: service) must not hold up the app's start: after this long it goes on without the key
    keyring_timeout_s: float = 3.0

    def _bounded(self, fn: Callable[[], T], what: str) -> T:
        """Run a keyring call on a helper thread and wait at most `keyring_timeout_s`
        (TimeoutError after that; the call's own exceptions come back as they are)."""
        returned: list[T] = []
        raised: list[Exception] = []

        def call() -> None:
            try:
                returned.append(fn())
            except Exception as exc:  # noqa: BLE001 - handed back to the waiting caller below
                raised.append(exc)

        worker = threading.Thread(target=call, name="keyring-call", daemon=True)
        worker.start()
        worker.join(self.keyring_timeout_s)
        if raised:
            raise raised[0]
        if returned:
            return returned[0]
        log.warning("the system keyring did not answer within %.0f s (%s)", self.keyring_timeout_s, what)
        raise TimeoutError(what)

    def get(self) -> str | None:
        """The key: from the private file when there is one (no keyring probing), else the
        keyring, waiting for it at most `keyring_timeout_s`. A malformed key: `ConfigError`."""
        from_file = self._read_file()
        if from_file is not None or self._spec is None:  # None: no keyring (an isolated home)
            return check_api_key(from_file, f"in the key file {self.file}")
        try:
            key = self._bounded(self._read_keyring, "read the key; going on without the stored key")
        except TimeoutError:
            return None
        return check_api_key(key, "in the system keyring")

    def _read_keyring(self) -> str | None:
        try:
            backend = self._backend
            value = backend.get_password(SERVICE, USERNAME) if backend is not None else None
        except Exception:  # noqa: BLE001 - locked/unavailable keyring: no key, said once
            log.warning("could not read the key from the keyring")
            return None
        return (value or "").strip() or None

    def set(self, key: str | None) -> None:
        """Store `key`; None or blank removes it. A malformed key: `ConfigError`, nothing stored."""
        key = check_api_key((key or "").strip() or None, "entered")
        try:
            stored = self._bounded(lambda: self._store_in_keyring(key), "store the key; using a private file")
        except Exception:  # noqa: BLE001 - keyring refused or hung: keep the key in the private file
            log.warning("could not store the key in the keyring; using a private file")
            stored = False
        if stored:
            self._remove_file()
            return
        if key is None:
            self._remove_file()
        else:
            self._write_file(key)

    def _store_in_keyring(self, key: str | None) -> bool:
        """True when the keyring now holds `key` (or no longer holds one); False without a keyring."""
        if self._backend is None:
            return False
        if key is None:
            self._delete_backend()
        else:
            self._backend.set_password(SERVICE, USERNAME, key)
        return True

    def _delete_backend(self) -> None:
        assert self._backend is not None
        try:
            self._backend.delete_password(SERVICE, USERNAME)
        except Exception as exc:  # "not found" is fine
            if "not found" not in str(exc).lower() and type(exc).__name__ != "PasswordDeleteError":
                raise

    def _read_file(self) -> str | None:
        try:
            text = self.file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot read the key file %s: %s", self.file, exc.strerror)
            return None
        return text or None

    def _write_file(self, key: str) -> None:
        tmp = self.file.with_suffix(".tmp")
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(key)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.file)
        except OSError as exc:  # the old key (if any) stays as it was
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise self._cannot_store(exc) from None

    def _remove_file(self) -> None:
        try:
            self.file.unlink(missing_ok=True)
        except OSError as exc:
            raise self._cannot_store(exc) from None

    def _cannot_store(self, exc: OSError) -> ConfigError:
        return ConfigError(f"Cannot store the Groq API key in {self.file}: {os_reason(exc)}",
                           "free some disk space or fix the folder's permissions, then apply again")
