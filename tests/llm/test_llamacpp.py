"""llama.cpp in process with the bundled Qwen2.5-0.5B GGUF: the real default backend when `simulagent[llamacpp]`
is installed (skipped otherwise: it compiles from source)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simulagent.models.llm.base import LLMError, complete
from simulagent.signals import ChatMessage, GenerationOptions

pytest.importorskip("llama_cpp")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def qwen() -> Any:
    from simulagent.models.llm.bundled import bundled_gguf_path
    from simulagent.models.llm.llamacpp import LlamaCppChatModel

    try:
        path = bundled_gguf_path()
    except LLMError as exc:
        pytest.skip(str(exc))
    return LlamaCppChatModel(path, n_ctx=1024)


def _ask(text: str) -> list[ChatMessage]:
    return [ChatMessage("user", text)]


def test_greedy_answers_are_reproducible_and_honour_stops(qwen: Any) -> None:
    options = GenerationOptions(max_tokens=8, stop=("\n",))
    first = complete(qwen, _ask("What is the capital of France? Answer in one word."), options)
    assert "Paris" in first
    assert complete(qwen, _ask("What is the capital of France? Answer in one word."), options) == first
    counted = complete(qwen, _ask("Count from 1 to 9, one number per line."), GenerationOptions(max_tokens=40))
    assert "\n" in counted.strip()
    cut = complete(qwen, _ask("Count from 1 to 9, one number per line."), GenerationOptions(stop=("3",)))
    assert "3" not in cut and "1" in cut


def test_forced_prefix_continues_a_translation(qwen: Any) -> None:
    messages = [
        ChatMessage("system", "Translate the German text into English. Answer with the translation only."),
        ChatMessage("user", "Ich habe heute einen Hund gesehen."),
    ]
    continuation = complete(qwen, messages, GenerationOptions(max_tokens=12, assistant_prefix="I saw"))
    # The prefix is not repeated: the output continues it.
    assert not continuation.lstrip().lower().startswith("i saw")
    assert "dog" in continuation.lower()


def test_json_schema_constrains_the_output(qwen: Any) -> None:
    schema = json.dumps(
        {
            "type": "object",
            "properties": {"route": {"type": "string", "enum": ["weather", "music", "llm"]}},
            "required": ["route"],
        }
    )
    text = complete(
        qwen,
        _ask("Which route fits the request 'will it rain in Paris tomorrow'? Answer in JSON."),
        GenerationOptions(max_tokens=24, json_schema=schema),
    )
    assert json.loads(text)["route"] in ("weather", "music", "llm")


def test_cancellation_stops_and_the_model_stays_usable(qwen: Any) -> None:
    stream = qwen.stream(_ask("Write a long story about a cat."), GenerationOptions(max_tokens=200))
    first = next(stream)
    stream.close()  # barge-in
    assert first
    assert "Paris" in complete(qwen, _ask("Capital of France, one word?"), GenerationOptions(max_tokens=6))


def test_token_counting_is_the_model_tokenizer(qwen: Any) -> None:
    assert qwen.capabilities.token_counting and qwen.capabilities.prefix_reuse
    assert qwen.count_tokens("hello") == 1
    assert qwen.count_tokens("hello world, how are you?") < len("hello world, how are you?") // 2


def test_agent_simt_with_the_real_model(qwen: Any) -> None:
    from simulagent.models.llm.simt import LLMTranslationSystem, _WordPolicy
    from simulagent.types import TextSegment

    system = LLMTranslationSystem(qwen, _WordPolicy(2), "de", "en")
    state = system.new_state()
    words = ["Ich", "trinke", "jeden", "Morgen", "einen", "Kaffee", "."]
    out: list[str] = []
    for i, word in enumerate(words):
        system.push(TextSegment(word, finished=i == len(words) - 1), state)
        while not (segment := system.pop(state)).is_empty:
            if segment.content:
                out.append(segment.content)
            if segment.finished:
                break
    while not (segment := system.pop(state)).finished:
        if segment.content:
            out.append(segment.content)
    assert all(len(w.split()) == 1 for w in out)  # one word per WRITE
    assert out[0] == "I" and 4 <= len(out) <= 12
    assert all(out[i] != out[i + 1] for i in range(len(out) - 1))  # no degenerate repetition
    assert out[-1].endswith(".") and not any(w.endswith(".") for w in out[:-1])
    # At most one generation per source word: once the source ended, the rest came from one (the lookahead).
    assert state.num_generations <= len(words)
