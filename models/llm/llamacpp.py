"""llama.cpp in process (`llama-cpp-python`, the optional `llm` extra: it compiles from source, ~10 min on 2
cores). The fastest local backend for the bundled GGUF model on a CPU."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simulagent.models.llm.base import ChatBackend, LLMCapabilities, LLMError, first_stop
from simulagent.signals import ChatMessage, GenerationOptions

__all__ = ["LlamaCppChatModel", "llama_cpp_available"]


def llama_cpp_available() -> bool:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return True


class LlamaCppChatModel(ChatBackend):
    """A GGUF model through llama.cpp; the chat template comes from the GGUF metadata.

    Forced prefixes and prefix reuse work by formatting the prompt ourselves and completing raw text, which lets
    llama.cpp keep its KV cache for the common prefix of consecutive prompts.
    """

    def __init__(self, path: str | Path, n_ctx: int = 4096, n_threads: int = 2, seed: int = 0) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise LLMError(
                "llama.cpp is not installed: pip install simulagent[llm] (compiles for ~10 minutes)"
            ) from None
        self._llm: Any = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, seed=seed, verbose=False)
        self._lock = threading.Lock()
        self.capabilities = LLMCapabilities(
            "llama-cpp", forced_prefix=True, json_output=True, token_counting=True, prefix_reuse=True
        )

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False))

    def _prompt(self, messages: list[ChatMessage], prefix: str) -> str:
        from jinja2 import Template

        template = self._llm.metadata.get("tokenizer.chat_template")
        chat = [{"role": m.role, "content": m.content} for m in messages]
        if template:
            text = Template(template).render(messages=chat, add_generation_prompt=True, bos_token="", eos_token="")
        else:
            text = (
                "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in chat)
                + "<|im_start|>assistant\n"
            )
        return str(text) + prefix

    def _stream_impl(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        prompt = self._prompt(messages, options.assistant_prefix)
        stops = [*options.stop, "<|im_end|>", "<|endoftext|>"]
        kwargs: dict[str, Any] = {
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "stop": stops,
            "stream": True,
        }
        if options.json_schema is not None:
            from llama_cpp import LlamaGrammar

            kwargs["grammar"] = LlamaGrammar.from_json_schema(options.json_schema)
        with self._lock:
            text = ""
            for chunk in self._llm.create_completion(prompt, **kwargs):
                piece = chunk["choices"][0]["text"]
                text += piece
                if first_stop(text, options.stop) >= 0:
                    return
                if piece:
                    yield piece
