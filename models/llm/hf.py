"""Any causal LM that transformers can load from a local folder (or a GGUF file through transformers' GGUF
loader: slow on a CPU), with token streaming by an explicit decoding loop.

The loop keeps the key/value cache of the previous prompt and reuses it when the next prompt starts with the same
tokens (the system prompt and history of a chat, or the source prefix of a simultaneous translation), so only the
new tokens are prefilled. Closing the stream stops decoding at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simulagent.models.llm.base import ChatBackend, LLMCapabilities, LLMError, first_stop
from simulagent.signals import ChatMessage, GenerationOptions

__all__ = ["TransformersChatModel"]


class TransformersChatModel(ChatBackend):
    """A transformers causal LM.

    Args:
        model: a loaded `PreTrainedModel` (e.g. a tiny seeded one in tests) or None to load from `path`.
        tokenizer: its tokenizer (a chat template is used when it has one).
        path: a model folder, or a .gguf file (loaded with `gguf_file=`).
        seed: seed for sampling when temperature > 0.
    """

    def __init__(
        self,
        model: Any = None,
        tokenizer: Any = None,
        path: str | Path | None = None,
        seed: int = 0,
        num_threads: int = 0,
    ) -> None:
        if model is None:
            if path is None:
                raise LLMError("TransformersChatModel needs a model or a path")
            model, tokenizer = _load(Path(path))
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.seed = seed
        self._lock = threading.Lock()
        self._cache_ids: list[int] = []
        self._cache: Any = None
        if num_threads:
            import torch

            torch.set_num_threads(num_threads)
        self.capabilities = LLMCapabilities("transformers", forced_prefix=True, token_counting=True, prefix_reuse=True)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _prompt(self, messages: list[ChatMessage], prefix: str) -> list[int]:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        else:
            text = "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in chat) + "<|assistant|>\n"
        return list(self.tokenizer(text + prefix, add_special_tokens=False)["input_ids"])

    def _stream_impl(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        import torch

        ids = self._prompt(messages, options.assistant_prefix)
        generator = torch.Generator().manual_seed(self.seed)
        eos = self._eos_ids()
        with self._lock:
            past, start = self._reuse(ids)
            new_ids: list[int] = []
            text = ""
            emitted = 0
            hold = max((len(s) - 1 for s in options.stop), default=0)
            step_input = torch.tensor([ids[start:]], dtype=torch.long)
            for _ in range(options.max_tokens):
                with torch.inference_mode():
                    out = self.model(input_ids=step_input, past_key_values=past, use_cache=True)
                past = out.past_key_values
                logits = out.logits[0, -1].float()
                if options.temperature > 0:
                    probs = torch.softmax(logits / options.temperature, dim=-1)
                    token = int(torch.multinomial(probs, 1, generator=generator))
                else:
                    token = int(torch.argmax(logits))
                self._cache_ids = ids + new_ids
                self._cache = past
                if token in eos:
                    break
                new_ids.append(token)
                text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
                cut = first_stop(text, options.stop)
                if cut >= 0:
                    if cut > emitted:
                        yield text[emitted:cut]
                    return
                if text.endswith("\ufffd"):
                    step_input = torch.tensor([[token]], dtype=torch.long)
                    continue  # half of a multi-byte character: wait for the rest
                safe = len(text) - hold
                if safe > emitted:
                    yield text[emitted:safe]
                    emitted = safe
                step_input = torch.tensor([[token]], dtype=torch.long)
            if len(text) > emitted:
                yield text[emitted:]

    def _eos_ids(self) -> set[int]:
        ids: set[int] = set()
        configured = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        for value in (self.tokenizer.eos_token_id, *(configured if isinstance(configured, list) else [configured])):
            if value is not None:
                ids.add(int(value))
        return ids

    def _reuse(self, ids: list[int]) -> tuple[Any, int]:
        """The cache to start from and how many prompt tokens it already covers (at least one token is fed)."""
        cached = self._cache_ids
        common = 0
        for a, b in zip(cached, ids, strict=False):
            if a != b:
                break
            common += 1
        common = min(common, len(ids) - 1)
        if self._cache is None or common <= 0 or not hasattr(self._cache, "crop"):
            return None, 0
        remove = int(self._cache.get_seq_length()) - common
        if remove > 0:
            self._cache.crop(-remove)  # transformers >= 5: a negative count removes that many trailing tokens
        return self._cache, common


def _load(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if path.is_file() and path.suffix == ".gguf":
        kwargs = {"gguf_file": path.name, "local_files_only": True}
        folder = str(path.parent)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
            model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
        except ImportError as exc:
            raise LLMError(f"loading GGUF with transformers needs the gguf package ({exc})") from None
        return model, tokenizer
    if not (path / "config.json").is_file():
        raise LLMError(f"{path}: not a transformers model folder (no config.json) nor a .gguf file")
    return AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True), AutoTokenizer.from_pretrained(
        str(path), local_files_only=True
    )
