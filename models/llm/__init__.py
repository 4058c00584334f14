"""LLM backends behind `simulagent.signals.ChatModel`: an OpenAI-compatible server, llama.cpp in process,
transformers; the bundled Qwen2.5-0.5B GGUF; and the LLM translation agent of Agent-SiMT."""

from simulagent.models.llm.base import ChatBackend, LLMCapabilities, LLMError, complete
from simulagent.models.llm.simt import LLMTranslationSystem

__all__ = ["ChatBackend", "LLMCapabilities", "LLMError", "LLMTranslationSystem", "complete"]
