"""The `simulagent` command: fast help without torch, one-line user errors, config show, audio info."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulagent.audio import save_wav
from simulagent.cli import COMMANDS, main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulagent", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from simulagent.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('torch', 'transformers', 'faiss', 'langgraph', 'onnxruntime')\n"
        "print(__import__('json').dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_every_command_help_imports_no_torch() -> None:
    for spec in COMMANDS:
        code = (
            "import sys, contextlib, io\n"
            "from simulagent.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            f"        main([{spec.name!r}, '--help'])\n"
            "    except SystemExit:\n"
            "        pass\n"
            "print('torch' in sys.modules)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
        assert out.stdout.strip().splitlines()[-1] == "False", f"`simulagent {spec.name} --help` imported torch"


def test_help_lists_commands() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for spec in COMMANDS:
        assert spec.name in result.stdout


def test_unknown_command_is_one_line_exit_2() -> None:
    result = _run("frobnicate")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_audio_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    result = _run("audio", "info", str(bad))
    assert result.returncode == 2
    assert "bad.wav" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = _run("--debug", "audio", "info", str(tmp_path / "missing.wav"))
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_bad_config_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[llm]\nnope = 1\n")
    result = _run("--config", str(path), "config", "show")
    assert result.returncode == 2 and "unknown key llm.nope" in result.stderr


def test_config_show_prints_effective_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIMULAGENT_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert 'base_url = "http://127.0.0.1:9/v1"' in out and "[models]" in out


def test_audio_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = save_wav(tmp_path / "tone.wav", np.full(8000, 0.1, dtype=np.float32), 8000)
    assert main(["audio", "info", str(path)]) == 0
    assert "1.00 s" in capsys.readouterr().out


def test_group_without_action_shows_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config"]) == 2
    assert "show" in capsys.readouterr().out
