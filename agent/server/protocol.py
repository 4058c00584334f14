"""The WebSocket protocol of `simulagent serve`: JSON control messages plus binary PCM16 audio frames.

Client to server, in order:

1. `hello` (JSON, first message): mode, languages, the sample rate of the audio the client will send, an optional
   thread id to resume a conversation.
2. Any number of binary frames (mono signed 16-bit little-endian PCM at the hello's rate, at most
   `MAX_AUDIO_FRAME_BYTES` each), `text` messages (a typed utterance), `interrupt` (the user spoke over the
   agent), `end_of_audio` (the source stream is over), `ping`.

Server to client: `ready` (after hello), `event` messages that mirror the Python event types (and `audio.skipped`
when the server sheds load), `audio` headers each followed by one binary frame of PCM16 output audio, `error`
(`server_busy` with a `retry_after_ms` hint, then a close with code 1013, when the session is not admitted),
`pong`.

`docs/protocol.md` documents the messages; `PROTOCOL_SCHEMA` is their JSON Schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from simulagent.errors import UserError

__all__ = [
    "MAX_AUDIO_FRAME_BYTES",
    "MAX_TEXT_CHARS",
    "PROTOCOL_SCHEMA",
    "PROTOCOL_VERSION",
    "ClientMessage",
    "EndOfAudio",
    "Hello",
    "Interrupt",
    "Ping",
    "ProtocolError",
    "TextInput",
    "parse_client_message",
]

PROTOCOL_VERSION = 1
MAX_AUDIO_FRAME_BYTES = 64 * 1024  # 2 s of 16 kHz PCM16: far above any sensible frame, far below a memory risk
MAX_TEXT_CHARS = 4_000
MAX_JSON_BYTES = 16 * 1024
ALLOWED_INPUT_RATES_HZ = (8_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000)


class ProtocolError(UserError):
    """A client message breaks the protocol; `code` is machine-readable, the message says what is wrong."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Hello:
    """The first message of a session."""

    mode: Literal["dialogue", "interpretation"] = "dialogue"
    sample_rate_hz: int = 16_000
    source_lang: str = ""
    target_lang: str = "en"
    thread_id: str = ""


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class Interrupt:
    pass


@dataclass(frozen=True)
class EndOfAudio:
    pass


@dataclass(frozen=True)
class Ping:
    pass


ClientMessage = Hello | TextInput | Interrupt | EndOfAudio | Ping

_LANG_MAX_CHARS = 16
_THREAD_MAX_CHARS = 128


def parse_client_message(raw: str) -> ClientMessage:
    """Parse and validate one JSON control message from a client.

    Raises:
        ProtocolError: not JSON, not an object, unknown type, or a field of the wrong type or size.
    """
    if len(raw.encode("utf-8")) > MAX_JSON_BYTES:
        raise ProtocolError("too_large", f"control messages are limited to {MAX_JSON_BYTES} bytes")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ProtocolError("bad_json", f"control message is not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("bad_message", 'a control message is a JSON object with a string "type"')
    kind = data["type"]
    if kind == "hello":
        return _parse_hello(data)
    if kind == "text":
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ProtocolError("bad_text", '"text" must be a non-empty string')
        if len(text) > MAX_TEXT_CHARS:
            raise ProtocolError("too_large", f'"text" is limited to {MAX_TEXT_CHARS} characters')
        return TextInput(text)
    if kind == "interrupt":
        return Interrupt()
    if kind == "end_of_audio":
        return EndOfAudio()
    if kind == "ping":
        return Ping()
    raise ProtocolError("unknown_type", f"unknown message type {kind!r}")


def _parse_hello(data: dict[str, Any]) -> Hello:
    protocol = data.get("protocol", PROTOCOL_VERSION)
    if protocol != PROTOCOL_VERSION:
        raise ProtocolError("bad_protocol", f"this server speaks protocol {PROTOCOL_VERSION}; got {protocol!r}")
    mode = data.get("mode", "dialogue")
    if mode not in ("dialogue", "interpretation"):
        raise ProtocolError("bad_hello", f'"mode" must be "dialogue" or "interpretation"; got {mode!r}')
    rate = data.get("sample_rate_hz", 16_000)
    if isinstance(rate, bool) or rate not in ALLOWED_INPUT_RATES_HZ:
        rates = ", ".join(map(str, ALLOWED_INPUT_RATES_HZ))
        raise ProtocolError("bad_audio_format", f'"sample_rate_hz" must be one of {rates}; got {rate!r}')
    fields: dict[str, str] = {}
    for key, limit in (
        ("source_lang", _LANG_MAX_CHARS),
        ("target_lang", _LANG_MAX_CHARS),
        ("thread_id", _THREAD_MAX_CHARS),
    ):
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str) or len(value) > limit:
            raise ProtocolError("bad_hello", f'"{key}" must be a string of at most {limit} characters')
        fields[key] = value
    return Hello(mode=mode, sample_rate_hz=int(rate), **fields)


def _obj(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": ["type", *required]}


PROTOCOL_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "simulagent WebSocket protocol, version 1 (JSON control messages)",
    "$defs": {
        "hello": _obj(
            {
                "type": {"const": "hello"},
                "protocol": {"const": PROTOCOL_VERSION},
                "mode": {"enum": ["dialogue", "interpretation"]},
                "sample_rate_hz": {"enum": list(ALLOWED_INPUT_RATES_HZ)},
                "source_lang": {"type": "string", "maxLength": _LANG_MAX_CHARS},
                "target_lang": {"type": "string", "maxLength": _LANG_MAX_CHARS},
                "thread_id": {"type": "string", "maxLength": _THREAD_MAX_CHARS},
            }
        ),
        "text": _obj({"type": {"const": "text"}, "text": {"type": "string", "maxLength": MAX_TEXT_CHARS}}, ("text",)),
        "interrupt": _obj({"type": {"const": "interrupt"}}),
        "end_of_audio": _obj({"type": {"const": "end_of_audio"}}),
        "ping": _obj({"type": {"const": "ping"}}),
        "ready": _obj(
            {
                "type": {"const": "ready"},
                "protocol": {"const": PROTOCOL_VERSION},
                "session_id": {"type": "string"},
                "thread_id": {"type": "string"},
                "mode": {"enum": ["dialogue", "interpretation"]},
            },
            ("session_id", "thread_id"),
        ),
        "event": _obj(
            {
                "type": {"const": "event"},
                "event": {
                    "type": "string",
                    "description": "the Python event type, e.g. transcript.partial; audio.skipped (skipped_ms, "
                    "from_ms, to_ms, total_skipped_ms, max_backlog_ms) when load shedding skipped source audio",
                },
            },
            ("event",),
        ),
        "audio": _obj(
            {
                "type": {"const": "audio"},
                "sample_rate_hz": {"type": "integer"},
                "num_samples": {"type": "integer"},
                "start_ms": {"type": "number"},
                "text": {"type": "string", "description": "the words this audio voices"},
            },
            ("sample_rate_hz", "num_samples"),
        ),
        "error": _obj(
            {
                "type": {"const": "error"},
                "code": {"type": "string", "description": "machine-readable, e.g. bad_json, rate_limited, server_busy"},
                "message": {"type": "string", "description": "what is wrong, for people"},
                "reason": {
                    "enum": ["max_sessions", "load"],
                    "description": "server_busy only: the session limit, or the measured capacity of the model",
                },
                "retry_after_ms": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "server_busy only: wait at least this long before connecting again",
                },
            },
            ("code", "message"),
        ),
        "pong": _obj({"type": {"const": "pong"}}),
    },
    "oneOf": [
        {"$ref": f"#/$defs/{name}"}
        for name in ("hello", "text", "interrupt", "end_of_audio", "ping", "ready", "event", "audio", "error", "pong")
    ],
}
