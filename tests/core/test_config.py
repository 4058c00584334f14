"""Config: defaults, the TOML file, environment overrides, and clear errors for every malformed input."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from simulagent.config import Config, load_config, to_toml
from simulagent.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(None, env={"SIMULAGENT_CONFIG": str(tmp_path / "absent.toml")})
    assert config == Config()


def test_file_then_environment(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[llm]\nbase_url = "http://127.0.0.1:8080/v1"\ntemperature = 0.5\n[rag]\nallowed_roots = ["/docs"]\n',
    )
    config = load_config(path, env={"SIMULAGENT_LLM__TEMPERATURE": "0.25", "SIMULAGENT_MODELS__NUM_THREADS": "4"})
    assert config.llm.base_url == "http://127.0.0.1:8080/v1"
    assert config.llm.temperature == 0.25  # the environment wins over the file
    assert config.models.num_threads == 4
    assert config.rag.allowed_roots == ("/docs",)


def test_environment_types(tmp_path: Path) -> None:
    env = {
        "SIMULAGENT_CONFIG": str(tmp_path / "absent.toml"),
        "SIMULAGENT_VERTICALS__DISABLED": "weather, news",
        "SIMULAGENT_AGENT__MODE": "interpretation",
    }
    config = load_config(None, env=env)
    assert config.verticals.disabled == ("weather", "news")
    assert config.agent.mode == "interpretation"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[nonsense]\nx = 1\n", r"unknown section \[nonsense\]"),
        ("[llm]\nbase_ur = 'x'\n", r"unknown key llm\.base_ur"),
        ("[llm]\ntemperature = 'hot'\n", r"llm\.temperature must be a number"),
        ("[models]\nnum_threads = 2.5\n", r"models\.num_threads must be an integer"),
        ("[models]\nasr_backend = 'kaldi'\n", r"models\.asr_backend must be one of"),
        ("[rag]\nallowed_roots = '/docs'\n", r"rag\.allowed_roots must be a list of strings"),
        ("[models]\nnum_threads = 0\n", r"num_threads must be >= 1"),
        ("llm = 3\n", r"\[llm\] must be a table"),
        ("[llm\n", "not valid TOML"),
    ],
)
def test_malformed_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, text), env={})


def test_bad_environment_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\$SIMULAGENT_MODELS__NUM_THREADS must be an integer"):
        load_config(None, env={"SIMULAGENT_CONFIG": str(tmp_path / "x.toml"), "SIMULAGENT_MODELS__NUM_THREADS": "two"})


def test_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.toml", env={})


def test_to_toml_round_trips(tmp_path: Path) -> None:
    config = load_config(
        None, env={"SIMULAGENT_CONFIG": str(tmp_path / "x.toml"), "SIMULAGENT_RAG__ALLOWED_ROOTS": "a,b"}
    )
    text = to_toml(config)
    tomllib.loads(text)  # valid TOML
    assert load_config(_write(tmp_path, text), env={}) == config
