"""LLM backends: the OpenAI-compatible client against a fake server (streaming, stops, faults), the transformers
backend on a tiny seeded model (streaming == whole generation, prefix reuse, cancellation), the bundled model's
assembly, and the Agent-SiMT translation system with a scripted model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from simulagent.cli import main
from simulagent.models.llm.base import LLMError, complete
from simulagent.models.llm.hf import TransformersChatModel
from simulagent.models.llm.openai_http import OpenAIChatModel
from simulagent.models.llm.simt import LLMTranslationSystem
from simulagent.signals import ChatMessage, ChatModel, GenerationOptions
from simulagent.types import ReadAction, TextSegment, WriteAction

from .conftest import FakeOpenAI, Script

HELLO = [ChatMessage("user", "Say hello")]


def test_openai_streams_and_sends_what_was_asked(fake_openai: FakeOpenAI) -> None:
    model = OpenAIChatModel(fake_openai.url, "m1", api_key="k3y")
    assert isinstance(model, ChatModel)
    pieces = list(model.stream(HELLO, GenerationOptions(max_tokens=7, assistant_prefix="Hi", stop=("END",))))
    assert "".join(pieces) == "Hello world!" and len(pieces) >= 2
    request = fake_openai.requests[-1]
    assert request["model"] == "m1" and request["stream"] is True and request["max_tokens"] == 7
    assert request["messages"][-1] == {"role": "assistant", "content": "Hi"} and request["stop"] == ["END"]
    assert fake_openai.headers[-1]["Authorization"] == "Bearer k3y"


def test_openai_stop_sequences_cut_even_across_pieces(fake_openai: FakeOpenAI) -> None:
    fake_openai.scripts.append(Script(pieces=["one two ST", "OP three"]))
    assert complete(OpenAIChatModel(fake_openai.url), HELLO, GenerationOptions(stop=("STOP",))) == "one two "


@pytest.mark.parametrize(
    ("status", "message"),
    [(401, "rejected the API key"), (404, "has no model"), (400, "refused the request")],
)
def test_openai_errors_are_named(fake_openai: FakeOpenAI, status: int, message: str) -> None:
    fake_openai.scripts.append(Script(status=status))
    with pytest.raises(LLMError, match=message):
        complete(OpenAIChatModel(fake_openai.url, retries=0), HELLO)


def test_openai_retries_rate_limits_and_server_errors(fake_openai: FakeOpenAI) -> None:
    fake_openai.scripts += [Script(status=429), Script(status=503)]
    assert complete(OpenAIChatModel(fake_openai.url, retries=2), HELLO) == "Hello world!"
    fake_openai.scripts += [Script(status=500), Script(status=500)]
    with pytest.raises(LLMError, match="failed \\(HTTP 500\\)"):
        complete(OpenAIChatModel(fake_openai.url, retries=1), HELLO)
    fake_openai.scripts += [Script(status=429)]
    with pytest.raises(LLMError, match="rate limiting"):
        complete(OpenAIChatModel(fake_openai.url, retries=0), HELLO)


def test_openai_mid_stream_disconnect_and_server_down(fake_openai: FakeOpenAI) -> None:
    fake_openai.scripts.append(Script(pieces=["a", "b", "c", "d"], disconnect_after=2))
    with pytest.raises(LLMError, match="closed the stream"):
        complete(OpenAIChatModel(fake_openai.url), HELLO)
    with pytest.raises(LLMError, match="down or unreachable"):
        complete(OpenAIChatModel("http://127.0.0.1:9/v1", retries=0), HELLO)
    with pytest.raises(LLMError, match="must start with http"):
        OpenAIChatModel("localhost:8080")


def test_bad_input() -> None:
    with pytest.raises(LLMError, match="at least one message"):
        complete(OpenAIChatModel("http://127.0.0.1:9/v1"), [])
    with pytest.raises(ValueError, match="max_tokens"):
        GenerationOptions(max_tokens=0)


def test_transformers_streaming_equals_whole_generation_and_reuses_prefix(tiny_lm: tuple[Any, Any]) -> None:
    model, tokenizer = tiny_lm
    llm = TransformersChatModel(model, tokenizer)
    options = GenerationOptions(max_tokens=12)
    first = list(llm.stream(HELLO, options))
    again = complete(llm, HELLO, options)  # second call reuses the cached prompt
    assert "".join(first) == again
    fresh = complete(TransformersChatModel(model, tokenizer), HELLO, options)
    assert fresh == again  # prefix reuse changes nothing but speed
    prefixed = complete(llm, HELLO, GenerationOptions(max_tokens=5, assistant_prefix="ab"))
    assert isinstance(prefixed, str)
    assert llm.count_tokens("abc") == 3


def test_transformers_cancellation_stops_generation(tiny_lm: tuple[Any, Any]) -> None:
    model, tokenizer = tiny_lm
    calls = 0
    original = model.forward

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    model.forward = counting
    try:
        stream = TransformersChatModel(model, tokenizer).stream(HELLO, GenerationOptions(max_tokens=50))
        next(stream)
        stream.close()
    finally:
        model.forward = original
    assert calls < 10


class ScriptedLLM:
    """Translates word by word from a table: continues the assistant prefix with the translation of the next word."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.calls: list[tuple[str, str]] = []

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        source = messages[-1].content.split()
        done = len(options.assistant_prefix.split())
        self.calls.append((messages[-1].content, options.assistant_prefix))
        rest = [self.table[w] for w in source[done:]]
        for word in rest:
            yield " " + word  # BPE-style: the space starts the next word's piece


class WaitTwo:
    def new_state(self) -> None:
        return None

    def decide(self, state: None, read: int, finished: bool, written: int) -> Any:
        return WriteAction() if finished or read >= written + 2 else ReadAction()


def test_agent_simt_system_writes_one_word_per_write() -> None:
    llm = ScriptedLLM({"ich": "I", "sehe": "see", "den": "the", "hund": "dog"})
    system = LLMTranslationSystem(llm, WaitTwo(), "de", "en")
    state = system.new_state()
    out: list[str] = []
    words = ["ich", "sehe", "den", "hund"]
    for i, word in enumerate(words):
        system.push(TextSegment(word, finished=i == len(words) - 1), state)
        while not (seg := system.pop(state)).is_empty:
            out.append(seg.content)
    while not (seg := system.pop(state)).finished:
        if seg.content:
            out.append(seg.content)
    assert out == ["I", "see", "the", "dog"]
    # The LLM saw growing source prefixes and the committed target as a forced prefix.
    assert llm.calls[0] == ("ich sehe", "") and llm.calls[1] == ("ich sehe den", "I")


@pytest.mark.slow
def test_bundled_gguf_assembles_and_verifies() -> None:
    from simulagent.models.llm.bundled import BUNDLED_GGUF_BYTES, bundled_gguf_path

    try:
        path = bundled_gguf_path()
    except LLMError as exc:
        pytest.skip(str(exc))
    assert path.stat().st_size == BUNDLED_GGUF_BYTES
    assert path.read_bytes()[:4] == b"GGUF"
    assert bundled_gguf_path() == path  # second call: verified marker, no re-assembly


def test_llm_cli_against_a_server(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIMULAGENT_LLM__BASE_URL", fake_openai.url)
    assert main(["llm", "ask", "hi"]) == 0
    assert "Hello world!" in capsys.readouterr().out
    monkeypatch.setenv("SIMULAGENT_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    assert main(["llm", "ask", "hi"]) == 2
    assert "down or unreachable" in capsys.readouterr().err
