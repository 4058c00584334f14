"""Typed configuration: a TOML file plus environment overrides, resolved once at the edge.

Each area reads its own frozen section (`config.models`, `config.llm`, ...). Values come, in increasing priority,
from the defaults below, the TOML file, then environment variables named `SIMULAGENT_<SECTION>__<FIELD>` (for
example `SIMULAGENT_LLM__BASE_URL=http://127.0.0.1:8080/v1`). Unknown sections or keys and values of the wrong type
are a `ConfigError` naming the key, never a silent default.

The file is found at `--config PATH`, else `$SIMULAGENT_CONFIG`, else `config.toml` in the user's config
directory (`simulagent config path` prints it).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from simulagent.errors import ConfigError

__all__ = [
    "COMPUTE_TYPES",
    "AgentConfig",
    "Config",
    "EvalConfig",
    "LLMConfig",
    "ModelsConfig",
    "PolicyConfig",
    "RAGConfig",
    "ServerConfig",
    "TTSConfig",
    "VerticalsConfig",
    "config_path",
    "data_dir",
    "load_config",
    "to_toml",
]

ENV_PREFIX = "SIMULAGENT_"
WEB_PROVIDERS = ("wikipedia", "searxng", "rss")


def data_dir() -> Path:
    """The user's data folder (SQLite stores, knowledge bases, checkpoints); `$SIMULAGENT_DATA_DIR` overrides it."""
    override = os.environ.get(ENV_PREFIX + "DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("simulagent", appauthor=False))


def config_path() -> Path:
    """Where the config file is looked for when no `--config` is given."""
    override = os.environ.get(ENV_PREFIX + "CONFIG")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("simulagent", appauthor=False)) / "config.toml"


COMPUTE_TYPES = (
    "auto",
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)
"""CTranslate2's compute types; "auto" is simulagent's own (`simulagent.models.asr.default_compute_type`)."""


@dataclass(frozen=True)
class ModelsConfig:
    """The speech core: recognition and speech translation."""

    asr_backend: Literal["faster-whisper", "transformers"] = "faster-whisper"  # which backend runs Whisper
    whisper_model: str = "bundled:base"  # "bundled:base", "bundled:tiny.en" or a local model folder
    device: Literal["cpu", "cuda", "auto"] = "cpu"  # where models run
    compute_type: str = "auto"  # CTranslate2 compute type; "auto": the faster of int8 and float32 on this CPU
    num_threads: int = 2  # intra-op threads for CPU inference

    def __post_init__(self) -> None:
        if self.num_threads < 1:
            raise ConfigError(f"models.num_threads must be >= 1; got {self.num_threads}")
        if self.compute_type not in COMPUTE_TYPES:
            raise ConfigError(
                f"models.compute_type must be one of {', '.join(COMPUTE_TYPES)}; got {self.compute_type!r}"
            )


@dataclass(frozen=True)
class PolicyConfig:
    """The READ/WRITE policy that gates a streaming system."""

    name: str = "alignatt"  # "alignatt" or a registered policy name (`simulagent policies list`)
    # The policy's latency knob (k for wait-k, n for LocalAgreement, guard frames for AlignAtt); 0: its default.
    latency: float = 0.0
    chunk_ms: int = 0  # source audio per update step, in milliseconds; 0: the preset's own step

    def __post_init__(self) -> None:
        if self.chunk_ms < 0:
            raise ConfigError(f"policy.chunk_ms must be >= 0 (0: the preset's step); got {self.chunk_ms}")


@dataclass(frozen=True)
class TTSConfig:
    """Text to speech."""

    backend: Literal["piper", "espeak", "auto"] = "auto"  # auto: Piper for English when installed, else espeak-ng
    voice: str = "bundled:joe"  # "bundled:joe" or a Piper .onnx voice file
    first_cut_max_words: int = 6  # speak after at most this many words even without punctuation


@dataclass(frozen=True)
class LLMConfig:
    """The language model used to answer, to write RAG answers and to translate (Agent-SiMT)."""

    backend: Literal["auto", "llama-cpp", "transformers", "openai"] = "auto"  # auto: bundled model, llama.cpp first
    model: str = "bundled:qwen2.5-0.5b"  # bundled name, a local path, or the server's model name
    base_url: str = ""  # OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1
    api_key_env: str = "OPENAI_API_KEY"  # name of the environment variable that holds the key (never the key)
    timeout_s: float = 60.0  # per-request timeout for server backends
    max_tokens: int = 512  # default generation budget
    temperature: float = 0.0  # 0 = greedy


@dataclass(frozen=True)
class RAGConfig:
    """DeepQA retrieval."""

    embedder: str = "bundled:minilm"  # bundled embedder name or a local sentence-transformers/HF folder
    searxng_url: str = ""  # self-hosted SearXNG base URL; empty disables it
    wikipedia_url: str = "https://en.wikipedia.org"  # Wikipedia base (swap for a mirror where it is blocked)
    allowed_roots: tuple[str, ...] = ()  # folders ingestion may read; empty = the current folder only
    max_file_bytes: int = 50 * 1024 * 1024  # larger files are reported and skipped
    hybrid: bool = True  # rank by embeddings fused with BM25 (names, numbers); false: embeddings alone
    # What the agent's DeepQA retrieval searches: knowledge base names (made by `simulagent rag ingest --kb NAME`)
    # and web providers ("wikipedia", "searxng" with searxng_url, "rss" with rss_feeds); empty: none.
    agent_knowledge_bases: tuple[str, ...] = ()
    agent_web: tuple[str, ...] = ()
    rss_feeds: tuple[str, ...] = ()  # RSS/Atom feed URLs searched by the "rss" web provider
    fetch_pages: int = 0  # fetch and clean the pages of this many web results per provider; 0: snippets only

    def __post_init__(self) -> None:
        if self.fetch_pages < 0:
            raise ConfigError(f"rag.fetch_pages must be >= 0; got {self.fetch_pages}")
        unknown = [name for name in self.agent_web if name not in WEB_PROVIDERS]
        if unknown:
            raise ConfigError(f"rag.agent_web: unknown provider {unknown[0]!r}; known: {', '.join(WEB_PROVIDERS)}")


@dataclass(frozen=True)
class VerticalsConfig:
    """Vertical skills."""

    disabled: tuple[str, ...] = ()  # skill ids to leave out
    http_timeout_s: float = 8.0  # per-request timeout of web providers
    user_agent: str = "simulagent/0.1 (+https://github.com/simulagent/simulagent)"  # sent to web APIs
    time_zone: str = ""  # default IANA time zone; empty = the machine's
    home_city: str = ""  # used when a request names no place
    calendar_file: str = ""  # the .ics file the agenda skill reads
    base_urls: tuple[str, ...] = ()  # "provider=https://..." overrides of the web providers' base URLs
    news_feeds: tuple[str, ...] = ()  # "topic=https://.../rss.xml" feeds for the news skill, added to the defaults


@dataclass(frozen=True)
class AgentConfig:
    """The dialogue agent."""

    language: Literal["auto", "zh", "en"] = "auto"  # reply language; auto follows the user
    mode: Literal["dialogue", "interpretation"] = "dialogue"  # start-up mode
    endpoint_silence_ms: int = 600  # silence that ends a user turn
    barge_in_min_speech_ms: int = 300  # shorter speech over the agent (fillers) does not interrupt
    router_embedder: str = "hybrid"  # embedder of the router's similarity tier (see simulagent.rag.embedders)
    router_threshold: float = 0.7  # similarity below which no skill is chosen (see docs/benchmarks.md)
    # The recogniser of spoken requests: "auto" takes the fast English-only tiny.en when the user speaks English
    # (voice-to-voice latency, docs/benchmarks.md) and the multilingual base otherwise; or a model name or folder.
    listen_model: str = "auto"


@dataclass(frozen=True)
class EvalConfig:
    """Evaluation defaults."""

    sacrebleu_tokenizer: str = "13a"  # sacrebleu tokenizer (zh for Chinese targets)
    latency_unit: Literal["word", "char", "spm"] = "word"  # unit of text latency


@dataclass(frozen=True)
class ServerConfig:
    """`simulagent serve`."""

    host: str = "127.0.0.1"  # bind address; anything beyond localhost requires a token
    port: int = 8765  # TCP port
    token_env: str = "SIMULAGENT_TOKEN"  # environment variable holding the bearer token
    max_sessions: int = 16  # concurrent sessions


@dataclass(frozen=True)
class Config:
    """The whole effective configuration."""

    models: ModelsConfig = field(default_factory=ModelsConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    tts: TTSConfig = field(default_factory=TTSConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    rag: RAGConfig = field(default_factory=RAGConfig)
    verticals: VerticalsConfig = field(default_factory=VerticalsConfig)
    agent: AgentConfig = field(default_factory=AgentConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    server: ServerConfig = field(default_factory=ServerConfig)


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Build the effective config from defaults, the TOML file and the environment.

    Args:
        path: the TOML file; None looks at `config_path()` and uses defaults when that file does not exist.
        env: environment variables (defaults to `os.environ`).

    Raises:
        ConfigError: the file is missing (when named), unreadable, not TOML, or has unknown keys or wrong types.
    """
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    file_path = Path(path).expanduser() if path is not None else config_path()
    if path is not None and not file_path.is_file():
        raise ConfigError(f"{file_path}: no such config file")
    if file_path.is_file():
        try:
            raw = tomllib.loads(file_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file_path}: cannot read the config file ({exc})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file_path}: not valid TOML ({exc})") from exc
    origin = str(file_path)
    sections = {f.name: f for f in dataclasses.fields(Config)}
    for name in raw:
        if name not in sections:
            raise ConfigError(f"{origin}: unknown section [{name}]; known: {', '.join(sections)}")
    values: dict[str, Any] = {}
    for name, section_field in sections.items():
        section_cls = _section_type(section_field)
        section_raw = raw.get(name, {})
        if not isinstance(section_raw, dict):
            raise ConfigError(f"{origin}: [{name}] must be a table")
        values[name] = _build_section(name, section_cls, section_raw, env, origin)
    return Config(**values)


def _section_type(section_field: dataclasses.Field[Any]) -> type[Any]:
    hints = typing.get_type_hints(Config)
    section_cls = hints[section_field.name]
    assert isinstance(section_cls, type)
    return section_cls


def _build_section(name: str, section_cls: type[Any], raw: dict[str, Any], env: Mapping[str, str], origin: str) -> Any:
    hints = typing.get_type_hints(section_cls)
    known = {f.name for f in dataclasses.fields(section_cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{origin}: unknown key {name}.{key}; known: {', '.join(sorted(known))}")
    kwargs: dict[str, Any] = {}
    for key in known:
        env_name = f"{ENV_PREFIX}{name.upper()}__{key.upper()}"
        if env_name in env:
            kwargs[key] = _coerce(env[env_name], hints[key], f"${env_name}", from_env=True)
        elif key in raw:
            kwargs[key] = _coerce(raw[key], hints[key], f"{origin}: {name}.{key}", from_env=False)
    try:
        return section_cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{name}]: {exc}") from exc


def _coerce(value: Any, hint: Any, where: str, *, from_env: bool) -> Any:
    origin = typing.get_origin(hint)
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(f"{where} must be one of {', '.join(map(repr, choices))}; got {value!r}")
        return value
    if origin is tuple:
        if from_env:
            value = [part.strip() for part in str(value).split(",") if part.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of strings; got {value!r}")
        return tuple(value)
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"{where}: union-typed settings are not supported")  # pragma: no cover - guards authors
    if hint is bool:
        if from_env:
            lowered = str(value).strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false; got {value!r}")
        return value
    if hint is int:
        try:
            if isinstance(value, bool):
                raise ValueError
            return int(value) if from_env else _exact(value, int)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be an integer; got {value!r}") from None
    if hint is float:
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value) if from_env else float(_exact(value, int | float))
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number; got {value!r}") from None
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string; got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported setting type {hint!r}")  # pragma: no cover - guards authors


def _exact(value: Any, kind: Any) -> Any:
    if not isinstance(value, kind):
        raise TypeError
    return value


def to_toml(config: Config) -> str:
    """The config as TOML text (what `simulagent config show` prints)."""
    lines: list[str] = []
    for section in dataclasses.fields(config):
        lines.append(f"[{section.name}]")
        for key, value in dataclasses.asdict(getattr(config, section.name)).items():
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
