"""The key store: keyring when there is one (fake backend here), else a 0600 file; never both."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from desktop_assistant.keystore import SERVICE, USERNAME, KeyStore
from desktop_assistant.paths import Paths

KEY = "gsk_keystoretest0123456789"


class MemoryKeyring:
    def __init__(self, fail: bool = False) -> None:
        self.values: dict[tuple[str, str], str] = {}
        self.fail = fail

    def get_password(self, service: str, username: str) -> str | None:
        if self.fail:
            raise RuntimeError("keyring locked")
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.fail:
            raise RuntimeError("keyring locked")
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.values:
            raise RuntimeError("Password not found")
        del self.values[(service, username)]


def test_keyring_holds_the_key_and_no_file_is_left(tmp_path: Path) -> None:
    ring = MemoryKeyring()
    store = KeyStore(tmp_path, ring)
    store._write_file("gsk_oldfilekey000000")  # from a time without a keyring
    store.set(KEY)
    assert ring.values[(SERVICE, USERNAME)] == KEY and not store.file.exists()
    assert store.get() == KEY and "keyring" in store.location
    store.set(None)
    assert ring.values == {} and store.get() is None
    store.set(None)  # removing twice is fine


def test_a_failing_keyring_falls_back_to_a_private_file(tmp_path: Path) -> None:
    store = KeyStore(tmp_path, MemoryKeyring(fail=True))
    store.set(KEY)
    assert store.file.read_text() == KEY
    assert stat.S_IMODE(os.stat(store.file).st_mode) == 0o600
    assert store.get() == KEY


def test_isolated_home_never_touches_the_user_keyring(app_home: Path) -> None:
    store = KeyStore.for_paths(Paths.from_env())
    assert "private file" in store.location
    assert store.file.parent == app_home.resolve() / "config"


def test_blank_key_removes_it(tmp_path: Path) -> None:
    store = KeyStore(tmp_path, None)
    store.set(KEY)
    store.set("   ")
    assert not store.file.exists() and store.get() is None


@pytest.mark.parametrize("content", ["", "  \n"])
def test_empty_key_file_means_no_key(tmp_path: Path, content: str) -> None:
    store = KeyStore(tmp_path, None)
    store.file.write_text(content)
    assert store.get() is None


def test_a_hanging_keyring_does_not_hold_up_the_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import threading
    import time

    release = threading.Event()

    class HangingKeyring(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            release.wait(10)  # a locked collection waiting for an unlock prompt
            return KEY

    store = KeyStore(tmp_path, HangingKeyring())
    store.keyring_timeout_s = 0.2
    started = time.monotonic()
    assert store.get() is None
    assert time.monotonic() - started < 2
    assert "did not answer within" in caplog.text
    release.set()


def test_a_hanging_keyring_on_save_falls_back_to_the_private_file(tmp_path: Path) -> None:
    import threading
    import time

    release = threading.Event()

    class HangingKeyring(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            release.wait(10)

    store = KeyStore(tmp_path, HangingKeyring())
    store.keyring_timeout_s = 0.2
    started = time.monotonic()
    store.set(KEY)  # the Settings dialog's Apply must not freeze on a stuck keyring
    assert time.monotonic() - started < 2
    assert store.file.read_text().strip() == KEY
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    release.set()
