"""The DiSeg training recipe: data loading and its errors, learning, resuming, inference and the command line."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from simulagent.errors import UserError
from simulagent.policies.diseg import expected_membership
from simulagent.policies.training.diseg_task import (
    SAMPLE_RATE_HZ,
    DisegOptions,
    batched_membership,
    build_model,
    load_dataset,
    load_segmenter,
    predict_alpha,
    predict_boundaries_ms,
    register,
    train,
)

_VOCAB = ("ba", "di", "gu", "mo")
_TONES = {"ba": 300.0, "di": 600.0, "gu": 900.0, "mo": 1200.0}
_TINY = DisegOptions(n_mels=16, hidden_dim=16, embed_dim=8, predictor_dim=8, batch_size=4, lr=5e-3)


def _write_corpus(folder: Path, count: int = 6, seed: int = 0, per_file_json: bool = False) -> Path:
    """Tiny utterances: each "word" a 120 ms tone of its own pitch, separated by 30 ms of silence."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(count):
        words = [str(w) for w in rng.choice(_VOCAB, size=3)]
        t = np.arange(int(0.12 * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
        gap = np.zeros(int(0.03 * SAMPLE_RATE_HZ), np.float32)
        pieces, ends, length = [gap], [], len(gap)
        for word in words:
            tone = (0.5 * np.sin(2 * np.pi * _TONES[word] * t)).astype(np.float32)
            pieces += [tone, gap]
            length += len(tone)
            ends.append(1000.0 * length / SAMPLE_RATE_HZ)
            length += len(gap)
        name = f"u{i}.wav"
        sf.write(str(folder / name), np.concatenate(pieces), SAMPLE_RATE_HZ)
        entry = {"words": words, "ends_ms": ends}
        if per_file_json:
            (folder / f"u{i}.json").write_text(json.dumps(entry))
        else:
            lines.append(json.dumps({"audio": name, **entry}))
    if lines:
        (folder / "boundaries.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_load_dataset_reads_jsonl_and_per_file_json(tmp_path: Path) -> None:
    for per_file in (False, True):
        data = load_dataset(_write_corpus(tmp_path / str(per_file), count=3, per_file_json=per_file))
        assert [u.name for u in data] == ["u0.wav", "u1.wav", "u2.wav"]
        assert all(len(u.words) == 3 and u.ends_ms is not None and len(u.ends_ms) == 3 for u in data)
        assert data[0].samples.dtype == np.float32


def test_load_dataset_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"no \.wav"):
        load_dataset(tmp_path / "empty")

    folder = _write_corpus(tmp_path / "rate", count=1)
    sf.write(str(folder / "u0.wav"), np.zeros(8000, np.float32), 8000)
    with pytest.raises(UserError, match="8000 Hz"):
        load_dataset(folder)

    folder = _write_corpus(tmp_path / "stereo", count=1)
    sf.write(str(folder / "u0.wav"), np.zeros((1600, 2), np.float32), SAMPLE_RATE_HZ)
    with pytest.raises(UserError, match="2 channels"):
        load_dataset(folder)

    folder = _write_corpus(tmp_path / "bad", count=1)
    (folder / "boundaries.jsonl").write_text('{"audio": "u0.wav", "words": ["a", "b"], "ends_ms": [10]}\n')
    with pytest.raises(UserError, match="2 words but 1 end times"):
        load_dataset(folder)
    (folder / "boundaries.jsonl").write_text('{"audio": "u0.wav", "words": ["a", "b"], "ends_ms": [20, 10]}\n')
    with pytest.raises(UserError, match="increasing"):
        load_dataset(folder)
    (folder / "boundaries.jsonl").write_text("{not json\n")
    with pytest.raises(UserError, match="not valid JSON"):
        load_dataset(folder)
    (folder / "boundaries.jsonl").write_text('{"audio": "other.wav", "words": ["a"]}\n')
    with pytest.raises(UserError, match=r"'other\.wav' is not in"):
        load_dataset(folder)
    (folder / "boundaries.jsonl").unlink()
    with pytest.raises(UserError, match="have no words"):
        load_dataset(folder)

    (folder / "u0.json").write_text(json.dumps({"words": ["a"]}))
    assert load_dataset(folder)[0].ends_ms is None  # word times are optional for training...
    with pytest.raises(UserError, match="no 'ends_ms'"):
        load_dataset(folder, require_ends=True)  # ...but evaluation needs them


def test_options_are_checked() -> None:
    with pytest.raises(UserError, match="batch_size"):
        DisegOptions(batch_size=0)
    with pytest.raises(UserError, match="temperature"):
        DisegOptions(temperature=0.0)


def test_batched_membership_matches_the_reference_recursion() -> None:
    torch.manual_seed(0)
    alpha = torch.rand(2, 7, dtype=torch.float64)
    alpha[1, 5:] = 0  # padding
    batched = batched_membership(alpha, 4)
    assert torch.allclose(batched[0], expected_membership(alpha[0], 4))
    assert torch.allclose(batched[1, :5], expected_membership(alpha[1, :5], 4))


def test_training_lowers_the_loss(tmp_path: Path) -> None:
    data = _write_corpus(tmp_path / "data", count=8)
    options = DisegOptions(**{**_TINY.__dict__, "steps": 40, "checkpoint_every": 40})
    result = train(data, tmp_path / "out", options, progress=False)
    assert result.start_step == 0 and result.final_step == 40
    assert np.mean(result.losses[-5:]) < np.mean(result.losses[:5])
    assert (tmp_path / "out" / "checkpoint.pt").is_file()


def test_an_interrupted_run_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    data = _write_corpus(tmp_path / "data", count=6)
    first = train(data, tmp_path / "out", DisegOptions(**{**_TINY.__dict__, "steps": 4, "checkpoint_every": 2}), False)
    assert (first.start_step, first.final_step, len(first.losses)) == (0, 4, 4)
    again = train(data, tmp_path / "out", DisegOptions(**{**_TINY.__dict__, "steps": 6, "checkpoint_every": 2}), False)
    assert (again.start_step, again.final_step, len(again.losses)) == (4, 6, 2)

    # Straight through to 6 gives the same model: the random states are part of the checkpoint.
    straight = tmp_path / "straight"
    train(data, straight, DisegOptions(**{**_TINY.__dict__, "steps": 6, "checkpoint_every": 2}), False)
    resumed_model, _ = load_segmenter(tmp_path / "out")
    straight_model, _ = load_segmenter(straight)
    for (name, a), (_, b) in zip(resumed_model.state_dict().items(), straight_model.state_dict().items(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), name

    with pytest.raises(UserError, match="hidden_dim"):
        train(data, tmp_path / "out", DisegOptions(**{**_TINY.__dict__, "steps": 8, "hidden_dim": 32}), False)


def test_predict_boundaries_are_sorted_and_inside_the_audio() -> None:
    torch.manual_seed(0)
    model = build_model(_TINY, vocab_size=4)
    # A freshly initialised predictor sits near α = 0.5: a threshold of 0 makes every frame run one long run, a
    # low threshold on a model pushed towards boundaries gives many; both must stay sorted and inside the audio.
    with torch.no_grad():
        model["boundary"].net[-1].bias.fill_(3.0)  # α ≈ 0.95 nearly everywhere
    wav = np.random.default_rng(0).standard_normal(SAMPLE_RATE_HZ // 2).astype(np.float32) * 0.1
    for threshold in (0.5, 0.99, 1.1):
        times = predict_boundaries_ms(model, wav, threshold)
        assert times == sorted(times)
        assert all(0 <= t <= 500.0 for t in times)
    assert predict_boundaries_ms(model, wav, 1.1) == []
    with torch.no_grad():
        model["boundary"].net[-1].weight.zero_()
        model["boundary"].net[-1].bias.fill_(-5.0)
    assert predict_boundaries_ms(model, wav) == []
    with pytest.raises(UserError, match="unknown boundary mode"):
        predict_boundaries_ms(model, wav, mode="nearest")


def test_peak_mode_picks_as_many_peaks_as_the_expected_count() -> None:
    torch.manual_seed(0)
    model = build_model(_TINY, vocab_size=4)
    wav = np.random.default_rng(1).standard_normal(SAMPLE_RATE_HZ).astype(np.float32) * 0.1
    with torch.no_grad():
        model["boundary"].net[-1].bias.fill_(-4.0)  # α around 0.02 over 101 frames: a couple of boundaries
    alpha = predict_alpha(model, wav)
    times = predict_boundaries_ms(model, wav, mode="peaks")
    expected = round(float(alpha.sum()))
    assert expected >= 1
    assert 1 <= len(times) <= expected and times == sorted(times)
    assert all(0 <= t <= 1000.0 for t in times)
    assert predict_boundaries_ms(model, wav) == []  # no frame reaches α = 0.5


def test_register_parses_the_options(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    register(parser)
    args = parser.parse_args(["--data", "d", "--out", "o", "--steps", "7", "--bidirectional"])
    assert args.steps == 7 and args.bidirectional and callable(args.func)


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    from simulagent.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["train", "diseg", "--help"])
    assert exc.value.code == 0
    assert "--data" in capsys.readouterr().out


def test_cli_trains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_corpus(tmp_path / "data", count=4)
    parser = argparse.ArgumentParser()
    register(parser)
    argv = ["--data", str(data), "--out", str(tmp_path / "out"), "--steps", "2", "--hidden-dim", "16"]
    args = parser.parse_args([*argv, "--n-mels", "16", "--embed-dim", "8", "--batch-size", "2", "--no-progress"])
    assert args.func(args, None) == 0
    assert "trained to step 2" in capsys.readouterr().out


def test_registering_the_recipe_imports_no_torch() -> None:
    code = (
        "import argparse, sys\n"
        "from simulagent.policies.training import diseg_task\n"
        "diseg_task.register(argparse.ArgumentParser())\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
