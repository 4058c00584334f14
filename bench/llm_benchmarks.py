"""Local LLM backends with the bundled Qwen2.5-0.5B GGUF: load time, first-token latency, decoding speed, prefill
time per 100 prompt tokens, the effect of prompt-prefix reuse, and peak memory.

Each backend runs in a fresh subprocess (so its peak RSS is its own and one backend's caches never help another),
`--repeats` times; the figures are medians with their [min-max] range.

- load: building the backend (llama.cpp maps the GGUF; transformers de-quantises it to float32).
- first token: a short chat (about 30 prompt tokens), from the call to the first piece.
- decoding: generated tokens (the model's tokenizer) per second after the first piece, greedy, 128 tokens at most.
- prefill per 100 tokens: first-token latency of a fresh ~420-token prompt minus that of a fresh ~60-token one,
  per 100 extra prompt tokens (what a RAG prompt costs before the answer starts).
- prefix reuse: the ~420-token prompt asked again with a different last question: first-token latency.

Usage:
    HF_HUB_OFFLINE=1 python bench/llm_benchmarks.py --backends llama-cpp transformers --repeats 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

SHORT = "What is the capital of France? Answer in one word."
STORY = "Write a short story about a lighthouse keeper and a storm."
# Reference material like a RAG prompt's: sentences that differ so no tokenizer trick shortens them.
FACTS = " ".join(
    f"Fact {i}: the station at kilometre {i * 7} of the northern line opened in {1900 + i} and serves {i * 130} "
    "passengers a day."
    for i in range(1, 13)
)


def _first_token_s(model: Any, messages: list[Any], options: Any) -> float:
    start = time.perf_counter()
    stream = model.stream(messages, options)
    try:
        next(stream)
    finally:
        stream.close()
    return time.perf_counter() - start


def measure(backend: str) -> dict[str, float]:
    """One backend, one process: every figure of the module docstring."""
    from simulagent.config import load_config
    from simulagent.models.llm.factory import make_chat_model
    from simulagent.signals import ChatMessage, GenerationOptions

    start = time.perf_counter()
    model = make_chat_model(load_config().llm, backend)
    load_s = time.perf_counter() - start
    one_token = GenerationOptions(max_tokens=1)

    def chat(text: str) -> list[Any]:
        return [ChatMessage("system", "You are a helpful assistant. Answer briefly."), ChatMessage("user", text)]

    _first_token_s(model, chat("Hello"), one_token)  # warm-up: page the weights in
    first_s = _first_token_s(model, chat(SHORT), one_token)

    pieces: list[str] = []
    first_piece_s = 0.0
    for piece in model.stream(chat(STORY), GenerationOptions(max_tokens=128)):
        if not pieces:
            first_piece_s = time.perf_counter()
        pieces.append(piece)
    ended = time.perf_counter()
    tokens = model.count_tokens("".join(pieces))
    decode_tps = (tokens - 1) / max(ended - first_piece_s, 1e-9)

    short_prompt = chat("Fact 0: the line has one station. How many stations are there?")
    long_prompt = chat(FACTS + " Which station opened in 1910?")
    short_tokens = sum(model.count_tokens(m.content) for m in short_prompt)
    long_tokens = sum(model.count_tokens(m.content) for m in long_prompt)
    _first_token_s(model, chat("A different warm-up question, so no prefix is shared."), one_token)
    short_s = _first_token_s(model, short_prompt, one_token)
    _first_token_s(model, chat("Another unrelated question to clear the shared prefix."), one_token)
    long_s = _first_token_s(model, long_prompt, one_token)
    reuse_s = _first_token_s(model, chat(FACTS + " Which station serves 1300 passengers?"), one_token)
    prefill_per_100 = 100.0 * (long_s - short_s) / max(long_tokens - short_tokens, 1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "load_s": load_s,
        "first_token_s": first_s,
        "decode_tokens_per_s": decode_tps,
        "prefill_s_per_100_tokens": prefill_per_100,
        "long_prompt_tokens": float(long_tokens),
        "long_prompt_first_token_s": long_s,
        "reused_prefix_first_token_s": reuse_s,
        "peak_rss_mb": peak_mb,
    }


def _summary(values: list[float], unit: str, digits: int) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f}{unit}"
    return f"{med:.{digits}f}{unit} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["llama-cpp", "transformers"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    rows = []
    for backend in args.backends:
        runs: list[dict[str, float]] = []
        for repeat in range(args.repeats):
            print(f"{backend}: run {repeat + 1}/{args.repeats}", file=sys.stderr, flush=True)
            done = subprocess.run(
                [sys.executable, __file__, "--child", backend], capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                sys.exit(f"{backend} failed:\n{done.stderr[-2000:]}")
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))

        def col(key: str, runs: list[dict[str, float]] = runs) -> list[float]:
            return [r[key] for r in runs]

        rows.append(
            f"| {backend} | {_summary(col('load_s'), ' s', 1)} | {_summary(col('first_token_s'), ' s', 2)} | "
            f"{_summary(col('decode_tokens_per_s'), '', 1)} | {_summary(col('prefill_s_per_100_tokens'), ' s', 2)} | "
            f"{_summary(col('long_prompt_first_token_s'), ' s', 2)} | "
            f"{_summary(col('reused_prefix_first_token_s'), ' s', 2)} | {_summary(col('peak_rss_mb'), ' MB', 0)} |"
        )
        print(json.dumps({backend: runs}), file=sys.stderr)
    print(
        "| backend | load | first token (short chat) | decoding tokens/s | prefill per 100 tokens "
        "| first token, 420-token prompt | same, prefix reused | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
