"""Answering before the release: a reply asked for on the live transcript while the user pauses.

When the user stops speaking (still holding the key) and a partial transcript covers everything
said, the assistant asks the LLM for the reply to those words at once (`Speculation`), and has the
first fragment of it synthesised — nothing is played or stored. As soon as the final decode of
those words is done (speech/live.py decodes it at the pause), the guess is replaced by its words
when they differ. At the release the turn has its final transcript; if the request it would send is
exactly the one under way (the same system prompt, history and words, to the comma), it takes the
reply from there (a "hit": the time to the first token and the first TTS request are already behind
it). When the final transcript has the guess's words but another case or punctuation (a greedy partial
against a beam search: "what is it" / "What is it?"), the guess's wording is the one sent and
stored: the words — all that word error rates count — are the final transcript's. Otherwise the
guess is cancelled (a "miss": the reply is asked for anew on the final words) — as it is when the
user speaks again, presses Stop, or the recording ends without a turn. So the stored reply always
answers exactly the stored words. The cost of a miss is the
tokens streamed meanwhile and at most one TTS request; both are logged.

A user who lets go without a pause gets the same at the release: the reply to the best words heard
(the final decode's if it heard all the speech, else the latest partial that did) is asked for
while the final transcript is decoded, and used on the same terms.

Setting: `speculative_reply` (SPECULATIVE_REPLY). Off, the user's words leave the computer only at
the release, and only as the final transcript.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

from desktop_assistant.assistant.parts import ChatPart, ReplyStreamPart, SynthesizerPart
from desktop_assistant.assistant.sentences import SentenceSplitter
from desktop_assistant.errors import ErrorKind, UserFacingError
from desktop_assistant.llm.request import ChatMessage, ChatOptions

if TYPE_CHECKING:
    from desktop_assistant.speech.tts import SpeechAudio

log = logging.getLogger(__name__)


def same_words(a: str, b: str) -> bool:
    """The same words, case and punctuation aside ("what is it" and "What is it?")."""
    def norm(text: str) -> list[str]:
        return re.sub(r"[^\w\s']+", " ", text.lower()).split()

    return norm(a) == norm(b)

PREFETCH_WAIT_S = 30.0  # a bound only: the synthesizer's own timeouts end it sooner


class Speculation:
    """One reply asked for before the release, buffered until a turn takes it or it is cancelled."""

    def __init__(self, chat: ChatPart, messages: Sequence[ChatMessage], options: ChatOptions,
                 synthesizer: SynthesizerPart | None = None) -> None:
        self.chat = chat
        self.messages = list(messages)
        self.options = options
        self.synthesizer = synthesizer
        self.started_at = time.monotonic()
        self.first_token_at: float | None = None
        self._cancel = threading.Event()
        self._cond = threading.Condition()
        self._deltas: list[str] = []
        self._ended = False
        self._error: UserFacingError | None = None
        self._stream: ReplyStreamPart | None = None
        self._taken = False
        self._prefetch: tuple[str, Future[SpeechAudio | None]] | None = None
        self._thread = threading.Thread(target=self._run, name="speculative-reply", daemon=True)

    @property
    def text(self) -> str:
        """The user's words it answers."""
        return self.messages[-1].content

    def start(self) -> Speculation:
        self._thread.start()
        return self

    def answers(self, messages: Sequence[ChatMessage]) -> bool:
        """Whether `messages` is exactly the request under way (a comma moved is another question)."""
        return not self._cancel.is_set() and list(messages) == self.messages

    def take(self) -> ReplyStreamPart:
        """The reply so far and as it goes on (closing it cancels the request)."""
        self._taken = True
        return _Replay(self)

    def speech(self, synthesizer: SynthesizerPart) -> SynthesizerPart:
        """`synthesizer`, with the first fragment synthesised already when its text matches."""
        return _Prefetched(synthesizer, self._prefetch)

    def cancel(self, why: str = "") -> None:
        if self._cancel.is_set():
            return
        self._cancel.set()
        with self._cond:
            stream = self._stream
            self._cond.notify_all()
        if stream is not None:
            stream.close()
        if not self._taken:
            with self._cond:
                chars = sum(len(d) for d in self._deltas)
            log.info("speculative reply cancelled%s after %d characters%s", f" ({why})" if why else "", chars,
                     " and one TTS request" if self._prefetch is not None else "")

    @property
    def wasted_chars(self) -> int:
        with self._cond:
            return sum(len(d) for d in self._deltas) if not self._taken else 0

    # -- the request (its own thread) ----------------------------------------------------------
    def _run(self) -> None:
        splitter = SentenceSplitter()
        try:
            stream = self.chat.stream(self.messages, self.options, cancel=self._cancel)
            with self._cond:
                self._stream = stream
            if self._cancel.is_set():
                stream.close()
            for delta in stream:
                with self._cond:
                    if self.first_token_at is None:
                        self.first_token_at = time.monotonic()
                    self._deltas.append(delta)
                    self._cond.notify_all()
                if self._prefetch is None and self.synthesizer is not None:
                    for sentence in splitter.feed(delta):
                        self._start_prefetch(sentence.text)
                        break
                if self._cancel.is_set():
                    break
        except UserFacingError as exc:
            self._error = exc
        except Exception as exc:  # a bug: the turn that takes it reports it in one line
            log.exception("speculative reply failed")
            self._error = UserFacingError(f"Something went wrong: {exc}", "see the log for details",
                                          kind=ErrorKind.BUG)
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def _start_prefetch(self, text: str) -> None:
        synthesizer = self.synthesizer
        assert synthesizer is not None
        future: Future[SpeechAudio | None] = Future()
        self._prefetch = (text, future)

        def fetch() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(None if self._cancel.is_set() and not self._taken
                                  else synthesizer.synthesize(text, 0))
            except Exception as exc:  # noqa: BLE001 - handed to the turn's speech run, which reports it
                future.set_exception(exc)

        threading.Thread(target=fetch, name="speculative-tts", daemon=True).start()

    def _next(self, index: int) -> str | None:
        """Delta `index`, waiting for it; None at the end (raises the request's error there)."""
        with self._cond:
            while index >= len(self._deltas) and not self._ended and not (self._cancel.is_set() and not self._taken):
                self._cond.wait(0.1)
            if index < len(self._deltas):
                return self._deltas[index]
            if self._error is not None:
                raise self._error
            return None


class _Replay:
    """A `ReplyStreamPart` over a speculation: what arrived so far, then the rest as it comes."""

    def __init__(self, speculation: Speculation) -> None:
        self._speculation = speculation
        self._closed = threading.Event()

    def __iter__(self) -> Iterator[str]:
        index = 0
        while not self._closed.is_set():
            delta = self._speculation._next(index)
            if delta is None:
                return
            index += 1
            yield delta

    def close(self) -> None:
        self._closed.set()
        self._speculation.cancel("stopped")


class _Prefetched:
    """A synthesizer whose fragment 0 is the speculation's, when the text is the same."""

    def __init__(self, inner: SynthesizerPart, prefetch: tuple[str, Future[SpeechAudio | None]] | None) -> None:
        self._inner = inner
        self._prefetch = prefetch

    def synthesize(self, text: str, index: int = 0) -> SpeechAudio | None:
        prefetch = self._prefetch
        if index == 0 and prefetch is not None and prefetch[0] == text:
            return prefetch[1].result(PREFETCH_WAIT_S)
        return self._inner.synthesize(text, index)

    def prepare(self) -> None:
        self._inner.prepare()
