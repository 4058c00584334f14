"""OpenAI-compatible chat servers (vLLM, llama.cpp's server, Ollama, hosted endpoints) over httpx, with
server-sent-event streaming, timeouts, retries before the first token, and errors that say what went wrong."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

from simulagent.models.llm.base import ChatBackend, LLMCapabilities, LLMError, first_stop
from simulagent.signals import ChatMessage, GenerationOptions

__all__ = ["OpenAIChatModel"]


class OpenAIChatModel(ChatBackend):
    """`POST {base_url}/chat/completions` with `stream: true`.

    Args:
        base_url: e.g. "http://127.0.0.1:8080/v1".
        model: the server's model name.
        api_key: bearer key; "" sends none.
        timeout_s: connect/read timeout.
        retries: attempts after the first for connection errors, 429 and 5xx (before any token arrived).
    """

    def __init__(
        self, base_url: str, model: str = "default", api_key: str = "", timeout_s: float = 60.0, retries: int = 2
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise LLMError(f"the LLM base URL must start with http:// or https://; got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.timeout_s = timeout_s
        self.retries = retries
        # Forced prefixes: sent as a final assistant message, which llama.cpp and vLLM continue; others may not.
        self.capabilities = LLMCapabilities("openai", json_output=True, local=False)

    @classmethod
    def from_env(cls, base_url: str, model: str, api_key_env: str, timeout_s: float) -> OpenAIChatModel:
        return cls(base_url, model, os.environ.get(api_key_env, ""), timeout_s)

    def _payload(self, messages: list[ChatMessage], options: GenerationOptions) -> dict[str, Any]:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        if options.assistant_prefix:
            chat.append({"role": "assistant", "content": options.assistant_prefix})
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": chat,
            "stream": True,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
        }
        if options.stop:
            payload["stop"] = list(options.stop)
        if options.json_schema is not None:
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": json.loads(options.json_schema)},
            }
        if options.assistant_prefix:
            payload["continue_final_message"] = True
            payload["add_generation_prompt"] = False
        return payload

    def _stream_impl(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        import httpx

        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        payload = self._payload(messages, options)
        url = f"{self.base_url}/chat/completions"
        for attempt in range(self.retries + 1):
            last_attempt = attempt == self.retries
            try:
                with (
                    httpx.Client(timeout=self.timeout_s) as client,
                    client.stream("POST", url, json=payload, headers=headers) as response,
                ):
                    if response.status_code != 200:
                        response.read()
                        error = _status_error(response.status_code, response.text, self.base_url, self.model)
                        if response.status_code in (429, 500, 502, 503, 504) and not last_attempt:
                            time.sleep(min(2.0, 0.25 * 2**attempt))
                            continue
                        raise error
                    yield from self._events(response, options)
                    return
            except httpx.ConnectError:
                if last_attempt:
                    raise LLMError(f"the LLM server at {self.base_url} is down or unreachable") from None
                time.sleep(min(2.0, 0.25 * 2**attempt))
            except httpx.TimeoutException:
                raise LLMError(
                    f"the LLM server at {self.base_url} did not answer within {self.timeout_s:g} s"
                ) from None
            except (httpx.RemoteProtocolError, httpx.ReadError):
                raise LLMError(f"the LLM server at {self.base_url} closed the stream before it finished") from None

    def _events(self, response: Any, options: GenerationOptions) -> Iterator[str]:
        produced = ""
        emitted = 0
        finished = False
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                finished = True
                break
            try:
                event = json.loads(data)
                choice = event["choices"][0]
            except (json.JSONDecodeError, KeyError, IndexError, TypeError):
                raise LLMError(f"the LLM server sent a malformed event: {data[:80]!r}") from None
            piece = (choice.get("delta") or {}).get("content") or ""
            produced += piece
            cut = first_stop(produced, options.stop)
            if cut >= 0:
                if cut > emitted:
                    yield produced[emitted:cut]
                return
            # Hold back a possible partial stop sequence at the end.
            hold = max((len(s) - 1 for s in options.stop), default=0)
            safe = max(emitted, len(produced) - hold)
            if safe > emitted:
                yield produced[emitted:safe]
                emitted = safe
            if choice.get("finish_reason"):
                finished = True
                break
        if not finished:
            raise LLMError(f"the LLM server at {self.base_url} closed the stream before it finished")
        if len(produced) > emitted:
            yield produced[emitted:]


def _status_error(status: int, body: str, base_url: str, model: str) -> LLMError:
    detail = body.strip().replace("\n", " ")[:160]
    if status == 401 or status == 403:
        return LLMError(f"the LLM server at {base_url} rejected the API key (HTTP {status})")
    if status == 404:
        return LLMError(f"the LLM server at {base_url} has no model {model!r} or no chat endpoint (HTTP 404)")
    if status == 429:
        return LLMError(f"the LLM server at {base_url} is rate limiting us (HTTP 429); try again later")
    if status >= 500:
        return LLMError(f"the LLM server at {base_url} failed (HTTP {status}): {detail}")
    return LLMError(f"the LLM server at {base_url} refused the request (HTTP {status}): {detail}")
