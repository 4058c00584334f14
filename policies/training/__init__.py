"""Training recipes for the trainable policies (HMT, DiSeg), run by `simulagent train`.

Each recipe is a module with `register(parser)` (its command-line options) and a frozen options dataclass; the
loops save checkpoints through `simulagent.policies.training.checkpoint` so that a killed run resumes where it
stopped.
"""
