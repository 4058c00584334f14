"""Latency-quality curves: run one system over a list of settings, one scored point per setting, and plot.

`curve.tsv` has one row per setting (`system`, `setting`, then the metrics). `plot_curves` draws quality against
latency for one or several curves, so systems can be compared on one figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from simulagent.eval.instances import EvalError
from simulagent.eval.runner import RunOptions, load_system, run_system
from simulagent.eval.scorer import ScoreOptions, score_output

__all__ = ["parse_sweep", "plot_curves", "read_curve", "run_sweep", "write_curve"]


def parse_sweep(spec: str) -> tuple[str, list[str]]:
    """`k=1,3,5` -> ("k", ["1", "3", "5"])."""
    name, sep, values = spec.partition("=")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or not name.strip() or not items:
        raise EvalError(f"--vary must look like name=v1,v2,...; got {spec!r}")
    return name.strip(), items


def run_sweep(
    system_name: str,
    base_args: Mapping[str, str],
    vary: str,
    run: RunOptions,
    score: ScoreOptions,
) -> list[dict[str, str | float]]:
    """Run and score `system_name` once per value of `vary`; each run lives in `run.output/<name>=<value>/`.

    Runs resume like single runs, so an interrupted sweep continues where it stopped. Writes `curve.tsv` and
    `curve.png` in `run.output`.
    """
    name, values = parse_sweep(vary)
    rows: list[dict[str, str | float]] = []
    system_label = system_name.rsplit(":", 1)[-1]
    for value in values:
        args = {**base_args, name: value}
        system = load_system(system_name, args)
        point_dir = run.output / f"{name}={value}"
        run_system(system, replace(run, output=point_dir))
        scores = score_output(point_dir, score)
        rows.append({"system": system_label, "setting": f"{name}={value}", **scores.corpus})
    write_curve(run.output / "curve.tsv", rows)
    x = "LAAL" if "LAAL" in rows[0] else next(iter(k for k in rows[0] if k not in ("system", "setting")))
    y = next((q for q in ("BLEU", "ASR_BLEU", "chrF") if q in rows[0]), None)
    if y is not None:
        plot_curves([rows], x=x, y=y, path=run.output / "curve.png")
    return rows


def write_curve(path: Path, rows: Sequence[Mapping[str, str | float]]) -> None:
    columns = list(rows[0])
    lines = ["\t".join(columns)]
    for row in rows:
        lines.append("\t".join(str(row.get(c, "")) for c in columns))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_curve(path: Path) -> list[dict[str, str | float]]:
    if not path.is_file():
        raise EvalError(f"{path}: no such curve file")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(lines) < 2:
        raise EvalError(f"{path}: a curve needs a header and at least one row")
    header = lines[0].split("\t")
    rows: list[dict[str, str | float]] = []
    for line in lines[1:]:
        row: dict[str, str | float] = {}
        for key, value in zip(header, line.split("\t"), strict=False):
            try:
                row[key] = float(value) if key not in ("system", "setting") else value
            except ValueError:
                row[key] = value
        rows.append(row)
    return rows


def plot_curves(
    curves: Sequence[Sequence[Mapping[str, str | float]]],
    *,
    x: str,
    y: str,
    path: Path,
    title: str = "",
    labels: Sequence[str] | None = None,
) -> Path:
    """Quality (`y`) against latency (`x`), one line per curve, each point labelled with its setting; a curve's
    legend label is `labels[i]`, or its system's name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    if labels is not None and len(labels) != len(curves):
        raise EvalError(f"{len(curves)} curves but {len(labels)} labels")
    for index, rows in enumerate(curves):
        points = [(float(r[x]), float(r[y]), str(r.get("setting", ""))) for r in rows if x in r and y in r]
        points = [p for p in points if math.isfinite(p[0]) and math.isfinite(p[1])]
        if not points:
            raise EvalError(f"a curve has no finite {x}/{y} values to plot")
        points.sort()
        label = labels[index] if labels is not None else str(rows[0].get("system", ""))
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
        for px, py, setting in points:
            ax.annotate(setting, (px, py), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
