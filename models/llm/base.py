"""The LLM interface: `simulagent.signals.ChatModel` (chat messages in, text pieces out), plus what every backend
shares: declared capabilities, input checks, and one error type.

Backends subclass `ChatBackend` and write `_stream_impl`; the public `stream` checks the messages and options
first (template method), so every backend rejects bad input the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from simulagent.errors import UserError
from simulagent.signals import ChatMessage, GenerationOptions

__all__ = ["ChatBackend", "LLMCapabilities", "LLMError", "complete", "first_stop"]

MAX_PROMPT_CHARS = 200_000


class LLMError(UserError):
    """The model or server cannot answer: unreachable, key rejected, model missing, rate limited, bad output."""


@dataclass(frozen=True)
class LLMCapabilities:
    """What a backend can do, declared (not guessed) so the agent can wire it correctly.

    Attributes:
        name: backend name.
        streaming: yields text while generating.
        forced_prefix: honours `GenerationOptions.assistant_prefix` exactly (else: best effort).
        json_output: can constrain output to JSON.
        cancellation: closing the stream stops the computation (not only the reading).
        token_counting: `count_tokens` is exact for this model.
        prefix_reuse: reuses the computation of a prompt prefix shared with the previous call.
        local: runs in this process (no network).
    """

    name: str
    streaming: bool = True
    forced_prefix: bool = False
    json_output: bool = False
    cancellation: bool = True
    token_counting: bool = False
    prefix_reuse: bool = False
    local: bool = True


class ChatBackend(ABC):
    """Base of the backends; satisfies `simulagent.signals.ChatModel`."""

    capabilities: LLMCapabilities

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        """Stream the answer; closing the iterator cancels generation."""
        if not messages:
            raise LLMError("a chat needs at least one message")
        total = 0
        for message in messages:
            if message.role not in ("system", "user", "assistant"):
                raise LLMError(f"unknown chat role {message.role!r}")
            total += len(message.content)
        if total > MAX_PROMPT_CHARS:
            raise LLMError(f"the prompt has {total} characters, over the limit of {MAX_PROMPT_CHARS}")
        return self._stream_impl(list(messages), options)

    @abstractmethod
    def _stream_impl(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]: ...

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` (an estimate of 1 token per 4 characters unless the backend knows better)."""
        return max(1, (len(text) + 3) // 4)


def first_stop(text: str, stops: Sequence[str]) -> int:
    """Index of the earliest stop sequence in `text`, or -1."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else -1


def complete(model: ChatBackend, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> str:
    """The whole answer as one string."""
    return "".join(model.stream(messages, options or GenerationOptions()))
