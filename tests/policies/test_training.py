"""`simulagent train hmt`: the synthetic task, training in both modes, resuming, simultaneous decoding, the CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from simulagent.errors import UserError  # noqa: E402
from simulagent.policies.hmt import hmt_losses, read_table  # noqa: E402
from simulagent.policies.training.hmt_task import (  # noqa: E402
    HMTTaskOptions,
    batched_hmt_loss,
    decode,
    evaluate,
    train,
)
from simulagent.policies.training.synthetic import ReorderTask, ReorderTaskOptions  # noqa: E402
from simulagent.types import ReadAction, WriteAction  # noqa: E402

TINY = HMTTaskOptions(
    d_model=32, heads=2, layers=1, batch_size=8, train_pairs=200, test_pairs=4, states=4, checkpoint_every=2
)


def test_the_task_is_reproducible_and_reorders() -> None:
    task = ReorderTask()
    assert task.pairs(50, seed=3) == task.pairs(50, seed=3)
    assert task.pairs(50, seed=3) != task.pairs(50, seed=4)
    source, target = ReorderTask(ReorderTaskOptions(reorder_prob=1.0, min_length=4, max_length=4)).sentence(
        __import__("random").Random(0)
    )
    span = int(source[0][2:-1])  # "<r3>" -> 3
    assert [w.replace("w", "v") for w in reversed(source[1 : span + 1])] == target[:span]
    markers = sum(w.startswith("<r") for s, _ in task.pairs(200, 0) for w in s)
    assert markers > 50  # reorderings are frequent enough to matter


def test_generate_gives_ids_that_detokenize_to_the_words() -> None:
    task = ReorderTask()
    ids = task.generate(20, seed=5)
    assert ids == task.generate(20, seed=5)
    for (source_ids, target_ids), (source, target) in zip(ids, task.pairs(20, seed=5), strict=True):
        assert [task.source_vocab[i] for i in source_ids] == source
        assert target_ids[-1] == task.EOS and task.detokenize(target_ids) == " ".join(target)


def test_the_batched_loss_equals_the_per_sentence_hmt_loss() -> None:
    # Padded sentences of different lengths, including a one-token target and a source shorter than the lag.
    torch.manual_seed(0)
    B, T, K, lower = 5, 9, 4, 2
    target_lengths, source_lengths = [9, 3, 1, 6, 8], [10, 4, 2, 12, 5]
    selection = torch.randn(B, T, K, requires_grad=True)
    emission = torch.log_softmax(torch.randn(B, T, K, 7), dim=-1)[..., 0].detach().requires_grad_()
    reads = torch.stack([read_table(T, K, s, lower, 1) for s in source_lengths])
    batched = batched_hmt_loss(selection, emission, reads, torch.tensor(target_lengths), 0.7, 0.3)
    single = [
        hmt_losses(selection[b, :n], emission[b, :n], read_table(n, K, source_lengths[b], lower, 1), 0.7, 0.3).total
        for b, n in enumerate(target_lengths)
    ]
    reference = torch.stack(single).mean()
    assert torch.allclose(batched, reference, atol=1e-5)
    for a, b in zip(
        torch.autograd.grad(batched, [selection, emission]),
        torch.autograd.grad(reference, [selection, emission]),
        strict=True,
    ):
        assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("mode", ["hmt", "waitk"])
def test_training_lowers_the_loss(tmp_path: Path, mode: str) -> None:
    options = replace(TINY, mode=mode, steps=25, lr=3e-3)
    _, result = train(tmp_path, options, progress=False)
    first, last = sum(result.losses[:5]) / 5, sum(result.losses[-5:]) / 5
    assert last < first


def test_a_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    interrupted = tmp_path / "interrupted"
    train(interrupted, replace(TINY, steps=4), progress=False)  # as if killed after the checkpoint at step 4
    resumed, result = train(interrupted, replace(TINY, steps=6), progress=False)
    assert (result.start_step, result.final_step) == (4, 6)
    straight, _ = train(tmp_path / "straight", replace(TINY, steps=6), progress=False)
    for a, b in zip(resumed.state_dict().values(), straight.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    with pytest.raises(UserError, match="d_model"):
        train(interrupted, replace(TINY, steps=8, d_model=16, heads=2), progress=False)


@pytest.mark.parametrize("mode", ["hmt", "waitk"])
def test_simultaneous_decoding_reads_monotonically(tmp_path: Path, mode: str) -> None:
    options = replace(TINY, mode=mode, steps=3)
    model, _ = train(tmp_path, options, progress=False)
    task = options.task()
    for source, _ in task.pairs(5, seed=11):
        result = decode(model, options, task, source)
        assert result.delays == sorted(result.delays)
        assert all(1 <= d <= len(source) for d in result.delays)
        if mode == "waitk":
            assert all(d >= min(options.k + i, len(source)) for i, d in enumerate(result.delays))
    scores = evaluate(model, options, progress=False)
    assert len(scores["hypotheses"]) == options.test_pairs and 0.0 <= scores["bleu"] <= 100.0


def test_bad_options_are_user_errors() -> None:
    with pytest.raises(UserError, match="multiple"):
        HMTTaskOptions(d_model=30, heads=4)
    with pytest.raises(UserError, match="mode"):
        HMTTaskOptions(mode="other")  # type: ignore[arg-type]


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from simulagent.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["train", "hmt", "--help"])
    assert exc.value.code == 0 and "--latency-weight" in capsys.readouterr().out
    argv = ["train", "hmt", "--out", str(tmp_path), "--mode", "waitk", "--steps", "2", "--d-model", "32"]
    assert main([*argv, "--layers", "1", "--test-pairs", "3", "--no-progress"]) == 0
    assert "test BLEU" in capsys.readouterr().out and (tmp_path / "results.json").is_file()


def _parallel_files(tmp_path: Path, lines: int = 60) -> tuple[Path, Path]:
    """A small German-English corpus: article + noun + verb sentences, word for word but for the verb's place."""
    import random

    nouns = [("hund", "dog"), ("katze", "cat"), ("mann", "man"), ("frau", "woman"), ("kind", "child")]
    verbs = [("schläft", "sleeps"), ("läuft", "runs"), ("isst", "eats"), ("singt", "sings")]
    rng = random.Random(0)
    source, target = [], []
    for _ in range(lines):
        (dn, en), (dv, ev) = rng.choice(nouns), rng.choice(verbs)
        source.append(f"Der {dn.capitalize()} {dv} heute.")
        target.append(f"Today the {en} {ev}.")
    de, en_file = tmp_path / "train.de", tmp_path / "train.en"
    de.write_text("\n".join(source) + "\n", encoding="utf-8")
    en_file.write_text("\n".join(target) + "\n", encoding="utf-8")
    return de, en_file


def test_word_keys_and_the_parallel_vocabulary(tmp_path: Path) -> None:
    from simulagent.policies.training.parallel import ParallelTask, load_parallel, word_key

    assert word_key("Haus,") == "haus" and word_key('"Ja!"') == "ja" and word_key("...") == "..."
    de, en = _parallel_files(tmp_path)
    data = load_parallel(de, en, skip_lines=5, test_lines=5, max_words=10)
    assert len(data.test) == 5 and len(data.train) == 50
    task = ParallelTask.build(data.train, min_count=2)
    assert task.encode_source(["Hund", "Zebra"])[1] == task.UNK and task.encode_source(["Hund"]) != [task.UNK]
    assert task.encode_target(["Today"])[-1] == task.EOS
    task.save(tmp_path / "vocab.json")
    assert ParallelTask.load(tmp_path / "vocab.json").target_vocab == task.target_vocab
    (tmp_path / "short.en").write_text("one line\n", encoding="utf-8")
    with pytest.raises(UserError, match="must be aligned"):
        load_parallel(de, tmp_path / "short.en", 0, 5, 10)
    with pytest.raises(UserError, match="not found"):
        load_parallel(tmp_path / "missing.de", en, 0, 5, 10)
    with pytest.raises(UserError, match="training pairs"):
        load_parallel(de, en, skip_lines=55, test_lines=5, max_words=10)
    with pytest.raises(UserError, match="both --data-source and --data-target"):
        HMTTaskOptions(data_source=str(de))


def test_hmt_on_parallel_text_gives_a_word_policy_for_the_llm_translator(tmp_path: Path) -> None:
    from simulagent.models.llm.simt import LLMTranslationSystem
    from simulagent.policies.hmt_words import HMTWordPolicy
    from simulagent.signals import WordPolicy
    from simulagent.types import TextSegment

    de, en = _parallel_files(tmp_path)
    options = replace(TINY, steps=4, data_source=str(de), data_target=str(en), test_pairs=3, max_words=10)
    model, _ = train(tmp_path / "run", options, progress=False)
    assert (tmp_path / "run" / "vocab.json").is_file()
    scores = evaluate(model, options, progress=False)
    assert len(scores["hypotheses"]) == 3 and scores["references"][0] == scores["references"][0].lower()

    policy = HMTWordPolicy.load(tmp_path / "run", threshold=0.5)
    assert isinstance(policy, WordPolicy)
    probabilities = policy.selection_probabilities(["Der", "Hund"], ["Today"])
    assert len(probabilities) == options.states and all(0.0 <= p <= 1.0 for p in probabilities)
    state = policy.new_state()
    assert isinstance(policy.decide_words(state, [], False, []), ReadAction)
    assert isinstance(policy.decide_words(state, ["Der"], True, []), WriteAction)

    table = {"der": "the", "hund": "dog", "schläft": "sleeps", "heute.": "today."}

    class WordForWord:
        def stream(self, messages: Any, options: Any) -> Any:
            source = messages[-1].content.split()
            done = len(options.assistant_prefix.split())
            for word in source[done:]:
                yield " " + table[word.lower()]

    system = LLMTranslationSystem(WordForWord(), policy, "de", "en")
    system_state = system.new_state()
    out: list[str] = []
    words = ["Der", "Hund", "schläft", "heute."]
    for i, word in enumerate(words):
        system.push(TextSegment(word, finished=i == len(words) - 1), system_state)
        while not (segment := system.pop(system_state)).is_empty:
            out.append(segment.content)
    while not (segment := system.pop(system_state)).finished:
        out += [segment.content] if segment.content else []
    assert out == ["the", "dog", "sleeps", "today."]
    assert system_state.policy_state.model_calls >= 1  # the HMT model decided, not a fixed lag

    with pytest.raises(UserError, match="no HMT model"):
        HMTWordPolicy.load(tmp_path / "nothing")
    from simulagent.presets import make_agent_simt

    with pytest.raises(UserError, match="needs checkpoint"):
        make_agent_simt(policy="hmt")
    with pytest.raises(UserError, match="unknown Agent-SiMT policy"):
        make_agent_simt(policy="sometimes")
    with pytest.raises(UserError, match="threshold"):
        HMTWordPolicy.load(tmp_path / "run", threshold=1.5)
