"""Routing benchmark: top-1 accuracy and latency of the router's tiers 1-2 on a hand-written zh+en set
(bench/data/routing_set.tsv: at least 10 utterances per skill for all 38 skills, none copied from the skills'
examples, plus requests that no skill should take, labelled "none"). Tier 1 includes the requests that no skill's
trigger takes and that go straight to DeepQA (the "none" route is decided in tier 1 when tier 2 declines).

Usage:
    python bench/agent_routing.py [--embedder hybrid|bundled:minilm|hashing] [--threshold 0.5] [--fit]

With --fit, per-route thresholds are fitted on even lines and the odd lines are scored (held-out).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from simulagent.agent.router import Router
from simulagent.rag.embedders import make_embedder
from simulagent.verticals.registry import load_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", default="hybrid")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data" / "routing_set.tsv")
    args = parser.parse_args()
    rows = [line.split("\t") for line in args.data.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    registry = load_registry(plugins=False)
    examples = {e for v in registry.skills.values() for e in (*v.examples_zh, *v.examples_en)}
    assert not examples & {u for _, u in rows}, "the routing set must not reuse the skills' examples"
    embedder = make_embedder(args.embedder)
    router = Router(list(registry.skills.values()), embed=embedder.embed, default_threshold=args.threshold)
    router.route("warm up")
    test = rows
    if args.fit:
        router.fit_thresholds([(u, label) for label, u in rows[0::2]])
        test = rows[1::2]
    correct = 0
    tiers: dict[int, int] = {}
    times = []
    errors = []
    for label, utterance in test:
        start = time.perf_counter()
        route = router.route(utterance)
        times.append((time.perf_counter() - start) * 1000)
        predicted = route.target if route.kind == "vertical" else "none"
        tiers[route.tier] = tiers.get(route.tier, 0) + 1
        if predicted == label:
            correct += 1
        else:
            errors.append(f"{label} -> {predicted}: {utterance}")
    p95 = statistics.quantiles(times, n=20)[18]
    print(
        f"{args.embedder} threshold {args.threshold}{' (fitted per route)' if args.fit else ''}: "
        f"top-1 {correct}/{len(test)} = {100 * correct / len(test):.1f}%, "
        f"latency p50 {statistics.median(times):.1f} ms p95 {p95:.1f} ms; "
        f"decided by tier 1: {tiers.get(1, 0)}, tier 2: {tiers.get(2, 0)}"
    )
    for error in errors:
        print("  " + error)


if __name__ == "__main__":
    main()
