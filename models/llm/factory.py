"""Choosing the chat model from the config: an OpenAI-compatible server when a base URL is set, else the bundled
model through llama.cpp when installed, else through transformers (slow: about a minute to load, a few tokens per
second on 2 cores)."""

from __future__ import annotations

import logging
from pathlib import Path

from simulagent.config import LLMConfig
from simulagent.errors import UserError
from simulagent.models.llm.base import ChatBackend
from simulagent.models.llm.bundled import bundled_gguf_path
from simulagent.models.llm.llamacpp import LlamaCppChatModel, llama_cpp_available

__all__ = ["make_chat_model"]

log = logging.getLogger("simulagent.llm")


def make_chat_model(config: LLMConfig, backend: str | None = None) -> ChatBackend:
    """Build the configured backend (`backend` overrides `config.backend`)."""
    choice = backend or config.backend
    if choice == "openai" or (choice == "auto" and config.base_url):
        from simulagent.models.llm.openai_http import OpenAIChatModel

        if not config.base_url:
            raise UserError("the openai backend needs llm.base_url (or $SIMULAGENT_LLM__BASE_URL)")
        return OpenAIChatModel.from_env(config.base_url, config.model, config.api_key_env, config.timeout_s)
    path = bundled_gguf_path() if config.model.startswith("bundled:") else Path(config.model).expanduser()
    if choice == "llama-cpp" or (choice == "auto" and llama_cpp_available() and path.suffix == ".gguf"):
        return LlamaCppChatModel(path)
    if choice in ("auto", "transformers"):
        from simulagent.models.llm.hf import TransformersChatModel

        if path.suffix == ".gguf":
            log.warning("llama.cpp is not installed: loading %s with transformers, which is slow on a CPU", path.name)
        return TransformersChatModel(path=path)
    raise UserError(f"unknown LLM backend {choice!r}")
