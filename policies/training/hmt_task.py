"""`simulagent train hmt`: a small simultaneous-translation Transformer trained with HMT, or the same model trained
for wait-k, on the synthetic reordering task of `simulagent.policies.training.synthetic` or on real line-aligned
parallel text (`--data-source` and `--data-target`; `simulagent.policies.training.parallel`).

The model (`SimulTransformer`): a source encoder with causal self-attention (so the encoding of a prefix does not
change when more source arrives), a target decoder whose cross-attention sees only the first z source tokens, an
output layer and, for HMT, a selection head giving c_{i,k}. HMT trains every state k of every target token i at
once: one decoder pass over the batch repeated K times, copy k with its own source visibility
z_{i,k} = min(L + i + k, |x|); `batched_hmt_loss` gives the marginal likelihood over state paths, the latency loss
and the per-state cross-entropy (`simulagent.policies.hmt.hmt_losses`, computed for the whole batch at once).
wait-k trains the same model with the single visibility min(k + i, |x|).

Decoding is greedy and simultaneous: `HMTPolicy` (or `WaitK`) decides READ or WRITE from the model's selection
probabilities (or the counts); each written word records how many source tokens had been read (its delay).

Usage:
    simulagent train hmt --out runs/hmt --latency-weight 1.0
    simulagent train hmt --out runs/waitk3 --mode waitk --k 3
    simulagent train hmt --out runs/hmt-deen --data-source dev.de --data-target dev.en --skip-lines 50
    (run the same command again to resume after an interruption; results.json holds the test decodes)
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from simulagent.errors import UserError
from simulagent.policies.training.parallel import ParallelTask, load_parallel, word_key
from simulagent.policies.training.synthetic import ReorderTask, ReorderTaskOptions

if TYPE_CHECKING:
    import torch

__all__ = [
    "DecodeResult",
    "HMTTaskOptions",
    "SimulTransformer",
    "batched_hmt_loss",
    "decode",
    "register",
    "run",
    "selection_probabilities",
    "train",
]

CHECKPOINT_NAME = "checkpoint.pt"
RESULTS_NAME = "results.json"
VOCAB_NAME = "vocab.json"
_MODEL_FIELDS = (
    "mode",
    "k",
    "states",
    "lower",
    "d_model",
    "heads",
    "layers",
    "seed",
    "num_words",
    "max_length",
    "data_source",
    "data_target",
    "skip_lines",
    "min_count",
)


@dataclass(frozen=True)
class HMTTaskOptions:
    """Attributes:
    mode: "hmt" (hidden states trained by marginal likelihood) or "waitk" (a fixed lag k).
    k: wait-k's lag, in source tokens.
    states: HMT's K; lower: HMT's L (the lag of state 0); the stride S is 1.
    latency_weight, state_weight: HMT's loss weights (latency = expected extra reads per token).
    d_model, heads, layers: the Transformer's size (the same for both modes).
    steps, batch_size, lr: training; checkpoint_every: steps between checkpoints.
    train_pairs, test_pairs, seed: the data (test pairs use another seed than training pairs).
    num_words, max_length, reorder_prob, max_span: the synthetic task (see ReorderTaskOptions).
    data_source, data_target: line-aligned parallel text files; when given, the model trains on them instead of
        the synthetic task: lines [0, skip_lines) are left out, the next test_pairs lines test, the rest train
        (pairs with a side over max_words words dropped; words seen fewer than min_count times are unknown).
    """

    mode: Literal["hmt", "waitk"] = "hmt"
    k: int = 3
    states: int = 6
    lower: int = 1
    latency_weight: float = 1.0
    state_weight: float = 1.0
    d_model: int = 64
    heads: int = 4
    layers: int = 2
    steps: int = 1500
    batch_size: int = 32
    lr: float = 2e-3
    checkpoint_every: int = 250
    train_pairs: int = 20_000
    test_pairs: int = 200
    seed: int = 0
    num_words: int = 24
    max_length: int = 14
    reorder_prob: float = 0.25
    max_span: int = 4
    data_source: str = ""
    data_target: str = ""
    skip_lines: int = 0
    max_words: int = 80
    min_count: int = 2

    def __post_init__(self) -> None:
        if bool(self.data_source) != bool(self.data_target):
            raise UserError("give both --data-source and --data-target (line-aligned files), or neither")
        if self.skip_lines < 0 or self.max_words < 1 or self.min_count < 1:
            raise UserError("--skip-lines must be >= 0, --max-words and --min-count >= 1")
        if self.mode not in ("hmt", "waitk"):
            raise UserError(f"--mode must be hmt or waitk; got {self.mode!r}")
        if self.k < 1 or self.states < 1 or self.lower < 1:
            raise UserError("--k, --states and --lower must be >= 1")
        if self.d_model % self.heads:
            raise UserError(f"--d-model ({self.d_model}) must be a multiple of --heads ({self.heads})")
        if min(self.steps, self.batch_size, self.train_pairs, self.test_pairs, self.checkpoint_every) < 1:
            raise UserError("--steps, --batch-size, --train-pairs, --test-pairs and --checkpoint-every must be >= 1")

    @property
    def parallel(self) -> bool:
        return bool(self.data_source)

    def max_positions(self) -> int:
        return 256 if self.parallel else 128

    def data(self) -> tuple[Any, list[tuple[list[str], list[str]]], list[tuple[list[str], list[str]]]]:
        """(task, training pairs, test pairs); the same options give the same pairs and ids on every machine."""
        if self.parallel:
            corpus = load_parallel(
                Path(self.data_source), Path(self.data_target), self.skip_lines, self.test_pairs, self.max_words
            )
            return ParallelTask.build(corpus.train, self.min_count), corpus.train, corpus.test
        task = self.task()
        return task, task.pairs(self.train_pairs, self.seed), task.pairs(self.test_pairs, self.seed + 7_919)

    def task(self) -> ReorderTask:
        return ReorderTask(
            ReorderTaskOptions(
                num_words=self.num_words,
                max_length=self.max_length,
                reorder_prob=self.reorder_prob,
                max_span=self.max_span,
            )
        )


def _model_class() -> type[torch.nn.Module]:
    """Built inside a function so that importing this module imports no torch."""
    import torch
    from torch import nn

    class _SimulTransformer(nn.Module):
        """Source tokens (B, S) and target inputs (B, T) -> decoder states (B, T, d) for a given source visibility."""

        def __init__(self, source_vocab: int, target_vocab: int, options: HMTTaskOptions, max_positions: int = 128):
            super().__init__()
            d = options.d_model
            self.heads = options.heads
            self.source_embed = nn.Embedding(source_vocab, d)
            self.target_embed = nn.Embedding(target_vocab, d)
            self.positions = nn.Embedding(max_positions, d)
            encoder_layer = nn.TransformerEncoderLayer(d, options.heads, 4 * d, dropout=0.1, batch_first=True)
            decoder_layer = nn.TransformerDecoderLayer(d, options.heads, 4 * d, dropout=0.1, batch_first=True)
            self.encoder = nn.TransformerEncoder(encoder_layer, options.layers, enable_nested_tensor=False)
            self.decoder = nn.TransformerDecoder(decoder_layer, options.layers)
            self.output = nn.Linear(d, target_vocab)
            self.select = nn.Linear(d, 1)

        def _embed(self, table: nn.Embedding, tokens: torch.Tensor) -> torch.Tensor:
            positions = torch.arange(tokens.shape[1], device=tokens.device)
            return table(tokens) + self.positions(positions)[None]

        def encode(self, source: torch.Tensor) -> torch.Tensor:
            """(B, S) -> (B, S, d), each position seeing only itself and earlier ones (prefix-consistent)."""
            causal = torch.triu(torch.ones(source.shape[1], source.shape[1], dtype=torch.bool), diagonal=1)
            return self.encoder(self._embed(self.source_embed, source), mask=causal)

        def decode(self, memory: torch.Tensor, target_in: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
            """Decoder states (B, T, d); target position i attends to source positions < visible[b, i] (>= 1)."""
            T = target_in.shape[1]
            S = memory.shape[1]
            hidden_mask = torch.arange(S)[None, None, :] >= visible[:, :, None]  # (B, T, S), True = hidden
            memory_mask = hidden_mask.repeat_interleave(self.heads, dim=0)
            causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
            return self.decoder(
                self._embed(self.target_embed, target_in), memory, tgt_mask=causal, memory_mask=memory_mask
            )

    return _SimulTransformer


def SimulTransformer(source_vocab: int, target_vocab: int, options: HMTTaskOptions) -> torch.nn.Module:  # noqa: N802
    """The model (a factory, so the class and torch load only when a model is built)."""
    return _model_class()(source_vocab, target_vocab, options, options.max_positions())


def _batch(
    task: Any, pairs: list[tuple[list[str], list[str]]]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[int], list[int]]:
    """Padded source (B, S), decoder input (B, T), gold output (B, T), source and target lengths."""
    import torch

    sources = [task.encode_source(s) for s, _ in pairs]
    targets = [task.encode_target(t) for _, t in pairs]
    S, T = max(map(len, sources)), max(map(len, targets))
    source = torch.full((len(pairs), S), task.PAD, dtype=torch.long)
    gold = torch.full((len(pairs), T), task.PAD, dtype=torch.long)
    for b, (s, t) in enumerate(zip(sources, targets, strict=True)):
        source[b, : len(s)] = torch.tensor(s)
        gold[b, : len(t)] = torch.tensor(t)
    target_in = torch.cat([torch.full((len(pairs), 1), task.BOS, dtype=torch.long), gold[:, :-1]], dim=1)
    return source, target_in, gold, [len(s) for s in sources], [len(t) for t in targets]


def batched_hmt_loss(
    selection_logits: torch.Tensor,
    emission_logprobs: torch.Tensor,
    reads: torch.Tensor,
    lengths: torch.Tensor,
    latency_weight: float = 1.0,
    state_weight: float = 1.0,
) -> torch.Tensor:
    """The mean over a padded batch of `hmt_losses(...).total`, computed for all sentences at once.

    `hmt_losses` runs its forward-backward recursions per sentence; a training step calls it for every pair of the
    batch, and those few-element Python-level operations (and their autograd graph) dominated the step time. Here
    the same recursions run once over the batch; a test checks that the result equals the per-sentence losses.

    Args:
        selection_logits: (B, T, K) selection logits c_{i,k} (the last state's is ignored: forced to 1).
        emission_logprobs: (B, T, K) log p(y_i | state k); values at padded positions are ignored.
        reads: (B, T, K) read tables z_{i,k} (`read_table` of each sentence over the padded length T, so that they
            stay monotone at padded positions and every recursion there stays finite).
        lengths: (B,) target lengths (>= 1).

    Returns:
        A scalar: the mean over sentences of NLL/T + latency_weight · latency + state_weight · per-state CE.
    """
    import torch
    import torch.nn.functional as F

    B, T, K = emission_logprobs.shape
    valid = (torch.arange(T)[None, :] < lengths[:, None]).to(emission_logprobs.dtype)  # (B, T)
    emissions = emission_logprobs * valid[:, :, None]  # padded positions emit log 1, leaving alpha finite
    log_c = F.logsigmoid(selection_logits)
    log_c = torch.cat([log_c[..., :-1], torch.zeros_like(log_c[..., -1:])], dim=-1)
    log_not_c = F.logsigmoid(-selection_logits)
    prefix = torch.cat([torch.zeros_like(log_not_c[..., :1]), torch.cumsum(log_not_c[..., :-1], dim=-1)], dim=-1)
    initial = log_c[:, 0] + prefix[:, 0]  # (B, K)
    ks = torch.arange(K)
    ok = reads[:, 1:, None, :] >= reads[:, :-1, :, None]  # (B, T-1, j, k)
    start = torch.where(ok, ks, K).min(dim=-1).values  # (B, T-1, j)
    prefix_next = prefix[:, 1:]
    value = (
        log_c[:, 1:, None, :]
        + prefix_next[:, :, None, :]
        - torch.gather(prefix_next, 2, start.clamp(max=K - 1))[..., None]
    )
    trans = torch.where(ks[None, None, None, :] >= start[..., None], value, torch.full_like(value, float("-inf")))
    alphas = [initial + emissions[:, 0]]
    for i in range(1, T):
        alphas.append(torch.logsumexp(alphas[-1][:, :, None] + trans[:, i - 1], dim=1) + emissions[:, i])
    alpha = torch.stack(alphas, dim=1)  # (B, T, K)
    last = (lengths - 1)[:, None, None].expand(B, 1, K)
    log_z = torch.logsumexp(torch.gather(alpha, 1, last).squeeze(1), dim=-1)  # (B,)
    # beta is 0 at each sentence's last token and at the padding after it.
    betas = [torch.zeros_like(alpha[:, -1])]
    for i in range(T - 1, 0, -1):
        step = torch.logsumexp(trans[:, i - 1] + (emissions[:, i] + betas[-1])[:, None, :], dim=2)
        betas.append(torch.where((i - 1 >= lengths - 1)[:, None], torch.zeros_like(step), step))
    beta = torch.stack(betas[::-1], dim=1)
    posterior = torch.exp(alpha + beta - log_z[:, None, None]) * valid[:, :, None]
    n = lengths.to(emission_logprobs.dtype)
    nll = -log_z / n
    extra = (reads - reads[..., :1]).to(posterior.dtype)
    latency = (posterior * extra).sum(dim=(1, 2)) / n
    state_ce = -emissions.sum(dim=(1, 2)) / (n * K)
    return (nll + latency_weight * latency + state_weight * state_ce).mean()


def _loss(model: Any, options: HMTTaskOptions, task: Any, pairs: list[tuple[list[str], list[str]]]) -> Any:
    import torch
    import torch.nn.functional as F

    from simulagent.policies.hmt import read_table

    source, target_in, gold, source_lengths, target_lengths = _batch(task, pairs)
    B, T = gold.shape
    memory = model.encode(source)
    i = torch.arange(T)[None, :]
    lengths = torch.tensor(source_lengths)[:, None]
    if options.mode == "waitk":
        visible = torch.minimum(options.k + i, lengths).expand(B, T)
        logits = model.output(model.decode(memory, target_in, visible))
        return F.cross_entropy(logits.reshape(B * T, -1), gold.reshape(-1), ignore_index=task.PAD)
    # All K states in one decoder pass: the batch is repeated K times (row k·B + b is sentence b under state k), each
    # copy with its own cross-attention mask z_{i,k}.
    K = options.states
    reads = torch.stack([read_table(T, K, n, options.lower, 1) for n in source_lengths])  # (B, T, K)
    visible = reads.permute(2, 0, 1).reshape(K * B, T)
    hidden = model.decode(memory.repeat(K, 1, 1), target_in.repeat(K, 1), visible)  # (K·B, T, d)
    log_probs = F.log_softmax(model.output(hidden), dim=-1)
    emission = log_probs.gather(-1, gold.repeat(K, 1)[:, :, None]).squeeze(-1).reshape(K, B, T).permute(1, 2, 0)
    selection = model.select(hidden).squeeze(-1).reshape(K, B, T).permute(1, 2, 0)  # (B, T, K)
    return batched_hmt_loss(
        selection, emission, reads, torch.tensor(target_lengths), options.latency_weight, options.state_weight
    )


@dataclass(frozen=True)
class TrainResult:
    start_step: int
    final_step: int
    seconds: float
    losses: list[float]


def train(out_dir: str | Path, options: HMTTaskOptions, progress: bool = True) -> tuple[Any, TrainResult]:
    """Train (or resume from `out_dir/checkpoint.pt`) up to `options.steps`; returns the model and a summary.

    Each step's batch is drawn with a generator seeded by the step number, so a resumed run sees the same batches as
    an uninterrupted one.
    """
    import torch
    from tqdm import tqdm

    from simulagent.policies.training.checkpoint import load_checkpoint, save_checkpoint

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(options.seed)
    task, pairs, _ = options.data()
    if isinstance(task, ParallelTask):
        task.save(out / VOCAB_NAME)  # the word policy loads the model without the training files
    model = SimulTransformer(len(task.source_vocab), len(task.target_vocab), options)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.lr)
    checkpoint = out / CHECKPOINT_NAME
    start = 0
    if checkpoint.is_file():
        start = int(load_checkpoint(checkpoint, model, optimizer, options, _MODEL_FIELDS)["step"])
    began = time.perf_counter()
    losses: list[float] = []
    model.train()
    bar = tqdm(range(start, options.steps), initial=start, total=options.steps, disable=not progress, desc="train")
    for step in bar:
        batch = random.Random(options.seed * 1_000_003 + step).sample(pairs, min(options.batch_size, len(pairs)))
        loss = _loss(model, options, task, batch)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
        if (step + 1) % options.checkpoint_every == 0 or step + 1 == options.steps:
            save_checkpoint(checkpoint, model, optimizer, step + 1, options)
    model.eval()
    return model, TrainResult(start, max(start, options.steps), time.perf_counter() - began, losses)


def selection_probabilities(model: Any, memory: Any, target_in: Any, read: int, rule: Any) -> list[float]:
    """HMT's c_{i,k} for the token after `target_in` ((1, i + 1) ids, the begin token first) under each state k of
    `rule` (an `HMTPolicy`), in one decoder pass with a batch row per state, state k seeing min(z_{i,k}, read) of
    the source. `memory`: the causal encoding of at least the `read` source tokens, (1, S, d). Call under no_grad."""
    import torch

    i = target_in.shape[1] - 1
    K = rule.num_states
    seen = [max(1, min(rule.reads(i, k), read)) for k in range(K)]
    visible = torch.tensor(seen)[:, None].expand(K, target_in.shape[1])
    hidden = model.decode(memory[:, : max(1, read)].expand(K, -1, -1), target_in.expand(K, -1), visible)
    return [float(p) for p in torch.sigmoid(model.select(hidden[:, -1]).squeeze(-1))]


@dataclass(frozen=True)
class DecodeResult:
    """One simultaneous decode: the target words and, for each, how many source tokens had been read."""

    words: list[str]
    delays: list[int]
    source_length: int


def decode(model: Any, options: HMTTaskOptions, task: Any, source_words: list[str]) -> DecodeResult:
    """Greedy simultaneous decoding of one sentence under HMTPolicy (mode hmt) or WaitK (mode waitk)."""
    import torch

    from simulagent.policies.hmt import HMTPolicy
    from simulagent.policies.wait_k import WaitK
    from simulagent.types import WriteAction

    source = torch.tensor([task.encode_source(source_words)])
    S = source.shape[1]
    hmt = HMTPolicy(num_states=options.states, lower=options.lower, stride=1)
    waitk = WaitK(options.k)
    state = hmt.new_state()
    read, written = 0, [task.BOS]
    delays: list[int] = []
    limit = min(2 * S + 5, options.max_positions() - 1)
    with torch.no_grad():
        memory = model.encode(source)  # causal: the first `read` positions equal the prefix's own encoding
        while len(delays) < limit:
            finished = read >= S
            i = len(written) - 1
            target_in = torch.tensor([written])
            if options.mode == "hmt":
                if read == 0 and not finished:
                    read += 1
                    continue
                probs = selection_probabilities(model, memory, target_in, read, hmt)
                action = hmt.decide(state, probs, read, finished)
                chosen = state.chosen_states[-1] if isinstance(action, WriteAction) else 0
                see = max(1, min(hmt.reads(i, chosen), read))
            else:
                action = waitk.decide(None, read, finished, i)
                see = max(1, min(options.k + i, read))
            if not isinstance(action, WriteAction):
                read += 1
                continue
            visible = torch.full((1, len(written)), see)
            hidden = model.decode(memory[:, : max(1, read)], target_in, visible)
            token = int(model.output(hidden[0, -1]).argmax())
            if token == task.EOS:
                break
            written.append(token)
            delays.append(read)
    return DecodeResult(task.decode_target(written[1:]), delays, S)


def evaluate(model: Any, options: HMTTaskOptions, progress: bool = True) -> dict[str, Any]:
    """Decode the test pairs; returns hypotheses, references, delays and source lengths (for eval's metrics) and
    BLEU (sacrebleu) with the mean delay per word."""
    import sacrebleu
    from tqdm import tqdm

    task, _, tests = options.data()
    results = [decode(model, options, task, s) for s, _ in tqdm(tests, disable=not progress, desc="decode")]
    hypotheses = [" ".join(r.words) for r in results]
    # On real text the model writes vocabulary keys (lower case, no punctuation): score against references in keys.
    references = [" ".join(word_key(w) if options.parallel else w for w in t) for _, t in tests]
    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    delays = [d for r in results for d in r.delays]
    return {
        "options": asdict(options),
        "bleu": bleu,
        "bleu_on": "vocabulary keys (lower case, no punctuation)" if options.parallel else "target words",
        "mean_delay": sum(delays) / max(1, len(delays)),
        "hypotheses": hypotheses,
        "references": references,
        "delays": [r.delays for r in results],
        "source_lengths": [r.source_length for r in results],
    }


def register(parser: argparse.ArgumentParser) -> None:
    defaults = HMTTaskOptions()
    parser.add_argument("--out", required=True, type=Path, help="folder for the checkpoint and results.json")
    parser.add_argument("--mode", choices=["hmt", "waitk"], default=defaults.mode)
    parser.add_argument("--k", type=int, default=defaults.k, help="wait-k's lag")
    parser.add_argument("--states", type=int, default=defaults.states, help="HMT's K")
    parser.add_argument("--lower", type=int, default=defaults.lower, help="HMT's L")
    parser.add_argument("--latency-weight", type=float, default=defaults.latency_weight)
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--d-model", type=int, default=defaults.d_model)
    parser.add_argument("--layers", type=int, default=defaults.layers)
    parser.add_argument("--test-pairs", type=int, default=defaults.test_pairs)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--data-source", default="", help="source side of line-aligned parallel text")
    parser.add_argument("--data-target", default="", help="target side, line i translating source line i")
    parser.add_argument(
        "--skip-lines", type=int, default=defaults.skip_lines, help="leave out the first N lines (an evaluation set)"
    )
    parser.add_argument("--max-words", type=int, default=defaults.max_words, help="drop longer training pairs")
    parser.add_argument("--min-count", type=int, default=defaults.min_count, help="rarer words become <unk>")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> HMTTaskOptions:
    return HMTTaskOptions(
        mode=args.mode,
        k=args.k,
        states=args.states,
        lower=args.lower,
        latency_weight=args.latency_weight,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        d_model=args.d_model,
        layers=args.layers,
        test_pairs=args.test_pairs,
        seed=args.seed,
        data_source=str(args.data_source or ""),
        data_target=str(args.data_target or ""),
        skip_lines=args.skip_lines,
        max_words=args.max_words,
        min_count=args.min_count,
    )


def run(args: argparse.Namespace, config: Any) -> int:
    options = options_from_args(args)
    model, result = train(args.out, options, progress=not args.no_progress)
    if result.start_step:
        print(f"resumed at step {result.start_step}")
    scores = evaluate(model, options, progress=not args.no_progress)
    path = Path(args.out) / RESULTS_NAME
    path.write_text(json.dumps(scores), encoding="utf-8")
    print(
        f"{options.mode}{'' if options.mode == 'hmt' else f' k={options.k}'}: trained to step {result.final_step} "
        f"in {result.seconds:.0f} s; test BLEU {scores['bleu']:.2f}, mean delay {scores['mean_delay']:.2f} tokens; "
        f"decodes in {path}"
    )
    return 0
