"""SimulEval-compatible evaluation of simultaneous systems: latency and quality, running, sweeps and plots.

- `simulagent.eval.latency`: the latency metrics as pure functions (AL, LAAL, AP, DAL, ATD, offsets, RTF).
- `simulagent.eval.scorer`: scoring a run (`score_output`, `score_instances`, `ScoreOptions`).
- `simulagent.eval.runner`: running any `StreamingSystem` over a corpus (`run_system`, `RunOptions`).
- `simulagent.eval.sweep`: latency-quality curves and plots.
- `simulagent.eval.segmentation`: boundary precision/recall/F1/R-value of speech segmenters.
- `simulagent.eval.alignment`: CTC forced alignment of reference words.
"""

__all__: list[str] = []
